/**
 * Bucket replication through the built action (`node dist/index.js` with INPUT_* variables, as the
 * runner calls it) on the emulator: the dry run lists every bucket change and makes none; then
 * prepare with `wait: false` (the catch-up pass left to the next prepare once T0 has come), start,
 * status, verify, stop and terminate, with someone else's notification configuration exactly as
 * it was. Time to T0 is not waited out here: the test moves the recorded T0 back instead.
 */
import { getRole } from '../../../src/aws/iam.js'
import { getFunction } from '../../../src/aws/lambda.js'
import { readControl } from '../../../src/replicate/control.js'
import { replicationNames } from '../../../src/replicate/names.js'
import { runAction } from '../../helpers/action.js'
import { countItems, createTable, deep, hashKey, seed } from '../helpers.js'
import {
  body,
  clients,
  createBucket,
  deliverEvents,
  put,
  rawNotification,
  snapshot,
  theirNotifications
} from './helpers.js'
import { bucketT0Reached } from '../../helpers/bucket-clock.js'

const BLUE = 'deep.stage.private.ac710001'
const GREEN = 'deep.prod.private.ac710002'
const names = replicationNames(deep('stage', 'ac710001'), deep('prod', 'ac710002'))
const inputs = { blue: 'stage:ac710001', green: 'prod:ac710002', wait: 'false' }

let original: string

beforeAll(async () => {
  await createBucket(BLUE)
  await createBucket(GREEN)
  for (const key of ['a b.txt', 'c+d/é.txt', 'temp/skip.txt']) await put(BLUE, key, key)
  await theirNotifications(BLUE)
  original = await rawNotification(BLUE)
})

/** The recorded T0 of the pair moved to just after its first copy pass began (time passed). */
const t0Reached = () => bucketT0Reached(clients().dynamodb, names.controlTable, [BLUE])

test('replicate prepare --dry-run lists every bucket change and makes none', async () => {
  const run = await runAction({ ...inputs, command: 'replicate prepare', 'dry-run': 'true' })
  expect(run.stdout).not.toMatch(/::error::/)
  expect(run.code).toBe(0)
  expect(run.outputs.changed).toBe('false')
  for (const call of [
    'PutBucketNotificationConfiguration',
    'PutRule',
    'CreateQueue, SetQueueAttributes',
    'PutTargets',
    'CopyObject',
    'PutRolePolicy',
    'CreateFunction'
  ])
    expect(run.summary).toContain(call)
  expect(run.summary).toContain(BLUE)
  // Nothing is prepared yet: the summary says so, rather than a figure of −100 %.
  expect(run.summary).toContain('**Nothing prepared yet: run replicate prepare')
  expect(run.summary).not.toMatch(/-100 ?%|NaN/)
  expect(await rawNotification(BLUE)).toBe(original)
  expect(await readControl(clients().dynamodb, names.controlTable)).toBeUndefined()
})

test('prepare, start, status, verify, stop and terminate through the action; their configuration is as it was', async () => {
  const prepared = await runAction({ ...inputs, command: 'replicate prepare' })
  expect(prepared.stdout).not.toMatch(/::error::/)
  expect(prepared.code).toBe(0)
  expect(prepared.outputs.progress).toBe('-1')
  expect(prepared.summary).toMatch(/catch-up pass runs at the next `replicate prepare`/)
  const refused = await runAction({ ...inputs, command: 'replicate start' })
  expect(refused.code).toBe(1)
  expect(refused.stdout).toMatch(/needs its catch-up pass/)

  await put(BLUE, 'a b.txt', 'changed while the first pass ran')
  await t0Reached()
  const caughtUp = await runAction({ ...inputs, command: 'replicate prepare' })
  expect(caughtUp.code).toBe(0)
  expect(caughtUp.outputs.progress).toBe('0')
  expect(await body(GREEN, 'a b.txt')).toBe('changed while the first pass ran')
  expect([...(await snapshot(clients().s3, GREEN)).keys()].sort()).toEqual(['a b.txt', 'c+d/é.txt'])

  const started = await runAction({ ...inputs, command: 'replicate start' })
  expect(started.code).toBe(0)
  await put(BLUE, 'new.txt', 'after start')
  const behind = await runAction({ ...inputs, command: 'replicate status' })
  expect(Number(behind.outputs.progress)).toBeLessThan(100)
  expect((await deliverEvents(names)).failed).toEqual([])
  const status = await runAction({ ...inputs, command: 'replicate status' })
  expect(status.outputs.progress).toBe('100')
  expect(status.summary).toContain(`s3://${BLUE}`)
  expect(status.summary).toContain('**Overall: 100 % — green has caught up with blue (1 pair).**')
  const verified = await runAction({ ...inputs, command: 'replicate verify' })
  expect(verified.code).toBe(0)
  expect(verified.outputs.differences).toBe('0')

  const withDelivery = await rawNotification(BLUE)
  const stopped = await runAction({ ...inputs, command: 'replicate stop' })
  expect(stopped.code).toBe(0)
  expect(await rawNotification(BLUE)).toBe(withDelivery)
  const terminated = await runAction({ ...inputs, command: 'replicate terminate' })
  expect(terminated.code).toBe(0)
  expect(await rawNotification(BLUE)).toBe(original)
})

test('without tables, buckets or resources, replicate covers both kinds it can pair: one function, one role, one status', async () => {
  const db = clients().dynamodb
  await createTable(db, 'DeepStageTodoboth0001', { hash: ['id', 'S'] })
  await createTable(db, 'DeepProdTodoboth0002', { hash: ['id', 'S'] })
  await seed(db, 'DeepStageTodoboth0001', hashKey, 5)
  await createBucket('deep.stage.public.both0001')
  await createBucket('deep.prod.public.both0002')
  await put('deep.stage.public.both0001', 'shared/app.js', 'js')
  const both = { blue: 'stage:both0001', green: 'prod:both0002', wait: 'false' }
  const prepared = await runAction({ ...both, command: 'replicate prepare' })
  expect(prepared.stdout).not.toMatch(/::error::/)
  expect(prepared.code).toBe(0)
  const own = replicationNames(deep('stage', 'both0001'), deep('prod', 'both0002'))
  const fn = await getFunction(clients().lambda, own.functionName)
  expect(JSON.parse(fn?.environment.BLUEGREEN_TABLE_MAP ?? '{}')).toEqual({
    DeepStageTodoboth0001: 'DeepProdTodoboth0002'
  })
  expect(
    Object.keys(JSON.parse(fn?.environment.BLUEGREEN_BUCKET_MAP ?? '{}') as Record<string, unknown>)
  ).toEqual(['deep.stage.public.both0001'])
  const role = await getRole(clients().iam, own.roleName, { inlinePolicyName: own.policyName })
  const sids = (
    JSON.parse(role?.inlinePolicy ?? '{}') as { Statement: { Sid: string }[] }
  ).Statement.map((s) => s.Sid)
  expect(sids).toEqual(
    expect.arrayContaining(['ReadBlue', 'ReadStreams', 'ReadBlueObjects', 'ObjectEvents'])
  )
  expect(await countItems(db, 'DeepProdTodoboth0002')).toBe(5)
  expect(await body('deep.prod.public.both0002', 'shared/app.js')).toBe('js')
  const status = await runAction({ ...both, command: 'replicate status' })
  expect(status.summary).toContain('DeepStageTodoboth0001')
  expect(status.summary).toContain('s3://deep.stage.public.both0001')
  const terminated = await runAction({ ...both, command: 'replicate terminate' })
  expect(terminated.code).toBe(0)
  expect(await getFunction(clients().lambda, own.functionName)).toBeUndefined()
})
