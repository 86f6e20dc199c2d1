/**
 * Backfill benchmark on the emulators (not part of `npm test`). Run `npm run bench:backfill`
 * (BENCH_ITEMS=20000 for a quicker run). Prints, first, on moto and on dynalite each: the
 * backfill (parallel scan + BatchWriteItem + a checkpoint per page) against a raw
 * Scan+BatchWriteItem loop copying the same items in the same run, and their ratio. Then, on moto:
 *   - a raw BatchWriteItem loop writing N items (25 a call, as many calls in flight as the
 *     backfill has) into an empty table, against the backfill copying the same N items
 *     (parallel scan + BatchWriteItem + a checkpoint per page) into another empty table of the
 *     same emulator: items/s of each and their ratio (target ≥ 0.8);
 *   - a backfill killed after 55 % of its writes and run again: the items written twice and the
 *     pages redone per segment (target ≤ 1).
 */
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
  type WriteRequest
} from '@aws-sdk/client-dynamodb'
import { waitForTableActive } from '../src/aws/dynamodb.js'
import type { Logger } from '../src/log.js'
import { backfill } from '../src/replicate/backfill.js'
import { createControlTable, putTableRecord, readControl } from '../src/replicate/control.js'
import { replicate } from '../src/replicate/index.js'
import { replicationNames } from '../src/replicate/names.js'
import { mapLimit } from '../src/concurrency.js'
import {
  countItems,
  createTable,
  deep,
  killableDynamo,
  makeCtx,
  request
} from '../__tests__/replicate/helpers.js'
import { dynaliteEndpoint } from '../__tests__/helpers/dynalite.js'
import { emulatorEndpoint } from '../__tests__/helpers/emulator.js'

const N = Number(process.env.BENCH_ITEMS ?? 100_000)
const SEGMENTS = Number(process.env.BENCH_SEGMENTS ?? 4)
const WRITE_CONCURRENCY = 8
const IN_FLIGHT = SEGMENTS * WRITE_CONCURRENCY

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}

function items(): Record<string, AttributeValue>[] {
  return Array.from({ length: N }, (_, i) => ({
    id: { S: `item-${String(i).padStart(7, '0')}` },
    v: { N: String(i) },
    body: { S: `benchmark item ${i} `.padEnd(64, '.') }
  }))
}

/** A logger that times the backfill group (the scan → write → checkpoint loop alone). */
function timingLogger(): Logger & { backfillMs: number; lines: string[] } {
  const logger = {
    backfillMs: 0,
    lines: [] as string[],
    info: (m: string) => {
      if (process.env.BENCH_VERBOSE !== undefined) out(m)
    },
    warn: (m: string) => {
      out(`warning: ${m}`)
    },
    debug: () => undefined,
    group: async <T>(title: string, fn: () => Promise<T>): Promise<T> => {
      const started = performance.now()
      try {
        return await fn()
      } finally {
        if (title.startsWith('Backfill')) logger.backfillMs += performance.now() - started
      }
    }
  }
  return logger
}

/** Writes `all` into `table`, 25 a call, IN_FLIGHT calls at once, every unprocessed item again. */
async function rawWrite(
  db: DynamoDBClient,
  table: string,
  all: Record<string, AttributeValue>[]
): Promise<void> {
  const batches: Record<string, AttributeValue>[][] = []
  for (let i = 0; i < all.length; i += 25) batches.push(all.slice(i, i + 25))
  await mapLimit(batches, IN_FLIGHT, async (batch) => {
    let pending: WriteRequest[] = batch.map((Item) => ({ PutRequest: { Item } }))
    while (pending.length > 0) {
      const res = await db.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }))
      pending = res.UnprocessedItems?.[table] ?? []
    }
  })
}

/** The raw Scan+BatchWriteItem loop: the same parallel scan piped into writes, nothing else. */
async function rawCopy(db: DynamoDBClient, from: string, to: string): Promise<void> {
  await Promise.all(
    Array.from({ length: SEGMENTS }, async (_, segment) => {
      let startKey: Record<string, AttributeValue> | undefined
      do {
        const page = await db.send(
          new ScanCommand({
            TableName: from,
            Segment: segment,
            TotalSegments: SEGMENTS,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey })
          })
        )
        const pageItems = page.Items ?? []
        const chunks: Record<string, AttributeValue>[][] = []
        for (let i = 0; i < pageItems.length; i += 25) chunks.push(pageItems.slice(i, i + 25))
        await mapLimit(chunks, WRITE_CONCURRENCY, async (batch) => {
          let pending: WriteRequest[] = batch.map((Item) => ({ PutRequest: { Item } }))
          while (pending.length > 0) {
            const res = await db.send(
              new BatchWriteItemCommand({ RequestItems: { [to]: pending } })
            )
            pending = res.UnprocessedItems?.[to] ?? []
          }
        })
        startKey = page.LastEvaluatedKey
      } while (startKey !== undefined)
    })
  )
}

const ENDPOINTS: [string, () => string][] = [
  ['moto 5.2.5', emulatorEndpoint],
  ['dynalite', dynaliteEndpoint]
]

/** Seconds `fn` takes. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await fn()
  return (performance.now() - started) / 1000
}

const ROUNDS = 2

test.each(ENDPOINTS)(
  `backfill against a raw Scan+BatchWriteItem loop on %s (${N} items)`,
  async (name, endpointOf) => {
    const db = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: endpointOf(),
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
    })
    const table = (t: string): string => `bench-${name.split(' ')[0] ?? 'x'}-${t}`
    const blue = table('blue')
    await createTable(db, blue, { hash: ['id', 'S'] })
    await waitForTableActive(db, blue, { minDelay: 1 })
    await rawWrite(db, blue, items())
    // Raw and backfill alternate, each into an empty table of its own, and the best round of
    // each counts: neither side gains from running on a warmer emulator.
    const raw: number[] = []
    const filled: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const [rawGreen, green, control] = ['raw', 'green', 'control'].map((t) =>
        table(`${t}${round}`)
      ) as [string, string, string]
      for (const t of [rawGreen, green]) await createTable(db, t, { hash: ['id', 'S'] })
      await createControlTable(db, control)
      for (const t of [rawGreen, green, control]) await waitForTableActive(db, t, { minDelay: 1 })
      const t0 = new Date()
      await putTableRecord(db, control, {
        blue,
        green,
        streamArn: `arn:aws:dynamodb:us-east-1:1:table/${blue}/stream/x`,
        streamEnabledByUs: true,
        t0: t0.toISOString(),
        segments: SEGMENTS,
        itemCount: N,
        backfillDoneAt: undefined,
        errors: [],
        greenHadItems: false
      })
      raw.push(await timed(() => rawCopy(db, blue, rawGreen)))
      filled.push(
        await timed(() =>
          backfill(
            {
              controlTable: control,
              blue,
              green,
              itemCount: N,
              t0,
              totalSegments: SEGMENTS,
              segments: Array.from({ length: SEGMENTS }, (_, i) => i),
              checkpoints: new Map()
            },
            {
              dynamodb: db,
              log: timingLogger(),
              now: () => new Date(),
              sleep: (ms) => new Promise((r) => setTimeout(r, ms))
            },
            { writeConcurrency: WRITE_CONCURRENCY }
          )
        )
      )
      expect(await countItems(db, green)).toBe(N)
      expect(await countItems(db, rawGreen)).toBe(N)
    }
    const bestRaw = Math.min(...raw)
    const bestFill = Math.min(...filled)
    const secs = (list: number[]): string => list.map((x) => `${x.toFixed(1)} s`).join(', ')
    out('')
    out(
      `backfill vs raw Scan+BatchWriteItem on ${name}: ${N} items of ~110 bytes, ${SEGMENTS} segments, ${WRITE_CONCURRENCY} writes in flight per segment, ${ROUNDS} rounds`
    )
    out(`  raw Scan+BatchWriteItem loop: ${secs(raw)}; best ${Math.round(N / bestRaw)} items/s`)
    out(
      `  backfill (scan + write + checkpoint + retries): ${secs(filled)}; best ${Math.round(N / bestFill)} items/s`
    )
    out(`  ratio backfill/raw (items/s): ${(bestRaw / bestFill).toFixed(2)}`)
  }
)

test(`backfill throughput against a raw BatchWriteItem loop (${N} items)`, async () => {
  const setup = makeCtx()
  const db = setup.clients.dynamodb
  for (const t of ['bench-blue', 'bench-green', 'bench-green2', 'bench-green3']) {
    await createTable(db, t, { hash: ['id', 'S'] })
  }

  // 1. Raw loop: the same N items, 25 per call, IN_FLIGHT calls at once, into empty bench-blue.
  const rawStart = performance.now()
  await rawWrite(db, 'bench-blue', items())
  const rawSeconds = (performance.now() - rawStart) / 1000
  const rawRate = N / rawSeconds

  // 2b. The I/O floor of a backfill: the same parallel scan piped into BatchWriteItem, with no
  // checkpoint, no retry of throttling, no progress (moto serialises a scanned item at about the
  // cost of writing one, so this is the fair reference for the backfill's own overhead).
  const floorStart = performance.now()
  await rawCopy(db, 'bench-blue', 'bench-green3')
  const floorSeconds = (performance.now() - floorStart) / 1000
  const floorRate = N / floorSeconds

  // 2. The backfill of the same items into empty bench-green, through `replicate prepare`.
  const timed = killableDynamo()
  const spent = new Map<string, { calls: number; ms: number }>()
  timed.client.middlewareStack.add(
    (next, context) => async (args) => {
      const started = performance.now()
      try {
        return await next(args)
      } finally {
        const name = context.commandName ?? 'unknown'
        const entry = spent.get(name) ?? { calls: 0, ms: 0 }
        entry.calls++
        entry.ms += performance.now() - started
        spent.set(name, entry)
      }
    },
    { step: 'initialize', name: 'timing' }
  )
  const ctx = makeCtx({ dynamodb: timed.client })
  const logger = timingLogger()
  ctx.log = logger
  const options = {
    settleMs: 0,
    waiterMinDelay: 1,
    tuning: { writeConcurrency: WRITE_CONCURRENCY }
  }
  await replicate(
    request('prepare', {
      blue: deep('bench', '11111111'),
      green: deep('benchgreen', '22222222'),
      tables: [{ blue: 'bench-blue', green: 'bench-green' }],
      segments: SEGMENTS
    }),
    ctx,
    options
  )
  const backfillSeconds = logger.backfillMs / 1000
  const backfillRate = N / backfillSeconds
  expect(await countItems(db, 'bench-green')).toBe(N)

  out('')
  out(
    `backfill benchmark, ${N} items of ~110 bytes, ${SEGMENTS} segments, ${IN_FLIGHT} BatchWriteItem calls in flight, moto 5.2.5`
  )
  out(`  raw BatchWriteItem loop: ${rawSeconds.toFixed(1)} s, ${Math.round(rawRate)} items/s`)
  out(
    `  backfill (scan+write+checkpoint): ${backfillSeconds.toFixed(1)} s, ${Math.round(backfillRate)} items/s`
  )
  for (const [name, e] of spent) {
    if (e.calls > 3) out(`    ${name}: ${e.calls} calls, ${(e.ms / e.calls).toFixed(1)} ms each`)
  }
  out(`  ratio backfill/raw: ${(backfillRate / rawRate).toFixed(2)} (target >= 0.8)`)
  out(
    `  raw scan+BatchWriteItem loop (no checkpoints): ${floorSeconds.toFixed(1)} s, ${Math.round(floorRate)} items/s`
  )
  out(`  ratio backfill/(raw scan+write): ${(backfillRate / floorRate).toFixed(2)}`)

  // 3. Kill after 55 % of the writes, run again. A page is redone when run 2 scans a page some
  // of whose items run 1 had already written (its checkpoint was not saved).
  const refs = { blue: deep('bench', '11111111'), green: deep('benchkill', '33333333') }
  const names = replicationNames(refs.blue, refs.green)
  const killReq = request('prepare', {
    ...refs,
    tables: [{ blue: 'bench-blue', green: 'bench-green2' }],
    segments: SEGMENTS
  })
  const killer = killableDynamo(Math.floor((N / 25) * 0.55))
  const writtenByRun1 = new Set<string>()
  killer.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args)
      if (context.commandName === 'BatchWriteItemCommand') {
        const input = args.input as { RequestItems?: Record<string, WriteRequest[]> }
        for (const list of Object.values(input.RequestItems ?? {})) {
          for (const r of list) writtenByRun1.add(r.PutRequest?.Item?.id?.S ?? '')
        }
      }
      return result
    },
    { step: 'initialize', name: 'recordWrites' }
  )
  const killed = makeCtx({ dynamodb: killer.client })
  killed.log = timingLogger()
  await expect(replicate(killReq, killed, options)).rejects.toThrow('killed')
  const afterKill = (await readControl(db, names.controlTable))?.tables.get('bench-blue')
  const checkpointed = afterKill?.segments.reduce((n, s) => n + s.copied, 0) ?? 0

  const resumed = killableDynamo()
  let redonePages = 0
  let resumedPages = 0
  resumed.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args)
      if (context.commandName === 'ScanCommand') {
        const page = (result.output as { Items?: Record<string, AttributeValue>[] }).Items ?? []
        resumedPages++
        if (page.some((item) => writtenByRun1.has(item.id?.S ?? ''))) redonePages++
      }
      return result
    },
    { step: 'initialize', name: 'findRedone' }
  )
  const resumedCtx = makeCtx({ dynamodb: resumed.client })
  resumedCtx.log = timingLogger()
  await replicate(killReq, resumedCtx, options)
  expect(await countItems(db, 'bench-green2')).toBe(N)
  const twice = killer.stats.itemsWritten + resumed.stats.itemsWritten - N
  out(
    `  kill after ${killer.stats.writes} BatchWriteItem calls: ${checkpointed} items checkpointed, ${killer.stats.itemsWritten} written`
  )
  out(
    `  resume: ${resumedPages} pages scanned, ${resumed.stats.itemsWritten} items written; ${twice} items written twice; ${redonePages} pages redone over ${SEGMENTS} segments (${(redonePages / SEGMENTS).toFixed(2)} per segment, target <= 1)`
  )
  expect(redonePages).toBeLessThanOrEqual(SEGMENTS)
})
