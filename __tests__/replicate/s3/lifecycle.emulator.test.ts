/**
 * On the emulator, through the replicate commands: DEEP's private and public buckets paired from
 * env:hash, prepare (delivery set up before the copy, the copy, the catch-up pass after T0),
 * start, the function's work on blue's real S3 → EventBridge → queue events, status, verify,
 * repair, stop and terminate; someone else's notification configuration exactly as it was.
 * moto cannot run the function: the test is Lambda's poller of the events queue (deliverEvents).
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { describeRule } from '../../../src/aws/eventbridge.js'
import { listMappings } from '../../../src/aws/lambda.js'
import { getQueue } from '../../../src/aws/sqs.js'
import { readControl } from '../../../src/replicate/control.js'
import { replicate, status } from '../../../src/replicate/index.js'
import { replicationNames } from '../../../src/replicate/names.js'
import { deliveryNames } from '../../../src/replicate/s3/delivery.js'
import { ignoreRules } from '../../../src/replicate/s3/ignore.js'
import { deep, makeCtx, request } from '../helpers.js'
import {
  AWKWARD_KEYS,
  body,
  clients,
  createBucket,
  deliverEvents,
  put,
  rawNotification,
  snapshot,
  theirNotifications
} from './helpers.js'

const BLUE_PRIVATE = 'deep.stage.private.abcd1234'
const GREEN_PRIVATE = 'deep.prod.private.0a0b0c0d'
const BLUE_PUBLIC = 'deep.stage.public.abcd1234'
const GREEN_PUBLIC = 'deep.prod.public.0a0b0c0d'
const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', '0a0b0c0d'))
const delivery = deliveryNames(names.functionName)
const BUCKETS_ONLY = { resources: { tables: false, buckets: true } }
const OPTIONS = {
  waiterMinDelay: 1,
  notificationPropagationMs: 400,
  copyTuning: { pageSize: 4, checkpointEveryKeys: 3 }
}

/** Green's keys equal blue's, key by key (size and ETag), ignored keys left out on both sides. */
async function level(blue: string, green: string, kind: 'private' | 'public'): Promise<void> {
  const ignore = ignoreRules(kind)
  const only = (m: Map<string, string>) => new Map([...m].filter(([k]) => !ignore.ignores(k)))
  expect(only(await snapshot(clients().s3, green))).toEqual(
    only(await snapshot(clients().s3, blue))
  )
}

let original: string

beforeAll(async () => {
  for (const b of [BLUE_PRIVATE, GREEN_PRIVATE, BLUE_PUBLIC, GREEN_PUBLIC]) await createBucket(b)
  for (const key of AWKWARD_KEYS) await put(BLUE_PRIVATE, key, `v1 ${key}`)
  await put(BLUE_PRIVATE, 'temp/scratch.txt', 'ignored')
  await put(BLUE_PRIVATE, 'nested/temp/cache.bin', 'ignored too')
  await put(GREEN_PRIVATE, 'temp/green-own.txt', 'green keeps this')
  await put(BLUE_PUBLIC, 'index.html', 'blue site, ignored')
  await put(BLUE_PUBLIC, 'shared/app.js', 'shared code')
  await put(BLUE_PUBLIC, 'shared/a b/c+d.css', 'shared style')
  await put(GREEN_PUBLIC, 'index.html', 'green site, never touched')
  await theirNotifications(BLUE_PRIVATE)
  original = await rawNotification(BLUE_PRIVATE)
})

test('prepare sets up capture first, copies exactly the objects not ignored, and a catch-up pass after T0 takes what changed before it', async () => {
  const ctx = makeCtx()
  // While prepare waits for T0 (its first pass has listed everything by then), blue changes: only
  // the catch-up pass can bring that change over (events are not complete before T0).
  let changed = false
  const sleep = ctx.sleep
  ctx.sleep = async (ms) => {
    if (!changed && ctx.log.lines.at(-1)?.includes("waiting until blue's events are complete")) {
      changed = true
      await put(BLUE_PRIVATE, 'a b.txt', 'changed before T0')
    }
    await sleep(ms)
  }
  // T0 a few seconds after the delivery is in place, so that the first pass ends before it.
  await replicate(request('prepare', BUCKETS_ONLY), ctx, {
    ...OPTIONS,
    notificationPropagationMs: 4000
  })
  expect(changed).toBe(true)
  expect(ctx.report.plan.map((r) => r.status)).not.toContain('failed')
  const kinds = ctx.report.plan.map((r) => r.description.split(' (')[0] ?? '')
  // The pair is recorded and its delivery in place (T0) before the copy lists blue.
  const t0Row = ctx.report.plan.findIndex((r) => r.description.startsWith('Record T0'))
  const copyRow = ctx.report.plan.findIndex((r) => r.description.startsWith('Copy every object'))
  expect(t0Row).toBeGreaterThan(0)
  expect(copyRow).toBeGreaterThan(t0Row)
  expect(kinds.some((k) => k.startsWith('Turn on S3 → EventBridge'))).toBe(true)

  await level(BLUE_PRIVATE, GREEN_PRIVATE, 'private')
  await level(BLUE_PUBLIC, GREEN_PUBLIC, 'public')
  expect(await body(GREEN_PRIVATE, 'a b.txt')).toBe('changed before T0')
  const green = await snapshot(clients().s3, GREEN_PRIVATE)
  for (const key of AWKWARD_KEYS) expect(green.has(key)).toBe(true)
  expect(green.has('temp/scratch.txt')).toBe(false)
  expect(green.has('nested/temp/cache.bin')).toBe(false)
  expect(await body(GREEN_PRIVATE, 'temp/green-own.txt')).toBe('green keeps this')
  expect([...(await snapshot(clients().s3, GREEN_PUBLIC)).keys()].sort()).toEqual([
    'index.html',
    'shared/a b/c+d.css',
    'shared/app.js'
  ])
  expect(await body(GREEN_PUBLIC, 'index.html')).toBe('green site, never touched')

  // Their configuration is as it was, with EventBridge delivery added beside it.
  const during = await rawNotification(BLUE_PRIVATE)
  expect(during).toContain('<EventBridgeConfiguration')
  expect(during.replace(/<EventBridgeConfiguration><\/EventBridgeConfiguration>/, '')).toBe(
    original
  )

  const control = await readControl(clients().dynamodb, names.controlTable)
  const record = control?.buckets.get(BLUE_PRIVATE)?.record
  expect(record).toMatchObject({ green: GREEN_PRIVATE, kind: 'private', patterns: ['temp'] })
  expect(record?.copyDoneAt).toBeDefined()
  expect(control?.buckets.get(BLUE_PRIVATE)?.eventBridgeOnAt).toBeDefined()
  expect(await describeRule(clients().eventbridge, delivery.rule)).toMatchObject({
    state: 'ENABLED'
  })
  expect(ctx.report.outputs.progress).toBe('0')
})

test('a re-run of prepare changes nothing', async () => {
  const ctx = makeCtx()
  await replicate(request('prepare', BUCKETS_ONLY), ctx, OPTIONS)
  expect(ctx.report.plan).toEqual([])
  expect(ctx.report.changed).toBe(false)
})

test('start attaches the function to the events queue; blue changes in any order reach green through it, ignored keys do not', async () => {
  const ctx = makeCtx()
  await replicate(request('start', BUCKETS_ONLY), ctx, OPTIONS)
  expect(ctx.report.plan.map((r) => r.description)).toEqual([
    expect.stringMatching(/^Attach the replication function to the events queue/)
  ])
  const mappings = await listMappings(clients().lambda, { functionName: names.functionName })
  expect(mappings.map((m) => m.eventSourceArn)).toEqual([
    expect.stringMatching(new RegExp(`:${delivery.queue}$`))
  ])
  expect(await rawNotification(BLUE_PRIVATE)).toContain('<EventBridgeConfiguration')

  const s3 = clients().s3
  await put(BLUE_PRIVATE, 'new file + plus.txt', 'new')
  await put(BLUE_PRIVATE, 'c+d.txt', 'v2')
  await s3.send(new DeleteObjectCommand({ Bucket: BLUE_PRIVATE, Key: 'emoji/😀.png' }))
  await put(BLUE_PRIVATE, 'temp/later.txt', 'ignored')
  await s3.send(new DeleteObjectCommand({ Bucket: BLUE_PRIVATE, Key: 'temp/green-own.txt' }))
  await s3.send(
    new PutObjectCommand({
      Bucket: BLUE_PUBLIC,
      Key: 'shared/new.js',
      Body: 'x',
      ContentType: 'text/javascript'
    })
  )
  await put(BLUE_PUBLIC, 'index.html', 'blue site v2, ignored')

  const behind = await status(request('status', BUCKETS_ONLY), makeCtx())
  expect(behind.progress).toBeLessThan(100)
  const delivered = await deliverEvents(names)
  expect(delivered.failed).toEqual([])
  expect(delivered.batches).toBeGreaterThan(0)
  await level(BLUE_PRIVATE, GREEN_PRIVATE, 'private')
  await level(BLUE_PUBLIC, GREEN_PUBLIC, 'public')
  expect(await body(GREEN_PRIVATE, 'temp/green-own.txt')).toBe('green keeps this')
  expect(await body(GREEN_PUBLIC, 'index.html')).toBe('green site, never touched')

  const statusCtx = makeCtx()
  const caughtUp = await status(request('status', BUCKETS_ONLY), statusCtx)
  expect(caughtUp.progress).toBe(100)
  expect(statusCtx.report.tables.map((t) => [t.blue, t.phase, t.progress])).toEqual([
    [`s3://${BLUE_PRIVATE}`, 'events', 100],
    [`s3://${BLUE_PUBLIC}`, 'events', 100]
  ])
  const control = await readControl(clients().dynamodb, names.controlTable)
  expect(control?.buckets.get(BLUE_PRIVATE)?.consumer?.applied).toBeGreaterThan(0)
})

test('verify passes after replication, fails after a hand-made difference, and repair makes it pass again', async () => {
  const ok = makeCtx()
  await replicate(request('verify', BUCKETS_ONLY), ok, OPTIONS)
  expect(ok.report.outputs.differences).toBe('0')
  expect(ok.report.tables.map((t) => t.phase)).toEqual(['verified', 'verified'])
  expect(ok.report.notes.join(' ')).toMatch(
    /2 buckets \(\d+ objects compared, \d+ ignored\): green equals blue/
  )

  await put(GREEN_PRIVATE, 'a b.txt', 'edited by hand on green')
  await clients().s3.send(new DeleteObjectCommand({ Bucket: GREEN_PUBLIC, Key: 'shared/app.js' }))
  await put(GREEN_PRIVATE, 'temp/also-green.txt', 'ignored: no difference')
  const bad = makeCtx()
  await expect(replicate(request('verify', BUCKETS_ONLY), bad, OPTIONS)).rejects.toThrow(
    /differs from blue in 2 objects[\s\S]*a b.txt \(differs\)[\s\S]*shared\/app.js \(missing-on-green\)/
  )
  expect(bad.report.outputs.differences).toBe('2')

  const repair = makeCtx()
  await replicate(request('repair', BUCKETS_ONLY), repair, OPTIONS)
  expect(repair.report.plan.filter((r) => r.status === 'done')).toHaveLength(2)
  const again = makeCtx()
  await replicate(request('verify', BUCKETS_ONLY), again, OPTIONS)
  expect(again.report.outputs.differences).toBe('0')
  expect(await body(GREEN_PRIVATE, 'temp/also-green.txt')).toBe('ignored: no difference')
})

test('stop removes only the mapping: the events keep collecting and their configuration is unchanged', async () => {
  const before = await rawNotification(BLUE_PRIVATE)
  const ctx = makeCtx()
  await replicate(request('stop', BUCKETS_ONLY), ctx, OPTIONS)
  expect(ctx.report.plan.map((r) => r.description)).toEqual([
    expect.stringMatching(/^Detach the replication function from the events queue/)
  ])
  expect(await listMappings(clients().lambda, { functionName: names.functionName })).toEqual([])
  expect(await rawNotification(BLUE_PRIVATE)).toBe(before)
  expect(await describeRule(clients().eventbridge, delivery.rule)).toBeDefined()
  await put(BLUE_PRIVATE, 'while stopped.txt', 'waits in the queue')
  const queue = await getQueue(clients().sqs, delivery.queue)
  expect(queue).toBeDefined()
  const s = await status(request('status', BUCKETS_ONLY), makeCtx())
  expect(s.progress).toBe(0)
  // start again: the event that waited is applied.
  await replicate(request('start', BUCKETS_ONLY), makeCtx(), OPTIONS)
  expect((await deliverEvents(names)).failed).toEqual([])
  expect(await body(GREEN_PRIVATE, 'while stopped.txt')).toBe('waits in the queue')
})

test('terminate removes the mapping, the rule, the queue and the EventBridge switch it added: their configuration is byte-for-byte the original', async () => {
  const ctx = makeCtx()
  await replicate(request('terminate', BUCKETS_ONLY), ctx, OPTIONS)
  expect(ctx.report.plan.map((r) => r.status)).not.toContain('failed')
  expect(await rawNotification(BLUE_PRIVATE)).toBe(original)
  expect(await rawNotification(BLUE_PUBLIC)).not.toContain('EventBridgeConfiguration')
  expect(await describeRule(clients().eventbridge, delivery.rule)).toBeUndefined()
  expect(await getQueue(clients().sqs, delivery.queue)).toBeUndefined()
  expect(await readControl(clients().dynamodb, names.controlTable)).toBeUndefined()
  expect(ctx.report.tables.map((t) => t.note)).toEqual([
    'EventBridge delivery turned off again, as before prepare',
    'EventBridge delivery turned off again, as before prepare'
  ])
  const again = makeCtx()
  await replicate(request('terminate', BUCKETS_ONLY), again, OPTIONS)
  expect(again.report.changed).toBe(false)
})
