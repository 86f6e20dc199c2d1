/**
 * The IAM check itself (helpers/iam.ts), on plain recorded calls: it names an action a policy
 * lacks, one it grants that nothing called, and a resource outside the policy's patterns; and the
 * API operations whose IAM actions differ are mapped as AWS documents them.
 */
import { checkJourneys, needsOf, policy, wildcard, type PolicyDocument } from './helpers/iam.js'
import type { AwsCall } from './helpers/recording-proxy.js'

function call(action: string, extra: Partial<AwsCall> = {}): AwsCall {
  const [service = '', operation = ''] = action.split(':')
  return {
    service,
    operation,
    action,
    method: 'POST',
    path: '/',
    status: 200,
    region: 'us-east-1',
    query: '',
    body: '',
    headers: {},
    ...extra
  }
}

const doc: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['sqs:GetQueueUrl', 'sqs:DeleteQueue'],
      Resource: 'arn:aws:sqs:*:123456789012:bluegreen-replication-*'
    }
  ]
}

test('wildcards match as IAM matches them', () => {
  expect(wildcard('lambda:EnableReplication*', 'lambda:enablereplication', true)).toBe(true)
  expect(wildcard('arn:aws:s3:::deep.*/*', 'arn:aws:s3:::deep.stage.private.a/k y')).toBe(true)
  expect(wildcard('arn:aws:s3:::deep.*', 'arn:aws:s3:::other')).toBe(false)
})

test('missing, unused and out-of-pattern resources are each reported', () => {
  const policies = new Map([['replicate-stop' as const, policy('replicate-stop', doc)]])
  const result = checkJourneys(
    [
      {
        name: 'stop',
        policy: 'replicate-stop',
        also: [],
        calls: [
          call('sqs:GetQueueUrl', { body: '{"QueueName":"someone-elses"}' }),
          call('sqs:ReceiveMessage')
        ]
      }
    ],
    policies
  )
  expect(result.missing).toEqual(['replicate-stop: sqs:ReceiveMessage (stop)'])
  expect(result.unused).toEqual(['replicate-stop: sqs:DeleteQueue'])
  expect(result.resources).toEqual([
    'replicate-stop: sqs:GetQueueUrl on arn:aws:sqs:us-east-1:123456789012:someone-elses (stop)'
  ])
})

test('operations map to the IAM actions AWS checks', () => {
  const names = (c: AwsCall) => needsOf(c).map((n) => `${n.action} ${n.resources.join(',')}`)
  expect(names(call('s3:ListObjectsV2', { path: '/deep.a' }))).toEqual([
    's3:ListBucket arn:aws:s3:::deep.a'
  ])
  expect(
    names(
      call('s3:CopyObject', { path: '/deep.g/k', headers: { 'x-amz-copy-source': 'deep.b/k' } })
    )
  ).toEqual([
    's3:PutObject arn:aws:s3:::deep.g/k',
    's3:GetObject arn:aws:s3:::deep.b/k',
    's3:GetObjectTagging arn:aws:s3:::deep.b/k',
    's3:PutObjectTagging arn:aws:s3:::deep.g/k'
  ])
  expect(
    names(
      call('lambda:CreateFunction', {
        path: '/2015-03-31/functions',
        body: '{"FunctionName":"f","Role":"arn:aws:iam::123456789012:role/r"}'
      })
    )
  ).toEqual([
    'lambda:CreateFunction arn:aws:lambda:us-east-1:123456789012:function:f',
    'iam:PassRole arn:aws:iam::123456789012:role/r'
  ])
  const edge = names(
    call('cloudfront:CreateDistributionWithTags', {
      path: '/2020-05-31/distribution',
      body: '<LambdaFunctionARN>arn:aws:lambda:us-east-1:123456789012:function:r:3</LambdaFunctionARN>'
    })
  )
  expect(edge).toEqual(
    expect.arrayContaining([
      'cloudfront:CreateDistribution ',
      'cloudfront:TagResource ',
      'lambda:GetFunction arn:aws:lambda:us-east-1:123456789012:function:r:3',
      'lambda:EnableReplication arn:aws:lambda:us-east-1:123456789012:function:r:3'
    ])
  )
  expect(edge.some((n) => n.startsWith('iam:CreateServiceLinkedRole '))).toBe(true)
  expect(needsOf(call('sts:GetCallerIdentity'))).toEqual([])
})
