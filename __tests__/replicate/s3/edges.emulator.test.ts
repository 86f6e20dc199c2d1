/**
 * On the emulator, the edges of bucket replication through the replicate commands: bad input
 * changes nothing (a missing bucket, an unreadable ignore file, blue in another region), a dry
 * run plans every change and makes none, warnings for a green that keeps what replication deletes
 * and for a list that ignores everything, green in another region, an ignore file of the
 * repository, a killed prepare that resumes without copying finished objects again, repair of
 * the failure queue's S3 messages, and someone else's EventBridge switch left as it was.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  S3Client
} from '@aws-sdk/client-s3'
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand
} from '@aws-sdk/client-sqs'
import { getQueue } from '../../../src/aws/sqs.js'
import { readControl } from '../../../src/replicate/control.js'
import { replicate } from '../../../src/replicate/index.js'
import { replicationNames } from '../../../src/replicate/names.js'
import { deliveryNames } from '../../../src/replicate/s3/delivery.js'
import type { BucketSpec } from '../../../src/replicate/s3/pairing.js'
import { deep, makeCtx, request } from '../helpers.js'
import { body, clients, createBucket, put, rawNotification, snapshot } from './helpers.js'

const OPTIONS = { waiterMinDelay: 1, notificationPropagationMs: 0, copyTuning: { pageSize: 5 } }

/** A request for these bucket pairs only, between blue and green of their own. */
function bucketsRequest(
  action: Parameters<typeof request>[0],
  env: { blue: string; green: string },
  buckets: BucketSpec[],
  more: Parameters<typeof request>[1] = {}
) {
  return request(action, {
    blue: deep('stage', env.blue),
    green: deep('prod', env.green),
    buckets,
    resources: { tables: false, buckets: true },
    ...more
  })
}

/** A copy of the context's S3 client that counts (and can refuse, as if killed) its calls. */
function countingS3(killAfterCopies = Infinity): { client: S3Client; copies: () => number } {
  const client = new S3Client({ region: 'us-east-1', forcePathStyle: true })
  let started = 0
  let copies = 0
  let killed = false
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (killed) throw new Error('killed')
      if (context.commandName === 'CopyObjectCommand') {
        if (started >= killAfterCopies) {
          killed = true
          throw new Error('killed')
        }
        started++
        const result = await next(args)
        copies++
        return result
      }
      return next(args)
    },
    { step: 'initialize', name: 'countCopies' }
  )
  return { client, copies: () => copies }
}

test('bad input gets a clear error and changes nothing: a missing bucket, an unreadable ignore file, blue outside the region', async () => {
  await createBucket('bad-green')
  await clients()
    .s3In('eu-west-1')
    .send(
      new CreateBucketCommand({
        Bucket: 'bad-blue-eu',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' }
      })
    )
  const env = { blue: 'bad00001', green: 'bad00002' }
  const cases: [ReturnType<typeof bucketsRequest>, RegExp][] = [
    [
      bucketsRequest('prepare', env, [
        { blue: 'no-such-blue', green: 'bad-green', kind: 'private' }
      ]),
      /blue bucket no-such-blue \(private\) does not exist/
    ],
    [
      bucketsRequest(
        'prepare',
        env,
        [{ blue: 'bad-blue-eu', green: 'bad-green', kind: 'private' }],
        {
          privateIgnore: ['./no/such/file.ignore']
        }
      ),
      /input 'private-ignore' = ".\/no\/such\/file.ignore": cannot read the ignore file/
    ],
    [
      bucketsRequest('prepare', env, [
        { blue: 'bad-blue-eu', green: 'bad-green', kind: 'private' }
      ]),
      /blue bucket bad-blue-eu is in eu-west-1, but replication runs in us-east-1.*Set `region: eu-west-1`/
    ],
    [
      bucketsRequest('start', env, [{ blue: 'bad-blue-eu', green: 'bad-green', kind: 'private' }]),
      /nothing is prepared for this blue\/green pair.*run `replicate prepare` first/
    ]
  ]
  for (const [req, message] of cases) {
    const ctx = makeCtx()
    await expect(replicate(req, ctx, OPTIONS)).rejects.toThrow(message)
    expect(ctx.report.changed).toBe(false)
  }
  const names = replicationNames(deep('stage', env.blue), deep('prod', env.green))
  expect(await readControl(clients().dynamodb, names.controlTable)).toBeUndefined()
  expect(await rawNotification('bad-blue-eu')).not.toContain('EventBridge')
})

test('a dry run lists every bucket change and makes none; a green that keeps deleted objects, or lives elsewhere, is a warning', async () => {
  await createBucket('dry-blue')
  await createBucket('dry-green')
  await clients().s3.send(
    new PutBucketVersioningCommand({
      Bucket: 'dry-green',
      VersioningConfiguration: { Status: 'Enabled' }
    })
  )
  await put('dry-blue', 'k.txt', 'x')
  const env = { blue: 'dry00001', green: 'dry00002' }
  const ctx = makeCtx()
  const req = bucketsRequest(
    'prepare',
    env,
    [{ blue: 'dry-blue', green: 'dry-green', kind: 'private' }],
    {
      dryRun: true
    }
  )
  await replicate(req, ctx, OPTIONS)
  expect(ctx.report.changed).toBe(false)
  expect(ctx.report.plan.map((r) => [r.resource, r.status])).toEqual([
    [expect.stringMatching(/^bluegreen-replication-stage-dry00001/), 'planned'],
    [expect.stringMatching(/-failures$/), 'planned'],
    [expect.any(String), 'planned'],
    [expect.any(String), 'planned'],
    [expect.any(String), 'planned'],
    ['dry-blue', 'planned'],
    [expect.stringMatching(/-s3$/), 'planned'],
    [expect.stringMatching(/-s3-events$/), 'planned'],
    [expect.stringMatching(/-failures$/), 'planned'],
    [expect.stringMatching(/-s3$/), 'planned'],
    ['dry-blue', 'planned'],
    ['dry-blue', 'planned'],
    ['dry-green', 'planned']
  ])
  expect(ctx.report.plan.map((r) => r.description).join('\n')).toMatch(
    /PutBucketNotificationConfiguration[\s\S]*CopyObject/
  )
  expect(ctx.report.warnings).toEqual([
    expect.stringMatching(/green bucket dry-green has versioning enabled/)
  ])
  expect(await rawNotification('dry-blue')).not.toContain('EventBridge')
  expect((await snapshot(clients().s3, 'dry-green')).size).toBe(0)
})

test('green in another region is copied to across regions; an ignore file of the repository is the list; a list that ignores everything warns', async () => {
  await createBucket('far-blue')
  await clients()
    .s3In('eu-west-1')
    .send(
      new CreateBucketCommand({
        Bucket: 'far-green',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' }
      })
    )
  await createBucket('all-blue')
  await createBucket('all-green')
  for (const key of ['keep/a.txt', 'logs/x.log', 'b.txt']) await put('far-blue', key, key)
  await put('all-blue', 'something.txt', 'x')
  const repo = mkdtempSync(path.join(tmpdir(), 'bluegreen-repo-'))
  mkdirSync(path.join(repo, '.github'))
  writeFileSync(path.join(repo, '.github', 'private.ignore'), '# logs stay on blue\nlogs/\n')
  const saved = process.env.GITHUB_WORKSPACE
  process.env.GITHUB_WORKSPACE = repo
  try {
    const ctx = makeCtx()
    const req = bucketsRequest(
      'prepare',
      { blue: 'far00001', green: 'far00002' },
      [
        { blue: 'far-blue', green: 'far-green', kind: 'private' },
        { blue: 'all-blue', green: 'all-green', kind: 'public' }
      ],
      { privateIgnore: ['.github/private.ignore'], publicIgnore: ['*'] }
    )
    await replicate(req, ctx, OPTIONS)
    expect([...(await snapshot(clients().s3In('eu-west-1'), 'far-green')).keys()].sort()).toEqual([
      'b.txt',
      'keep/a.txt'
    ])
    expect(ctx.report.warnings).toEqual([
      expect.stringMatching(/far-green is in eu-west-1: objects are copied across regions/),
      expect.stringMatching(/the public ignore list \(\*\) ignores all 1 objects of all-blue/)
    ])
    const names = replicationNames(deep('stage', 'far00001'), deep('prod', 'far00002'))
    const record = (await readControl(clients().dynamodb, names.controlTable))?.buckets.get(
      'far-blue'
    )?.record
    expect(record).toMatchObject({ patterns: ['logs/'], greenRegion: 'eu-west-1' })
  } finally {
    if (saved === undefined) delete process.env.GITHUB_WORKSPACE
    else process.env.GITHUB_WORKSPACE = saved
  }
})

test('a killed prepare resumes from its checkpoint without copying finished objects again', async () => {
  await createBucket('kill-blue')
  await createBucket('kill-green')
  const keys = Array.from({ length: 30 }, (_, i) => `obj/${String(i).padStart(2, '0')} x+y.txt`)
  for (const key of keys) await put('kill-blue', key, key)
  const req = bucketsRequest('prepare', { blue: 'kill0001', green: 'kill0002' }, [
    { blue: 'kill-blue', green: 'kill-green', kind: 'private' }
  ])
  const tuning = { ...OPTIONS, copyTuning: { pageSize: 5, concurrency: 2, checkpointEveryKeys: 2 } }
  const first = countingS3(12)
  await expect(replicate(req, makeCtx({ s3: first.client }), tuning)).rejects.toThrow()
  expect(first.copies()).toBe(12)
  const second = countingS3()
  const ctx = makeCtx({ s3: second.client })
  await replicate(req, ctx, tuning)
  // Every object is on green and was copied exactly once over the two runs.
  expect(second.copies()).toBe(30 - 12)
  expect([...(await snapshot(clients().s3, 'kill-green')).keys()]).toEqual(keys)
})

test('repair applies the S3 events in the failure queue key by key, and compares the buckets whole for a message it cannot read', async () => {
  await createBucket('fix-blue')
  await createBucket('fix-green')
  await put('fix-blue', 'first.txt', 'one')
  const req = (action: Parameters<typeof request>[0]) =>
    bucketsRequest(action, { blue: 'fix00001', green: 'fix00002' }, [
      { blue: 'fix-blue', green: 'fix-green', kind: 'private' }
    ])
  await replicate(req('prepare'), makeCtx(), OPTIONS)
  await replicate(req('start'), makeCtx(), OPTIONS)
  const names = replicationNames(deep('stage', 'fix00001'), deep('prod', 'fix00002'))
  const sqs = clients().sqs
  const events = await getQueue(sqs, deliveryNames(names.functionName).queue)
  const failures = await getQueue(sqs, names.failureQueue)
  if (events === undefined || failures === undefined) throw new Error('queues missing')
  // An event the function kept failing on: the events queue's redrive moves it, as it is, to the
  // failure queue.
  await put('fix-blue', 'late key.txt', 'applied by repair')
  const got = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: events.url, MaxNumberOfMessages: 10 })
  )
  expect(got.Messages?.length).toBe(1)
  for (const m of got.Messages ?? []) {
    await sqs.send(new SendMessageCommand({ QueueUrl: failures.url, MessageBody: m.Body ?? '' }))
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: events.url, ReceiptHandle: m.ReceiptHandle ?? '' })
    )
  }
  await sqs.send(new SendMessageCommand({ QueueUrl: failures.url, MessageBody: 'not an event' }))
  const status = makeCtx()
  await replicate(req('status'), status, OPTIONS)
  expect(status.report.warnings.join(' ')).toMatch(/2 failed batches are in/)

  // A difference no event names: only the whole comparison (for the unreadable message) finds it.
  await put('fix-green', 'first.txt', 'drifted on green')

  await replicate(req('repair'), makeCtx(), OPTIONS)
  expect(await body('fix-green', 'late key.txt')).toBe('applied by repair')
  expect(await body('fix-green', 'first.txt')).toBe('one')
  const after = makeCtx()
  await replicate(req('status'), after, OPTIONS)
  expect(after.report.warnings).toEqual([])
  await replicate(req('terminate'), makeCtx(), OPTIONS)
})

test("someone else's EventBridge switch is used without a write, and stays on after terminate", async () => {
  await createBucket('eb-blue')
  await createBucket('eb-green')
  await clients().s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: 'eb-blue',
      NotificationConfiguration: { EventBridgeConfiguration: {} }
    })
  )
  const before = await rawNotification('eb-blue')
  const req = (action: Parameters<typeof request>[0]) =>
    bucketsRequest(action, { blue: 'eb000001', green: 'eb000002' }, [
      { blue: 'eb-blue', green: 'eb-green', kind: 'private' }
    ])
  const ctx = makeCtx()
  await replicate(req('prepare'), ctx, OPTIONS)
  expect(ctx.report.plan.map((r) => r.description).join('\n')).not.toMatch(
    /PutBucketNotificationConfiguration/
  )
  await replicate(req('start'), makeCtx(), OPTIONS)
  await replicate(req('stop'), makeCtx(), OPTIONS)
  const end = makeCtx()
  await replicate(req('terminate'), end, OPTIONS)
  expect(await rawNotification('eb-blue')).toBe(before)
  expect(end.report.tables.map((t) => t.note)).toEqual([
    'notification configuration left as it was'
  ])
})
