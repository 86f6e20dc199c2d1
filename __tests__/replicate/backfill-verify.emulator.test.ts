/**
 * The backfill, verify and the table comparison repair uses, against two independent DynamoDB
 * implementations: moto, and dynalite (stricter request validation). The same tests, the same
 * code, two endpoints: a test that passes only because one emulator is lenient fails on the other.
 */
import {
  DynamoDBClient,
  DeleteItemCommand,
  PutItemCommand,
  type AttributeValue
} from '@aws-sdk/client-dynamodb'
import { sampleTypeViolations, waitForTableActive } from '../../src/aws/dynamodb.js'
import { memoryLogger } from '../../src/log.js'
import { backfill, type BackfillJob } from '../../src/replicate/backfill.js'
import { createControlTable, putTableRecord, readControl } from '../../src/replicate/control.js'
import { resyncTable } from '../../src/replicate/repair.js'
import { diffTable } from '../../src/replicate/verify.js'
import { dynaliteEndpoint } from '../helpers/dynalite.js'
import { emulatorEndpoint } from '../helpers/emulator.js'
import { countItems, createScoredTable, createTable, REGION } from './helpers.js'

const ENDPOINTS: [string, () => string][] = [
  ['moto', emulatorEndpoint],
  ['dynalite', dynaliteEndpoint]
]

const fast = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.min(ms, 20)))

/** Items of every attribute type (one in five about 20 KB). */
function richItem(i: number): Record<string, AttributeValue> {
  return {
    pk: { S: `user-${i % 7}` },
    bin: { B: Buffer.from([i % 256, Math.floor(i / 256), 7]) },
    n: { N: String(i * 1.5) },
    flag: { BOOL: i % 2 === 0 },
    nothing: { NULL: true },
    tags: { SS: ['a', `t${i}`] },
    scores: { NS: ['1', String(i + 2)] },
    blobs: { BS: [Buffer.from('x'), Buffer.from(`b${i}`)] },
    list: { L: [{ S: 'one' }, { N: '2' }, { M: { deep: { S: `d${i}` } } }] },
    map: { M: { name: { S: `item ${i}` }, nested: { L: [{ BOOL: false }] } } },
    body: { S: 'x'.repeat(i % 5 === 0 ? 20_000 : 40) }
  }
}

describe.each(ENDPOINTS)('on %s', (name, endpointOf) => {
  let db: DynamoDBClient
  let n = 0
  const unique = (base: string): string => `${base}-${name}-${++n}-${Date.now() % 100000}`

  beforeAll(() => {
    db = new DynamoDBClient({
      region: REGION,
      endpoint: endpointOf(),
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
    })
  })

  async function pair(count: number) {
    const blue = unique('blue')
    const green = unique('green')
    const control = unique('control')
    for (const t of [blue, green]) await createTable(db, t, { hash: ['pk', 'S'] })
    await createControlTable(db, control)
    for (const t of [blue, green, control]) await waitForTableActive(db, t, { minDelay: 1 })
    await putTableRecord(db, control, {
      blue,
      green,
      streamArn: `arn:aws:dynamodb:${REGION}:1:table/${blue}/stream/x`,
      streamEnabledByUs: true,
      t0: new Date().toISOString(),
      segments: 3,
      itemCount: 0,
      backfillDoneAt: undefined,
      errors: [],
      greenHadItems: false
    })
    for (let i = 0; i < count; i++) {
      await db.send(
        new PutItemCommand({ TableName: blue, Item: { ...richItem(i), pk: { S: `k${i}` } } })
      )
    }
    return { blue, green, control }
  }

  const job = (
    t: { blue: string; green: string; control: string },
    more: Partial<BackfillJob> = {}
  ): BackfillJob => ({
    controlTable: t.control,
    blue: t.blue,
    green: t.green,
    itemCount: 0,
    t0: new Date(),
    totalSegments: 3,
    segments: [0, 1, 2],
    checkpoints: new Map(),
    ...more
  })
  const deps = () => ({ dynamodb: db, log: memoryLogger(), now: () => new Date(), sleep: fast })
  const schema = { hash: { name: 'pk', type: 'S' as const }, range: undefined }

  test('the backfill copies every item of every attribute type, and verify finds them equal', async () => {
    const t = await pair(60)
    const result = await backfill(job(t), deps(), { pageSize: 7 })
    expect(result.copied).toBe(60)
    expect(await countItems(db, t.green)).toBe(60)
    const control = await readControl(db, t.control)
    expect(control?.tables.get(t.blue)?.segments.map((s) => s.done)).toEqual([true, true, true])
    const diff = await diffTable(db, { ...t, schema }, { segments: 2, sleep: fast })
    expect(diff).toEqual(expect.objectContaining({ blueItems: 60, greenItems: 60, differing: 0 }))
  })

  test('a backfill killed mid-way resumes from its checkpoints and copies the rest', async () => {
    const t = await pair(80)
    const dying = new DynamoDBClient({
      region: REGION,
      endpoint: endpointOf(),
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
    })
    let writes = 0
    dying.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchWriteItemCommand' && ++writes > 3)
          throw new Error('killed')
        return next(args)
      },
      { step: 'initialize', name: 'kill' }
    )
    await expect(backfill(job(t), { ...deps(), dynamodb: dying }, { pageSize: 5 })).rejects.toThrow(
      'killed'
    )
    const partial = await countItems(db, t.green)
    expect(partial).toBeGreaterThan(0)
    expect(partial).toBeLessThan(80)
    const segments = (await readControl(db, t.control))?.tables.get(t.blue)?.segments ?? []
    expect(segments.some((s) => s.copied > 0)).toBe(true)
    const resumed = await backfill(
      job(t, { checkpoints: new Map(segments.map((s) => [s.segment, s])) }),
      deps(),
      { pageSize: 5 }
    )
    expect(resumed.copied).toBeLessThan(80)
    expect(await countItems(db, t.green)).toBe(80)
    const diff = await diffTable(db, { ...t, schema }, { segments: 3, sleep: fast })
    expect(diff.differing).toBe(0)
  })

  test('verify names a stale, a missing and a green-only key; the comparison repair uses fixes all three', async () => {
    const t = await pair(30)
    await backfill(job(t), deps(), { pageSize: 10 })
    await db.send(
      new PutItemCommand({ TableName: t.green, Item: { pk: { S: 'k3' }, n: { N: '999' } } })
    )
    await db.send(new DeleteItemCommand({ TableName: t.green, Key: { pk: { S: 'k4' } } }))
    await db.send(new PutItemCommand({ TableName: t.green, Item: { pk: { S: 'only-green' } } }))
    const before = await diffTable(db, { ...t, schema }, { segments: 2, sleep: fast })
    expect(before.differing).toBe(3)
    expect(before.sample.join(' ')).toMatch(/k3.*k4.*only-green|k3.*only-green.*k4/s)
    const fixed = await resyncTable({ dynamodb: db, sleep: fast, segments: 2 }, { ...t, schema })
    expect(fixed).toEqual({ applied: 3, remaining: [] })
    const after = await diffTable(db, { ...t, schema }, { segments: 2, sleep: fast })
    expect(after).toEqual(expect.objectContaining({ differing: 0, blueItems: 30, greenItems: 30 }))
  })

  test("a green index whose key type blue's items break: found by the preflight sample, and every such write is refused", async () => {
    const blue = unique('blue')
    const green = unique('green')
    const control = unique('control')
    await createTable(db, blue, { hash: ['pk', 'S'] })
    await createScoredTable(db, green, 'pk')
    await createControlTable(db, control)
    for (const x of [blue, green, control]) await waitForTableActive(db, x, { minDelay: 1 })
    await db.send(
      new PutItemCommand({ TableName: blue, Item: { pk: { S: 'ok' }, score: { N: '1' } } })
    )
    await db.send(
      new PutItemCommand({ TableName: blue, Item: { pk: { S: 'bad' }, score: { S: 'high' } } })
    )
    const violations = await sampleTypeViolations(db, {
      table: blue,
      keySchema: schema,
      attributes: [{ name: 'score', type: 'N' }],
      limit: 100
    })
    expect(violations).toEqual([
      { attribute: 'score', expected: 'N', actual: 'S', key: JSON.stringify({ pk: { S: 'bad' } }) }
    ])
    await expect(
      backfill(job({ blue, green, control }, { totalSegments: 1, segments: [0] }), deps())
    ).rejects.toThrow(/Type mismatch for Index Key score/)
  })
})
