/**
 * publish with data-replicate: true, the built action on the emulator. Traffic must not move
 * until replication has caught up: the first run prepares (backfill) and starts replication,
 * then refuses to shift traffic and leaves every distribution as it was. Once the replication
 * function has applied the stream (delivered here by the test: moto cannot invoke functions) and
 * its mapping is idle, the same run shifts traffic.
 */
import { CloudFrontClient, ListDistributionsCommand } from '@aws-sdk/client-cloudfront'
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import { runAction } from '../helpers/action.js'
import { emulatorEndpoint } from '../helpers/emulator.js'
import { createSite, type Site } from '../helpers/site.js'
import { describeTable } from '../../src/aws/dynamodb.js'
import { applyRecords } from '../../src/replicate/function/apply.js'
import { readMeta } from '../../src/replicate/control.js'
import { replicationNames } from '../../src/replicate/names.js'
import {
  countItems,
  createTable,
  deep,
  hashKey,
  makeCtx,
  readStream,
  seed
} from '../replicate/helpers.js'

const cf = new CloudFrontClient({ region: 'us-east-1' })

async function aliases(): Promise<Record<string, string[]>> {
  const res = await cf.send(new ListDistributionsCommand({}))
  return Object.fromEntries(
    (res.DistributionList?.Items ?? []).map((d) => [
      d.Id ?? '',
      [...(d.Aliases?.Items ?? [])].sort()
    ])
  )
}

let site: Site
const ctx = makeCtx()

beforeAll(async () => {
  emulatorEndpoint() // a clear error when run without `npm test`
  site = await createSite()
  const db = ctx.clients.dynamodb
  await createTable(db, 'DeepStageTodoabcd1234', { hash: ['id', 'S'] })
  await createTable(db, 'DeepProdTodowxyz0987', { hash: ['id', 'S'] })
  await seed(db, 'DeepStageTodoabcd1234', hashKey, 40)
})

const inputs = {
  blue: 'stage:abcd1234',
  green: 'prod:wxyz0987',
  'domain-name': 'www.deep.mg',
  ratio: '9:1',
  'data-replicate': 'true',
  tables: 'Todo',
  segments: '2'
}

test('a dry run plans the replication and the traffic shift and changes nothing', async () => {
  const before = await aliases()
  const run = await runAction({ ...inputs, 'dry-run': 'true' })
  expect(run.stdout).not.toMatch(/::error::/)
  expect(run.code).toBe(0)
  expect(run.outputs.changed).toBe('false')
  expect(run.summary).toMatch(/DeepProdTodowxyz0987/)
  expect(run.summary).toMatch(/Router/)
  expect(await aliases()).toEqual(before)
  expect(await countItems(ctx.clients.dynamodb, 'DeepProdTodowxyz0987')).toBe(0)
})

test('replication first: traffic stays where it is while replication catches up', async () => {
  const db = ctx.clients.dynamodb
  // A prepare of its own first, so that the test can change blue between T0 and start (moto
  // erases a stream on writes once a mapping reads it).
  const prepared = await runAction({ ...inputs, command: 'replicate prepare' })
  expect(prepared.code).toBe(0)
  await seed(db, 'DeepStageTodoabcd1234', (i) => hashKey(1000 + i), 5)

  const before = await aliases()
  const run = await runAction(inputs)
  expect(run.code).toBe(1)
  expect(run.stdout).toMatch(/::error::data-replicate: replication from blue to green is at \d+ %/)
  // The backfill copied the items there were at T0; the changes since wait for the stream.
  expect(await countItems(db, 'DeepProdTodowxyz0987')).toBe(40)
  expect(await aliases()).toEqual(before)
  expect(before[site.blueId]).toEqual([site.domain])
  expect(run.summary).toMatch(/### Replication/)
})

test('once the function has applied every change since T0 and its mapping is idle, traffic moves', async () => {
  const db = ctx.clients.dynamodb
  // The replication function's work: every record from TRIM_HORIZON, applied with its heartbeat.
  const streamArn = (await describeTable(db, 'DeepStageTodoabcd1234'))?.stream.arn ?? ''
  const records = await readStream(ctx.clients.streams, streamArn)
  expect(records.length).toBe(5)
  const result = await applyRecords(records, {
    dynamodb: db,
    tableMap: { DeepStageTodoabcd1234: 'DeepProdTodowxyz0987' },
    controlTable: replicationNames(deep('stage', 'abcd1234'), deep('prod', 'wxyz0987')).controlTable
  })
  expect(result.batchItemFailures).toEqual([])
  expect(await countItems(db, 'DeepProdTodowxyz0987')).toBe(45)

  const caughtUp = await runAction(inputs)
  expect(caughtUp.stdout).not.toMatch(/::error::/)
  expect(caughtUp.code).toBe(0)
  expect(caughtUp.outputs).toMatchObject({
    state: 'split',
    ratio: '9:1',
    progress: '100',
    changed: 'true'
  })
  const after = await aliases()
  expect(after[site.blueId]).toEqual([site.wildcard])
  expect(Object.values(after)).toContainEqual([site.domain])
  // From this publish on, green takes writes of its own: the control table says since when, and
  // a replay of blue's stream from TRIM_HORIZON is refused (replicate start).
  const { controlTable } = replicationNames(deep('stage', 'abcd1234'), deep('prod', 'wxyz0987'))
  const meta = await readMeta(db, controlTable)
  expect(Date.parse(meta?.greenTrafficSince ?? '')).toBeLessThanOrEqual(Date.now())
  expect(caughtUp.summary).toContain('green takes writes of its own')
})

test('a batch in the failure queue stops the next shift, even at 100 %', async () => {
  const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', 'wxyz0987'))
  const { QueueUrl } = await ctx.clients.sqs.send(
    new GetQueueUrlCommand({ QueueName: names.failureQueue })
  )
  await ctx.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl,
      MessageBody: '{"requestContext":{"condition":"RetryAttemptsExhausted"}}'
    })
  )
  const before = await aliases()
  const run = await runAction({ ...inputs, ratio: '1:1' })
  expect(run.code).toBe(1)
  expect(run.stdout).toMatch(/::error::data-replicate: 1 batch of changes failed to replicate/)
  // Not one mutating call: the router still runs the 9:1 edge version.
  expect(run.outputs.changed).toBe('false')
  expect(await aliases()).toEqual(before)
})
