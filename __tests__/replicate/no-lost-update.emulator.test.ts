/**
 * On the emulator: no update is lost while blue keeps changing. A writer puts, updates and
 * deletes random items on blue during the whole of prepare (and after it); the stream's records
 * (read from TRIM_HORIZON, since moto cannot invoke functions) go to the real handler core; then
 * verify must find green equal to blue. Once with a clean prepare, once with a prepare killed in
 * the middle of its backfill and run again.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { applyRecords } from '../../src/replicate/function/apply.js'
import { readControl } from '../../src/replicate/control.js'
import { replicate } from '../../src/replicate/index.js'
import { replicationNames } from '../../src/replicate/names.js'
import { describeTable } from '../../src/aws/dynamodb.js'
import {
  createTable,
  deep,
  hashKey,
  killableDynamo,
  makeCtx,
  rangeKey,
  readStream,
  request,
  seed,
  startWriter
} from './helpers.js'

const OPTIONS = { tuning: { pageSize: 10 }, settleMs: 300, waiterMinDelay: 1 }

async function setUp(blueEnv: string, blueHash: string, greenEnv: string, greenHash: string) {
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)
  const tables = {
    todoBlue: `Deep${cap(blueEnv)}Todo${blueHash}`,
    todoGreen: `Deep${cap(greenEnv)}Todo${greenHash}`,
    noteBlue: `Deep${cap(blueEnv)}Note${blueHash}`,
    noteGreen: `Deep${cap(greenEnv)}Note${greenHash}`
  }
  for (const name of [tables.todoBlue, tables.todoGreen]) {
    await createTable(db, name, { hash: ['id', 'S'] })
  }
  for (const name of [tables.noteBlue, tables.noteGreen]) {
    await createTable(db, name, { hash: ['pk', 'S'], range: ['sk', 'N'] })
  }
  await seed(db, tables.todoBlue, hashKey, 400)
  await seed(db, tables.noteBlue, rangeKey, 300)
  const writer = startWriter(db, [
    { name: tables.todoBlue, keyOf: hashKey, keys: 500 },
    { name: tables.noteBlue, keyOf: rangeKey, keys: 400 }
  ])
  const req = (action: Parameters<typeof request>[0]) =>
    request(action, { blue: deep(blueEnv, blueHash), green: deep(greenEnv, greenHash) })
  return { ctx, db, tables, writer, req }
}

/** Delivers every stream record of `blue` to the handler core, in Lambda-sized batches. */
async function deliver(ctx: ReturnType<typeof makeCtx>, blueTables: string[], control: string) {
  const tableMap: Record<string, string> = {}
  const found = await readControl(ctx.clients.dynamodb, control)
  for (const t of found?.tables.values() ?? []) tableMap[t.table.blue] = t.table.green
  let delivered = 0
  for (const blue of blueTables) {
    const arn = (await describeTable(ctx.clients.dynamodb, blue))?.stream.arn
    if (arn === undefined) throw new Error(`${blue} has no stream`)
    const records = await readStream(ctx.clients.streams, arn)
    for (let i = 0; i < records.length; i += 100) {
      const result = await applyRecords(records.slice(i, i + 100), {
        dynamodb: ctx.clients.dynamodb,
        tableMap,
        controlTable: control
      })
      expect(result.batchItemFailures).toEqual([])
    }
    delivered += records.length
  }
  return delivered
}

test('no update is lost: writes during and after prepare reach green through the stream', async () => {
  const { ctx, db, tables, writer, req } = await setUp('stage', 'abcd1234', 'prod', '0a0b0c0d')
  const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', '0a0b0c0d'))
  await new Promise((r) => setTimeout(r, 200))
  const opsBefore = writer.ops()
  await replicate(req('prepare'), ctx, OPTIONS)
  const opsDuring = writer.ops() - opsBefore
  await new Promise((r) => setTimeout(r, 500))
  await writer.stop()
  expect(opsDuring).toBeGreaterThan(20) // blue really changed while the backfill ran

  // prepare: backfill done for both discovered tables, streams on, function deployed.
  const control = await readControl(db, names.controlTable)
  expect([...(control?.tables.keys() ?? [])].sort()).toEqual([tables.noteBlue, tables.todoBlue])
  for (const t of control?.tables.values() ?? []) {
    expect(t.table.backfillDoneAt).toBeDefined()
    expect(t.table.streamEnabledByUs).toBe(true)
    expect(t.segments.map((s) => s.done)).toEqual([true, true, true])
  }
  expect(ctx.report.outputs.progress).toBe('0')
  expect(ctx.report.changed).toBe(true)

  // Without the stream, green lags behind blue: verify must say so (the check can fail).
  const lagging = makeCtx()
  await expect(replicate(req('verify'), lagging)).rejects.toThrow(/differs from blue/)
  expect(Number(lagging.report.outputs.differences)).toBeGreaterThan(0)

  const delivered = await deliver(ctx, [tables.todoBlue, tables.noteBlue], names.controlTable)
  expect(delivered).toBeGreaterThan(20) // changes made after T0 came through the stream

  const verifyCtx = makeCtx()
  await replicate(req('verify'), verifyCtx)
  expect(verifyCtx.report.outputs.differences).toBe('0')
  expect(verifyCtx.report.tables.map((r) => r.phase)).toEqual(['verified', 'verified'])

  // The handler's heartbeat moved the consumer position past T0.
  const after = await readControl(db, names.controlTable)
  const consumer = after?.tables.get(tables.todoBlue)?.consumer
  expect(consumer?.applied).toBeGreaterThan(0)
  expect(Date.parse(consumer?.position ?? '')).toBeGreaterThanOrEqual(
    Date.parse(after?.tables.get(tables.todoBlue)?.table.t0 ?? '') - 1000
  )

  // A write straight to green (not through replication) is reported with its key.
  await db.send(
    new PutItemCommand({ TableName: tables.todoGreen, Item: { ...hashKey(9999), v: { N: '1' } } })
  )
  const broken = makeCtx()
  await expect(replicate(req('verify'), broken)).rejects.toThrow(/item-9999/)
  expect(broken.report.outputs.differences).toBe('1')
})

test('no update is lost when prepare is killed mid-backfill and run again', async () => {
  const { ctx, db, tables, writer, req } = await setUp('qa', '11112222', 'live', '33334444')
  const names = replicationNames(deep('qa', '11112222'), deep('live', '33334444'))

  // Run 1 dies after 12 BatchWriteItem calls: every later call fails, like a killed process.
  const killer = killableDynamo(12)
  const killedCtx = makeCtx({ dynamodb: killer.client })
  await expect(replicate(req('prepare'), killedCtx, OPTIONS)).rejects.toThrow('killed')
  expect(killer.stats.killed).toBe(true)

  const partial = await readControl(db, names.controlTable)
  const first = [...(partial?.tables.values() ?? [])]
  expect(first.length).toBeGreaterThan(0)
  expect(first.every((t) => t.table.backfillDoneAt === undefined)).toBe(true)
  const copiedBefore = first.flatMap((t) => t.segments).reduce((n, s) => n + s.copied, 0)
  expect(copiedBefore).toBeGreaterThan(0)

  // status reports the backfill phase (−100…−1) from the checkpoints.
  const statusCtx = makeCtx()
  await replicate(req('status'), statusCtx)
  const progress = Number(statusCtx.report.outputs.progress)
  expect(progress).toBeGreaterThanOrEqual(-100)
  expect(progress).toBeLessThanOrEqual(-1)

  // start refuses while the backfill is unfinished, and changes nothing.
  const startCtx = makeCtx()
  await expect(replicate(req('start'), startCtx)).rejects.toThrow(/has not finished/)
  expect(startCtx.report.changed).toBe(false)

  // Run 2 resumes from the checkpoints (T0 kept) and finishes.
  const t0Before = first[0]?.table.t0
  const resumed = killableDynamo()
  await replicate(req('prepare'), makeCtx({ dynamodb: resumed.client }), OPTIONS)
  await new Promise((r) => setTimeout(r, 300))
  await writer.stop()
  const done = await readControl(db, names.controlTable)
  for (const t of done?.tables.values() ?? []) {
    expect(t.table.backfillDoneAt).toBeDefined()
    expect(t.segments.every((s) => s.done)).toBe(true)
  }
  expect(done?.tables.get(first[0]?.table.blue ?? '')?.table.t0).toBe(t0Before)
  // Resumed, not restarted: run 2 wrote fewer items than the whole of blue.
  const blueNow =
    ((await describeTable(db, tables.todoBlue))?.itemCount ?? 0) +
    ((await describeTable(db, tables.noteBlue))?.itemCount ?? 0)
  expect(resumed.stats.itemsWritten).toBeLessThan(blueNow - copiedBefore + 100)

  await deliver(ctx, [tables.todoBlue, tables.noteBlue], names.controlTable)
  const verifyCtx = makeCtx()
  await replicate(req('verify'), verifyCtx)
  expect(verifyCtx.report.outputs.differences).toBe('0')

  // A key deleted on blue during the run is gone from green too.
  const sample = await db.send(
    new GetItemCommand({ TableName: tables.todoGreen, Key: hashKey(0), ConsistentRead: true })
  )
  const blueSample = await db.send(
    new GetItemCommand({ TableName: tables.todoBlue, Key: hashKey(0), ConsistentRead: true })
  )
  expect(sample.Item).toEqual(blueSample.Item)
})
