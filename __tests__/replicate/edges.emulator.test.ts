/**
 * On the emulator, one test per edge of the protocol where an update could be lost or left stale
 * without a signal: a batch that fails until it lands in the failure queue and `replicate repair`
 * re-applies it; a green table that already holds items; green index keys blue's items break;
 * stop then start (mappings Deleting, Disabled); a replay once green takes writes of its own; the
 * marker of a stream prepare turned on; T0 taken only once the stream is ENABLED. And for every
 * command: the dry run lists exactly the steps a real run then carries out.
 */
import { GetItemCommand, PutItemCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb'
import { DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams'
import { UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda'
import { SendMessageCommand } from '@aws-sdk/client-sqs'
import { describeTable } from '../../src/aws/dynamodb.js'
import { listMappings } from '../../src/aws/lambda.js'
import { countMessages, getQueue } from '../../src/aws/sqs.js'
import type { ReplicateRequest } from '../../src/inputs.js'
import { readControl, recordGreenTraffic } from '../../src/replicate/control.js'
import { readReplication } from '../../src/replicate/discover.js'
import { applyRecords } from '../../src/replicate/function/apply.js'
import { planFor, replicate } from '../../src/replicate/index.js'
import { replicationNames } from '../../src/replicate/names.js'
import { runAction } from '../helpers/action.js'
import {
  countItems,
  createScoredTable,
  createTable,
  deep,
  hashKey,
  makeCtx,
  readStream,
  request,
  seed
} from './helpers.js'

const OPTIONS = { tuning: { pageSize: 10 }, settleMs: 100, waiterMinDelay: 1 }

/** Blue and green of one test: their own DEEP env pair, so tests never share resources. */
function env(n: number) {
  const blueHash = `b${String(n).padStart(7, '0')}`
  const greenHash = `g${String(n).padStart(7, '0')}`
  const refs = { blue: deep('stage', blueHash), green: deep('prod', greenHash) }
  return {
    refs,
    names: replicationNames(refs.blue, refs.green),
    blue: `DeepStageTodo${blueHash}`,
    green: `DeepProdTodo${greenHash}`,
    req: (action: ReplicateRequest['action'], more: Partial<ReplicateRequest> = {}) =>
      request(action, { ...refs, tables: [{ blue: 'Todo' }], segments: 2, ...more }),
    inputs: { blue: `stage:${blueHash}`, green: `prod:${greenHash}`, tables: 'Todo', segments: '2' }
  }
}

test('a batch green rejects fails until it reaches the failure queue; once the cause is fixed, repair empties the queue and verify passes', async () => {
  const e = env(1)
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  await createTable(db, e.blue, { hash: ['id', 'S'] })
  await createScoredTable(db, e.green) // stricter than blue: score must be a number
  for (let i = 0; i < 20; i++) {
    await db.send(
      new PutItemCommand({ TableName: e.blue, Item: { ...hashKey(i), score: { N: String(i) } } })
    )
  }
  await replicate(e.req('prepare'), ctx, OPTIONS)
  expect(await countItems(db, e.green)).toBe(20)

  // After T0, blue takes items whose score is text: green's index refuses them.
  for (let i = 100; i < 105; i++) {
    await db.send(
      new PutItemCommand({ TableName: e.blue, Item: { ...hashKey(i), score: { S: 'high' } } })
    )
  }
  await db.send(
    new PutItemCommand({ TableName: e.blue, Item: { ...hashKey(3), score: { N: '33' } } })
  )
  const streamArn = (await describeTable(db, e.blue))?.stream.arn ?? ''
  const records = await readStream(ctx.clients.streams, streamArn)
  expect(records).toHaveLength(6)
  const tableMap = { [e.blue]: e.green }
  const result = await applyRecords(records, {
    dynamodb: db,
    tableMap,
    controlTable: e.names.controlTable,
    logError: () => undefined
  })
  // The function reports each failing record (Lambda retries from the lowest), bisecting,
  // until the records are MaximumRecordAgeInSeconds old; then it sends its record of the batch
  // (shard and sequence numbers, as Lambda documents it) to the on-failure destination.
  expect(result.batchItemFailures).toEqual(
    records.slice(0, 5).map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber }))
  )
  const shard = (
    await ctx.clients.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))
  ).StreamDescription?.Shards?.[0]?.ShardId
  const queue = await getQueue(ctx.clients.sqs, e.names.failureQueue)
  await ctx.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: queue?.url ?? '',
      MessageBody: JSON.stringify({
        requestContext: {
          requestId: '316aa6d0-8154-4e4f-9af7-85d5f4a6bc81',
          functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${e.names.functionName}`,
          condition: 'RecordAgeExceeded',
          approximateInvokeCount: 40
        },
        responseContext: {
          statusCode: 200,
          executedVersion: '$LATEST',
          functionError: 'Unhandled'
        },
        version: '1.0',
        timestamp: new Date().toISOString(),
        DDBStreamBatchInfo: {
          shardId: shard,
          startSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
          endSequenceNumber: records[4]?.dynamodb?.SequenceNumber,
          approximateArrivalOfFirstRecord: new Date().toISOString(),
          approximateArrivalOfLastRecord: new Date().toISOString(),
          batchSize: 5,
          streamArn
        }
      })
    })
  )

  // status and verify say so, and their advice is repair.
  const status = makeCtx()
  await replicate(e.req('status'), status)
  expect(status.report.warnings).toEqual([
    expect.stringMatching(/^1 failed batch is in .*run replicate repair/)
  ])
  const verify = makeCtx()
  await expect(replicate(e.req('verify'), verify)).rejects.toThrow(/run `replicate repair`/)
  expect(verify.report.outputs.differences).toBe('5')

  // Repair before the cause is fixed: green still rejects those keys, so repair fails loudly and
  // the message stays, visible again at once (nothing is deleted before its keys are applied).
  await expect(replicate(e.req('repair'), makeCtx(), OPTIONS)).rejects.toThrow(/Type mismatch/)
  expect(await countMessages(ctx.clients.sqs, queue?.url ?? '')).toBe(1)

  // The dry run lists the steps and changes nothing.
  const dry = makeCtx()
  await replicate(e.req('repair', { dryRun: true }), dry, OPTIONS)
  expect(dry.report.plan.map((r) => [r.resource, r.status])).toEqual([
    [e.names.failureQueue, 'planned'],
    [e.green, 'planned']
  ])
  expect(dry.report.changed).toBe(false)

  // Fix the cause: green's index goes (the operator's choice; blue's items stay as they are).
  await db.send(
    new UpdateTableCommand({
      TableName: e.green,
      GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'byScore' } }]
    })
  )
  // Repair reads the batch back from the stream and applies its keys before comparing tables.
  const sent: string[] = []
  const repairCtx = makeCtx()
  repairCtx.clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; Item?: { id?: { S?: string } } }
      if (context.commandName === 'PutItemCommand') sent.push(`put ${input.Item?.id?.S ?? ''}`)
      if (context.commandName === 'ScanCommand' && input.TableName === e.green) sent.push('scan')
      return next(args)
    },
    { step: 'initialize', name: 'order' }
  )
  await replicate(e.req('repair'), repairCtx, OPTIONS)
  expect(repairCtx.report.plan.map((r) => r.status)).toEqual(['done', 'done'])
  const firstScan = sent.indexOf('scan')
  for (let i = 100; i < 105; i++) {
    expect(sent.indexOf(`put item-${i}`)).toBeGreaterThanOrEqual(0)
    expect(sent.indexOf(`put item-${i}`)).toBeLessThan(firstScan)
  }
  expect(await countMessages(ctx.clients.sqs, queue?.url ?? '')).toBe(0)
  const verified = makeCtx()
  await replicate(e.req('verify'), verified)
  expect(verified.report.outputs.differences).toBe('0')
  const status2 = makeCtx()
  await replicate(e.req('status'), status2)
  expect(status2.report.warnings).toEqual([])

  // Messages whose records the stream no longer holds, or that name no batch at all, are
  // handled by comparing the tables whole; then they are deleted too.
  await db.send(new PutItemCommand({ TableName: e.green, Item: { ...hashKey(777) } }))
  const past = BigInt(records[5]?.dynamodb?.SequenceNumber ?? '0') + 1000n
  for (const body of [
    JSON.stringify({
      DDBStreamBatchInfo: {
        shardId: shard,
        startSequenceNumber: String(past),
        endSequenceNumber: String(past + 5n),
        streamArn
      }
    }),
    '{"requestContext":{"condition":"RetryAttemptsExhausted"}}'
  ]) {
    await ctx.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: queue?.url ?? '', MessageBody: body })
    )
  }
  const built = await runAction({ ...e.inputs, command: 'replicate repair' })
  expect(built.stdout).not.toMatch(/::error::/)
  expect(built.code).toBe(0)
  expect(built.outputs.changed).toBe('true')
  expect(await countMessages(ctx.clients.sqs, queue?.url ?? '')).toBe(0)
  const extra = await db.send(
    new GetItemCommand({ TableName: e.green, Key: hashKey(777), ConsistentRead: true })
  )
  expect(extra.Item).toBeUndefined()
})

test('a non-empty green is refused, changing nothing; allowed, the keys blue lacks are removed', async () => {
  const e = env(2)
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  await createTable(db, e.blue, { hash: ['id', 'S'] })
  await createTable(db, e.green, { hash: ['id', 'S'] })
  await seed(db, e.blue, hashKey, 30)
  await seed(db, e.green, (i) => hashKey(1000 + i), 4)
  await db.send(new PutItemCommand({ TableName: e.green, Item: { ...hashKey(5), v: { N: '-1' } } }))

  const refused = makeCtx()
  await expect(replicate(e.req('prepare'), refused, OPTIONS)).rejects.toThrow(
    /already holds items.*overwrite-green: true/
  )
  expect(refused.report.changed).toBe(false)
  expect(await readControl(db, e.names.controlTable)).toBeUndefined()
  expect((await describeTable(db, e.blue))?.stream.enabled).toBe(false)

  await replicate(e.req('prepare', { overwriteGreen: true }), makeCtx(), OPTIONS)
  expect(await countItems(db, e.green)).toBe(30)
  const verified = makeCtx()
  await replicate(e.req('verify'), verified)
  expect(verified.report.outputs.differences).toBe('0')
})

test("green index keys that blue's items break are refused before anything changes", async () => {
  const e = env(3)
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  await createTable(db, e.blue, { hash: ['id', 'S'] })
  await createScoredTable(db, e.green)
  await db.send(
    new PutItemCommand({ TableName: e.blue, Item: { ...hashKey(1), score: { N: '1' } } })
  )
  await db.send(
    new PutItemCommand({ TableName: e.blue, Item: { ...hashKey(2), score: { S: 'two' } } })
  )
  const refused = makeCtx()
  await expect(replicate(e.req('prepare'), refused, OPTIONS)).rejects.toThrow(
    /indexes score as N, but blue's items carry S there \(item \{"id":\{"S":"item-2"\}\}\)/
  )
  expect(refused.report.plan).toEqual([])
  expect(await readControl(db, e.names.controlTable)).toBeUndefined()
  expect((await describeTable(db, e.blue))?.stream.enabled).toBe(false)
})

test('stop waits until its mappings are gone; start re-enables a Disabled one, replaces a gone one, and refuses a replay once green takes writes of its own', async () => {
  const e = env(4)
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  await createTable(db, e.blue, { hash: ['id', 'S'] })
  await createTable(db, e.green, { hash: ['id', 'S'] })
  await seed(db, e.blue, hashKey, 10)
  await replicate(e.req('prepare'), makeCtx(), OPTIONS)
  await replicate(e.req('start'), makeCtx(), OPTIONS)
  const ours = () => listMappings(ctx.clients.lambda, { functionName: e.names.functionName })
  const [first] = await ours()
  expect(first?.state).toBe('Enabled')

  // Disabled (by hand, say): start re-enables it where it stopped; no second mapping.
  await ctx.clients.lambda.send(
    new UpdateEventSourceMappingCommand({ UUID: first?.uuid ?? '', Enabled: false })
  )
  const reenabled = makeCtx()
  await replicate(e.req('start'), reenabled, OPTIONS)
  expect(reenabled.report.plan.map((r) => r.description)).toEqual([
    expect.stringContaining('Re-enable')
  ])
  expect((await ours()).map((m) => [m.uuid, m.state])).toEqual([[first?.uuid, 'Enabled']])

  // stop: the mapping passes through Deleting; stop returns only once it is gone.
  const stopped = makeCtx()
  await replicate(e.req('stop'), stopped, OPTIONS)
  expect(stopped.report.plan.map((r) => r.status)).toEqual(['done'])
  expect(await ours()).toEqual([])

  // A publish moved traffic to green: a new mapping from TRIM_HORIZON would replay blue's
  // stream over green's own writes, so start refuses, changing nothing.
  await recordGreenTraffic(db, e.names.controlTable, new Date().toISOString())
  const refused = makeCtx()
  await expect(replicate(e.req('start'), refused, OPTIONS)).rejects.toThrow(
    /overwrite with blue's items the writes green has taken of its own.*replay-over-green-writes: true/
  )
  expect(refused.report.changed).toBe(false)
  expect(await ours()).toEqual([])
  const allowed = makeCtx()
  await replicate(e.req('start', { replayOverGreenWrites: true }), allowed, OPTIONS)
  expect((await ours()).map((m) => m.state)).toEqual(['Enabled'])
  await replicate(e.req('terminate'), makeCtx(), OPTIONS)
  expect(await ours()).toEqual([])
})

test('the stream marker: none left when turning the stream on fails, so the owner keeps a stream it enables later', async () => {
  const e = env(5)
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  await createTable(db, e.blue, { hash: ['id', 'S'] })
  await createTable(db, e.green, { hash: ['id', 'S'] })
  const failing = makeCtx()
  failing.clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateTableCommand') throw new Error('throttled for good')
      return next(args)
    },
    { step: 'initialize', name: 'failUpdateTable' }
  )
  await expect(replicate(e.req('prepare'), failing, OPTIONS)).rejects.toThrow('throttled for good')
  expect((await readControl(db, e.names.controlTable))?.enabling.size).toBe(0)

  // The owner turns the stream on themselves; prepare reuses it and terminate leaves it on.
  await db.send(
    new UpdateTableCommand({
      TableName: e.blue,
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' }
    })
  )
  await replicate(e.req('prepare'), makeCtx(), OPTIONS)
  const record = (await readControl(db, e.names.controlTable))?.tables.get(e.blue)?.table
  expect(record?.streamEnabledByUs).toBe(false)
  await replicate(e.req('terminate'), makeCtx(), OPTIONS)
  expect((await describeTable(db, e.blue))?.stream.enabled).toBe(true)
})

test('T0 is taken once DescribeStream reports ENABLED, not when the table is ACTIVE', async () => {
  const e = env(6)
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  await createTable(db, e.blue, { hash: ['id', 'S'] })
  await createTable(db, e.green, { hash: ['id', 'S'] })
  // The stream reports ENABLING for its first two DescribeStream answers (as AWS may).
  const run = makeCtx()
  let describes = 0
  let enabledAt = 0
  run.clients.streams.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args)
      if (context.commandName === 'DescribeStreamCommand') {
        const body = out.output as { StreamDescription?: { StreamStatus?: string } }
        if (++describes <= 2 && body.StreamDescription !== undefined) {
          body.StreamDescription.StreamStatus = 'ENABLING'
        } else if (enabledAt === 0) enabledAt = Date.now()
      }
      return out
    },
    { step: 'initialize', name: 'enabling' }
  )
  await replicate(e.req('prepare'), run, OPTIONS)
  expect(describes).toBeGreaterThanOrEqual(3)
  const t0 = (await readControl(db, e.names.controlTable))?.tables.get(e.blue)?.table.t0 ?? ''
  expect(Date.parse(t0)).toBeGreaterThanOrEqual(enabledAt - 5)
})

test('for every command, the dry run lists exactly the steps the real run carries out', async () => {
  const e = env(7)
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  await createTable(db, e.blue, { hash: ['id', 'S'] })
  await createTable(db, e.green, { hash: ['id', 'S'] })
  await seed(db, e.blue, hashKey, 12)
  for (const action of ['prepare', 'start', 'repair', 'stop', 'terminate'] as const) {
    const dry = makeCtx()
    await replicate(e.req(action, { dryRun: true }), dry, OPTIONS)
    const planned = planFor(
      e.req(action),
      await readReplication(e.req(action), dry, action),
      OPTIONS
    )
    expect(dry.report.plan.map((r) => r.description)).toEqual(
      planned.steps.map((s) => s.description)
    )
    expect(dry.report.changed).toBe(false)
    const real = makeCtx()
    await replicate(e.req(action), real, OPTIONS)
    expect(real.report.plan.map((r) => [r.description, r.status])).toEqual(
      dry.report.plan.map((r) => [r.description, 'done'])
    )
    expect(real.report.plan.length).toBeGreaterThan(0)
  }
})
