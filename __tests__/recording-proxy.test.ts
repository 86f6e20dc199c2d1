/**
 * The recording proxy (helpers/recording-proxy.ts): each protocol's requests are named by the
 * action they call, real SDK calls pass through it to the emulator unchanged, and a run of the
 * built action through it yields the list of actions publish calls (what the IAM test compares
 * with the documented policy).
 */
import { GetMetricStatisticsCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { DescribeStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams'
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs'
import { runAction } from './helpers/action.js'
import { emulatorEndpoint } from './helpers/emulator.js'
import {
  identify,
  matchRoute,
  route,
  startRecordingProxy,
  type RecordingProxy,
  type RequestFacts
} from './helpers/recording-proxy.js'
import { createSite } from './helpers/site.js'

const hasEmulator = (process.env.AWS_ENDPOINT_URL ?? '').startsWith('http://127.0.0.1:')
const describeEmulator = hasEmulator ? describe : describe.skip

const auth = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`

function facts(
  service: string,
  method: string,
  url: string,
  extra: Record<string, string> = {},
  body = ''
): RequestFacts {
  return {
    method,
    url,
    headers: { authorization: auth(service), ...extra },
    body: Buffer.from(body)
  }
}

describe('identify: the action a request calls, in each protocol', () => {
  it.each([
    [
      'JSON (X-Amz-Target)',
      facts('dynamodb', 'POST', '/', { 'x-amz-target': 'DynamoDB_20120810.PutItem' }),
      'dynamodb:PutItem'
    ],
    [
      'JSON, DynamoDB Streams signs as dynamodb',
      facts('dynamodb', 'POST', '/', { 'x-amz-target': 'DynamoDBStreams_20120810.GetRecords' }),
      'dynamodb:GetRecords'
    ],
    [
      'query (form body)',
      facts(
        'iam',
        'POST',
        '/',
        { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        'Action=CreateRole&Version=2010-05-08&RoleName=r'
      ),
      'iam:CreateRole'
    ],
    ['query (URL)', facts('sts', 'GET', '/?Action=GetCallerIdentity'), 'sts:GetCallerIdentity'],
    [
      'RPC v2 CBOR, monitoring is the cloudwatch prefix',
      facts('monitoring', 'POST', '/service/GraniteServiceVersion20100801/operation/GetMetricData'),
      'cloudwatch:GetMetricData'
    ],
    [
      'REST CloudFront',
      facts('cloudfront', 'PUT', '/2020-05-31/distribution/E123/config'),
      'cloudfront:UpdateDistribution'
    ],
    [
      'REST CloudFront, a query key picks the operation',
      facts('cloudfront', 'POST', '/2020-05-31/distribution?WithTags'),
      'cloudfront:CreateDistributionWithTags'
    ],
    [
      'REST CloudFront, without it',
      facts('cloudfront', 'POST', '/2020-05-31/distribution'),
      'cloudfront:CreateDistribution'
    ],
    [
      'REST CloudFront, the more specific path',
      facts('cloudfront', 'GET', '/2020-05-31/distribution/E123'),
      'cloudfront:GetDistribution'
    ],
    [
      'REST Route53',
      facts('route53', 'POST', '/2013-04-01/hostedzone/Z1/rrset/'),
      'route53:ChangeResourceRecordSets'
    ],
    [
      'REST Lambda, an ARN in the path',
      facts(
        'lambda',
        'GET',
        '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af%3A3'
      ),
      'lambda:GetFunction'
    ],
    [
      'REST Lambda, versions',
      facts('lambda', 'GET', '/2015-03-31/functions/f/versions?MaxItems=50'),
      'lambda:ListVersionsByFunction'
    ]
  ])('%s', (_name, request, action) => {
    const found = identify(request)
    expect(found === undefined ? undefined : `${found.service}:${found.operation}`).toBe(action)
  })

  it('an unsigned request (the emulator API) is not an AWS call', () => {
    expect(
      identify({ method: 'POST', url: '/moto-api/reset', headers: {}, body: Buffer.alloc(0) })
    ).toBeUndefined()
  })

  it('S3 bindings match a path-style request once the bucket is set aside', () => {
    // client-s3 may not be installed: its bindings, as the SDK declares them.
    const routes = [
      route('GetObject', 'GET', '/{Key+}?x-id=GetObject'),
      route('ListObjectsV2', 'GET', '/?list-type=2'),
      route('PutBucketNotificationConfiguration', 'PUT', '/?notification')
    ]
    const q = (s: string) => new URLSearchParams(s)
    expect(matchRoute(routes, 'GET', '/a/b c.txt', q('x-id=GetObject'))).toBe('GetObject')
    expect(matchRoute(routes, 'GET', '/', q('list-type=2&prefix=x'))).toBe('ListObjectsV2')
    expect(matchRoute(routes, 'PUT', '/', q('notification'))).toBe(
      'PutBucketNotificationConfiguration'
    )
    expect(matchRoute(routes, 'GET', '/', q('list-type=1'))).toBeUndefined()
  })
})

describeEmulator('the recording proxy in front of the emulator', () => {
  let proxy: RecordingProxy
  beforeAll(async () => {
    proxy = await startRecordingProxy(emulatorEndpoint())
  })
  afterAll(async () => {
    await proxy.close()
  })

  test('real SDK calls of every protocol pass through and are named', async () => {
    const config = { region: 'us-east-1', endpoint: proxy.endpoint }
    const dynamodb = new DynamoDBClient(config)
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'recorded',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' }
      })
    )
    const tables = await dynamodb.send(new ListTablesCommand({}))
    expect(tables.TableNames).toContain('recorded')
    await expect(
      new DynamoDBStreamsClient(config).send(
        new DescribeStreamCommand({ StreamArn: 'arn:aws:dynamodb:us-east-1:1:table/x/stream/y' })
      )
    ).rejects.toThrow()
    await expect(
      new IAMClient(config).send(new GetRoleCommand({ RoleName: 'none' }))
    ).rejects.toThrow()
    await new SQSClient(config).send(new CreateQueueCommand({ QueueName: 'recorded' }))
    await new CloudWatchClient(config).send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        StartTime: new Date(Date.now() - 300_000),
        EndTime: new Date(),
        Period: 60,
        Statistics: ['Maximum']
      })
    )
    expect(proxy.take()).toEqual([
      'cloudwatch:GetMetricStatistics',
      'dynamodb:CreateTable',
      'dynamodb:DescribeStream',
      'dynamodb:ListTables',
      'iam:GetRole',
      'sqs:CreateQueue'
    ])
    expect(proxy.calls.find((c) => c.action === 'iam:GetRole')?.status).toBe(404)
  })

  test('publish 9:1 through the built action: the actions it called', async () => {
    await createSite()
    proxy.take()
    const res = await runAction(
      {
        command: 'publish',
        blue: 'stage:abcd1234',
        green: 'prod:wxyz0987',
        ratio: '9:1',
        'domain-name': 'www.deep.mg',
        'wait-timeout': '2m'
      },
      { AWS_ENDPOINT_URL: proxy.endpoint }
    )
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    const actions = proxy.take()
    console.log(`publish 9:1 called:\n  ${actions.join('\n  ')}`)
    expect(actions).toEqual(
      expect.arrayContaining([
        'acm:DescribeCertificate',
        'cloudfront:CreateDistributionWithTags',
        'cloudfront:GetDistribution',
        'cloudfront:ListDistributions',
        'cloudfront:UpdateDistribution',
        'iam:CreateRole',
        'lambda:CreateFunction',
        'lambda:PublishVersion',
        'route53:ChangeResourceRecordSets',
        'route53:ListHostedZonesByName'
      ])
    )
    expect(actions.filter((a) => a.includes('(unknown'))).toEqual([])
  })
})
