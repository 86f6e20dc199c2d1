/**
 * The IAM policies in docs/iam/, proven by the calls the commands make. Every journey runs the
 * built action (`node dist/index.js`, as the runner runs it) with its AWS endpoint pointed at the
 * recording proxy in front of moto; each AWS API call is recorded, mapped to the IAM actions it
 * needs (helpers/iam.ts) and checked against the policy of the command that made it:
 *   - an action a journey called that its command's policy does not grant fails the test;
 *   - an action a policy grants that none of its command's journeys called fails the test
 *     (unless it is on the short list of actions only paths the emulator cannot reach call);
 *   - where the request names its resource (a table, function, role, queue, rule, bucket, …),
 *     the resource must match a Resource of a statement that grants the action.
 * The work of the replication function (it runs with its own role) is done in-process, beside the
 * proxy, so its calls are not charged to the workflow's role.
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb'
import { DeleteObjectCommand } from '@aws-sdk/client-s3'
import { DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams'
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  SetAlarmStateCommand
} from '@aws-sdk/client-cloudwatch'
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type UpdateFunctionConfigurationCommandInput
} from '@aws-sdk/client-lambda'
import { SendMessageCommand } from '@aws-sdk/client-sqs'
import { strToU8, zipSync } from 'fflate'
import type { DynamoDBRecord } from 'aws-lambda'
import { describeTable } from '../src/aws/dynamodb.js'
import { getQueue } from '../src/aws/sqs.js'
import { replicationNames } from '../src/replicate/names.js'
import { deliveryNames } from '../src/replicate/s3/delivery.js'
import { runAction } from './helpers/action.js'
import { startDnsServer } from './helpers/dns-server.js'
import { emulatorEndpoint } from './helpers/emulator.js'
import {
  checkJourneys,
  loadPolicies,
  type Journey,
  type PolicyName,
  UNREACHABLE
} from './helpers/iam.js'
import { startRecordingProxy, type RecordingProxy } from './helpers/recording-proxy.js'
import { createSite, type Site } from './helpers/site.js'
import { createTable, deep, hashKey, makeCtx, readStream, seed } from './replicate/helpers.js'
import { applyRecords } from '../src/replicate/function/apply.js'
import { clients, createBucket, deliverEvents, put } from './replicate/s3/helpers.js'
import { bucketT0Reached as bucketT0Reached_ } from './helpers/bucket-clock.js'

const hasEmulator = (process.env.AWS_ENDPOINT_URL ?? '').startsWith('http://127.0.0.1:')
const describeEmulator = hasEmulator ? describe : describe.skip

const D = 'www.deep.mg'
const PAIR = { blue: 'stage:abcd1234', green: 'prod:wxyz0987' }
const NAMES = replicationNames(deep('stage', 'abcd1234'), deep('prod', 'wxyz0987'))
const BLUE_TABLE = 'DeepStageTodoabcd1234'
const GREEN_TABLE = 'DeepProdTodowxyz0987'
const BLUE_BUCKET = 'deep.stage.private.abcd1234'
const GREEN_BUCKET = 'deep.prod.private.wxyz0987'
/** data-replicate and replicate leave the bucket catch-up pass to the next run (T0 moved below). */
const PUBLISH = { ...PAIR, 'domain-name': D, 'wait-timeout': '2m' }

async function reset(): Promise<void> {
  const res = await fetch(`${emulatorEndpoint()}/moto-api/reset`, { method: 'POST' })
  if (!res.ok) throw new Error(`emulator reset failed: HTTP ${res.status}`)
}

/** Blue's and green's tables and buckets, with data, beside the site. */
async function pairData(): Promise<void> {
  const db = makeCtx().clients.dynamodb
  await createTable(db, BLUE_TABLE, { hash: ['id', 'S'] })
  await createTable(db, GREEN_TABLE, { hash: ['id', 'S'] })
  await seed(db, BLUE_TABLE, hashKey, 12)
  await createBucket(BLUE_BUCKET)
  await createBucket(GREEN_BUCKET)
  await put(BLUE_BUCKET, 'report 2026.pdf', 'blue data')
  await put(BLUE_BUCKET, 'temp/skip.txt', 'ignored')
  await put(BLUE_BUCKET, 'tagged.txt', 'with tags', { Tagging: 'team=web' })
  await put(BLUE_BUCKET, 'gone.txt', 'deleted after the first pass')
}

/** Blue changes after T0: the stream carries two new items and a deleted one. */
async function tableChanges(): Promise<void> {
  const db = makeCtx().clients.dynamodb
  await seed(db, BLUE_TABLE, (i) => hashKey(100 + i), 2)
  await db.send(new DeleteItemCommand({ TableName: BLUE_TABLE, Key: hashKey(0) }))
}

/** The recorded T0 of the bucket pair moved to just after its first copy pass began. */
const bucketT0Reached = () =>
  bucketT0Reached_(clients().dynamodb, NAMES.controlTable, [BLUE_BUCKET])

const lambda = new LambdaClient({ region: 'us-east-1' })

/** A function's configuration changed beside the action (directly on the emulator). */
async function lambdaDrift(
  name: string,
  change: Omit<UpdateFunctionConfigurationCommandInput, 'FunctionName'>
): Promise<void> {
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, ...change }))
}

/** A function's code replaced beside the action. */
async function lambdaCode(name: string): Promise<void> {
  const zip = zipSync({ 'index.js': strToU8('exports.handler = async () => undefined\n') })
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip }))
}

/** The replication function's work on blue's table stream (moto cannot invoke functions). */
async function applyStream(): Promise<DynamoDBRecord[]> {
  const ctx = makeCtx()
  const streamArn = (await describeTable(ctx.clients.dynamodb, BLUE_TABLE))?.stream.arn ?? ''
  const records = await readStream(ctx.clients.streams, streamArn)
  const result = await applyRecords(records, {
    dynamodb: ctx.clients.dynamodb,
    tableMap: { [BLUE_TABLE]: GREEN_TABLE },
    controlTable: NAMES.controlTable
  })
  expect(result.batchItemFailures).toEqual([])
  return records
}

describeEmulator('IAM policies in docs/iam/ against the calls the commands make', () => {
  let proxy: RecordingProxy
  let site: Site
  const journeys: Journey[] = []
  let runs = 0

  beforeAll(async () => {
    proxy = await startRecordingProxy(emulatorEndpoint())
  })
  afterAll(async () => {
    await proxy.close()
  })

  /**
   * One run of the built action through the proxy, recorded as a journey of `policy`. `also`
   * names the policies a user combines with it for this run (data-replicate).
   */
  async function journey(
    name: string,
    policy: PolicyName,
    inputs: Record<string, string>,
    options: { code?: number; also?: PolicyName[]; match?: RegExp } = {}
  ): Promise<void> {
    runs += 1
    const from = proxy.calls.length
    const res = await runAction(inputs, {
      AWS_ENDPOINT_URL: proxy.endpoint,
      GITHUB_REPOSITORY: 'deep/site',
      GITHUB_RUN_ID: String(7000 + runs),
      GITHUB_SERVER_URL: 'https://github.com'
    })
    const code = options.code ?? 0
    expect({ name, code: res.code, log: res.code === code ? '' : res.stdout }).toEqual({
      name,
      code,
      log: ''
    })
    if (options.match !== undefined) expect(res.stdout).toMatch(options.match)
    journeys.push({ name, policy, also: options.also ?? [], calls: proxy.calls.slice(from) })
  }

  test('publish: none → 9:1 (route53 DNS), a ratio change, 0:1, cleanup, a dry run', async () => {
    site = await createSite(D, 'us-east-1')
    await journey('publish none → 9:1, dns route53', 'publish', {
      ...PUBLISH,
      ratio: '9:1',
      dns: 'route53'
    })
    // The edge function on an older runtime (an older release made it): publish moves it.
    await lambdaDrift('bluegreen-router-www-deep-mg', { Runtime: 'nodejs20.x' })
    await journey('publish 9:1 → 1:1, edge runtime converged', 'publish', {
      ...PUBLISH,
      ratio: '1:1'
    })
    await journey('publish 1:1 → 1:1 again (no change)', 'publish', { ...PUBLISH, ratio: '1:1' })
    await journey('publish 1:1 → 0:1', 'publish', { ...PUBLISH, ratio: '0:1' })
    await journey('publish cleanup', 'publish', {
      ...PUBLISH,
      ratio: '0:1',
      cleanup: 'true',
      'cleanup-min-age': '0s'
    })
    await journey('publish 0:1 → 9:1 dry run', 'publish', {
      ...PUBLISH,
      ratio: '9:1',
      'dry-run': 'true'
    })
  })

  test('publish with manual DNS, in two phases', async () => {
    await reset()
    const dns = await startDnsServer()
    try {
      site = await createSite(D, 'us-east-1')
      const inputs = {
        ...PUBLISH,
        ratio: '9:1',
        dns: 'manual',
        'dns-resolvers': dns.address
      }
      await journey('publish manual DNS, phase 1', 'publish', inputs)
      const { CloudFrontClient, ListDistributionsCommand } =
        await import('@aws-sdk/client-cloudfront')
      const list = await new CloudFrontClient({ region: 'us-east-1' }).send(
        new ListDistributionsCommand({})
      )
      const domain = (id: string) =>
        list.DistributionList?.Items?.find((d) => d.Id === id)?.DomainName ?? ''
      dns.set(site.blueHost, { cname: domain(site.blueId) })
      dns.set(site.greenHost, { cname: domain(site.greenId) })
      await journey('publish manual DNS, phase 2', 'publish', inputs)
    } finally {
      await dns.close()
    }
  })

  test('publish ramp steps with an alarm gate and bake-time', async () => {
    await reset()
    site = await createSite(D, 'us-east-1')
    const cw = new CloudWatchClient({ region: 'us-east-1' })
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'site-5xx',
        Namespace: 'AWS/CloudFront',
        MetricName: '5xxErrorRate',
        Dimensions: [{ Name: 'DistributionId', Value: site.blueId }],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 3,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold'
      })
    )
    await cw.send(
      new SetAlarmStateCommand({ AlarmName: 'site-5xx', StateValue: 'OK', StateReason: 'ok' })
    )
    const ramp = {
      ...PUBLISH,
      ramp: '10,25,50,100',
      'ramp-interval': '1d',
      'rollback-alarms': 'site-5xx',
      'bake-time': '1m'
    }
    await journey('publish ramp, first step (bake-time not yet passed)', 'publish', ramp)
    await journey('publish ramp, alarm OK, bake-time 0s, first step', 'publish', {
      ...ramp,
      'bake-time': '0s'
    })
    await cw.send(
      new SetAlarmStateCommand({ AlarmName: 'site-5xx', StateValue: 'ALARM', StateReason: 'bad' })
    )
    await journey(
      'publish ramp, alarm in ALARM: rollback',
      'publish',
      { ...ramp, 'bake-time': '0s' },
      { code: 1 }
    )
  })

  test('publish with data-replicate, tables and buckets', async () => {
    await reset()
    site = await createSite(D, 'us-east-1')
    await pairData()
    const inputs = { ...PUBLISH, ratio: '9:1', 'data-replicate': 'true', wait: 'false' }
    const also: PolicyName[] = ['replicate-prepare', 'replicate-start', 'replicate-status']
    await journey('publish data-replicate: prepare, held back', 'publish', inputs, {
      code: 1,
      also,
      match: /needs its catch-up pass/
    })
    await tableChanges()
    await bucketT0Reached()
    await journey('publish data-replicate: catch-up, start, held back', 'publish', inputs, {
      code: 1,
      also
    })
    expect((await deliverEvents(NAMES)).failed).toEqual([])
    await applyStream()
    await journey('publish data-replicate: caught up, traffic moves', 'publish', inputs, { also })
  })

  test('replicate prepare, start, status, verify, repair, stop, terminate on tables and buckets', async () => {
    await reset()
    await pairData()
    const inputs = { ...PAIR, wait: 'false', segments: '2' }
    const command = (c: string) => ({ ...inputs, command: `replicate ${c}` })
    await journey('replicate prepare --dry-run', 'replicate-prepare', {
      ...command('prepare'),
      'dry-run': 'true'
    })
    // Green holds an object blue lacks: allowed by overwrite-green, prepare removes it.
    await put(GREEN_BUCKET, 'stale.txt', 'only on green')
    await journey('replicate prepare (first pass, overwrite-green)', 'replicate-prepare', {
      ...command('prepare'),
      'overwrite-green': 'true'
    })
    await tableChanges()
    await clients().s3.send(new DeleteObjectCommand({ Bucket: BLUE_BUCKET, Key: 'gone.txt' }))
    await bucketT0Reached()
    // The function changed by hand (its configuration and code): prepare converges both.
    await lambdaDrift(NAMES.functionName, { Environment: { Variables: { CHANGED: 'by hand' } } })
    await lambdaCode(NAMES.functionName)
    await journey(
      'replicate prepare (catch-up pass, function converged)',
      'replicate-prepare',
      command('prepare')
    )
    await journey('replicate start', 'replicate-start', command('start'))
    await put(BLUE_BUCKET, 'new.txt', 'after start')
    await journey('replicate status', 'replicate-status', command('status'))
    expect((await deliverEvents(NAMES)).failed).toEqual([])
    const records = await applyStream()
    await journey('replicate verify', 'replicate-verify', command('verify'))

    // Failed batches: one of the table's stream (its records named by shard and sequence
    // numbers), one S3 event the function gave up on, and one the function could not read.
    const sqs = clients().sqs
    const failures = await getQueue(sqs, NAMES.failureQueue)
    const streamArn = (await describeTable(clients().dynamodb, BLUE_TABLE))?.stream.arn ?? ''
    const { DynamoDBStreamsClient } = await import('@aws-sdk/client-dynamodb-streams')
    const shard = (
      await new DynamoDBStreamsClient({ region: 'us-east-1' }).send(
        new DescribeStreamCommand({ StreamArn: streamArn })
      )
    ).StreamDescription?.Shards?.[0]
    const sequence = records.map((r) => r.dynamodb?.SequenceNumber ?? '')
    expect(sequence).toHaveLength(3)
    await clients().s3.send(new DeleteObjectCommand({ Bucket: BLUE_BUCKET, Key: 'new.txt' }))
    const s3Event = (type: string, key: string) =>
      JSON.stringify({
        version: '0',
        source: 'aws.s3',
        'detail-type': type,
        region: 'us-east-1',
        resources: [`arn:aws:s3:::${BLUE_BUCKET}`],
        detail: { bucket: { name: BLUE_BUCKET }, object: { key } }
      })
    const bodies = [
      JSON.stringify({
        requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 40 },
        DDBStreamBatchInfo: {
          shardId: shard?.ShardId,
          startSequenceNumber: sequence[0],
          endSequenceNumber: sequence[2],
          batchSize: 3,
          streamArn
        }
      }),
      s3Event('Object Created', 'report 2026.pdf'),
      s3Event('Object Deleted', 'new.txt'),
      'not an event'
    ]
    for (const body of bodies) {
      await sqs.send(new SendMessageCommand({ QueueUrl: failures?.url ?? '', MessageBody: body }))
    }
    expect(deliveryNames(NAMES.functionName).queue).toMatch(/^bluegreen-replication-/)
    await journey('replicate repair', 'replicate-repair', command('repair'))
    // A mapping disabled by hand: start enables it again.
    const mappings = await lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: NAMES.functionName })
    )
    const uuid = mappings.EventSourceMappings?.[0]?.UUID ?? ''
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }))
    await journey('replicate start (a mapping disabled)', 'replicate-start', command('start'))
    await journey('replicate stop', 'replicate-stop', command('stop'))
    // terminate detaches what is attached, as stop does.
    await journey('replicate start again', 'replicate-start', command('start'))
    await journey('replicate terminate', 'replicate-terminate', command('terminate'))
  })

  test('each policy grants what its journeys call, and nothing more', async () => {
    const policies = loadPolicies()
    if (process.env.IAM_DUMP !== undefined) {
      const { writeFileSync } = await import('node:fs')
      const { needsOf } = await import('./helpers/iam.js')
      writeFileSync(
        process.env.IAM_DUMP,
        JSON.stringify(
          journeys.map((j) => ({
            name: j.name,
            needs: [
              ...new Set(
                j.calls.flatMap((c) =>
                  needsOf(c).map((n) => `${n.action} ${n.resources.join(',')}`)
                )
              )
            ].sort()
          })),
          null,
          1
        )
      )
    }
    const result = checkJourneys(journeys, policies)
    console.log(result.report)
    expect(result.missing).toEqual([])
    expect(result.unused).toEqual([])
    expect(result.resources).toEqual([])
    // Every allowance is still needed: each names an action a policy grants.
    for (const entry of UNREACHABLE) {
      expect(policies.get(entry.policy)?.actions()).toContain(entry.action)
    }
  })
})
