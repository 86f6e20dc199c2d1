/**
 * On the emulator: blue's object changes delivered S3 → EventBridge → our queue (the adapters in
 * the order start uses them), applied by the function's bucket logic; the documented event shapes
 * applied in any order; ignored keys untouched; failures reported per message; and someone else's
 * notification configuration left exactly as it was.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  type NotificationConfiguration
} from '@aws-sdk/client-s3'
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs'
import fc from 'fast-check'
import {
  putQueueTarget,
  putS3Rule,
  removeOurRule,
  describeRule
} from '../../../src/aws/eventbridge.js'
import { ensureEventBridge, removeEventBridge } from '../../../src/aws/s3.js'
import { createQueue, ensureEventQueue } from '../../../src/aws/sqs.js'
import {
  handleS3Event,
  type BucketRoute,
  type S3ApplyDeps
} from '../../../src/replicate/s3/apply.js'
import { deliveryNames, MAX_RECEIVE_COUNT } from '../../../src/replicate/s3/delivery.js'
import { ignoreRules } from '../../../src/replicate/s3/ignore.js'
import { formEncode, notificationRecord } from './fixtures.js'
import {
  AWKWARD_KEYS,
  REGION,
  body,
  clients,
  createBucket,
  pollQueue,
  put,
  snapshot
} from './helpers.js'

const sqs = new SQSClient({ region: REGION })
let n = 0

function deps(buckets: Record<string, BucketRoute>): S3ApplyDeps & { errors: string[] } {
  const errors: string[] = []
  return {
    source: clients().s3,
    target: clients().s3,
    buckets: new Map(Object.entries(buckets)),
    sleep: () => Promise.resolve(),
    logError: (m) => errors.push(m),
    errors
  }
}

/** S3 → EventBridge → queue for `buckets`, set up the way `start` does it; returns the queue URL. */
async function attachDelivery(buckets: string[]): Promise<{ url: string; rule: string }> {
  n++
  const names = deliveryNames(`bluegreen-replication-test-${n}`)
  const failures = await createQueue(sqs, `${names.queue}-failures`)
  for (const b of buckets) await ensureEventBridge(clients().s3, b)
  const ruleArn = await putS3Rule(clients().eventbridge, {
    name: names.rule,
    buckets,
    description: 'test',
    enabled: true
  })
  const queue = await ensureEventQueue(sqs, {
    name: names.queue,
    ruleArn,
    deadLetterArn: failures.arn,
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: MAX_RECEIVE_COUNT
  })
  await putQueueTarget(clients().eventbridge, {
    rule: names.rule,
    id: names.targetId,
    queueArn: queue.arn,
    deadLetterArn: failures.arn
  })
  return { url: queue.url, rule: names.rule }
}

/** What the event source mapping does: receive batches, call the function, delete what it applied. */
async function drain(url: string, d: S3ApplyDeps): Promise<{ batches: number; failed: string[] }> {
  return pollQueue({ url, arn: 'arn:aws:sqs:us-east-1:123456789012:q' }, (event) =>
    handleS3Event(event, d)
  )
}

test('S3 → EventBridge → queue → function: creates, copies and deletes on blue reach green, ignored keys do not', async () => {
  const blue = 'deep.stage.private.e2e00001'
  const green = 'deep.prod.private.e2e00001'
  await createBucket(blue)
  await createBucket(green)
  await put(green, 'temp/green-own.txt', 'green keeps this')
  const { url } = await attachDelivery([blue])
  for (const key of AWKWARD_KEYS) await put(blue, key, `v1 ${key}`)
  await put(blue, 'a b.txt', 'v2 a b.txt')
  await put(blue, 'temp/scratch.txt', 'ignored')
  await put(blue, 'temp/green-own.txt', 'blue version, ignored')
  await clients().s3.send(
    new CopyObjectCommand({
      Bucket: blue,
      Key: 'copied/c+d copy.txt',
      CopySource: `${blue}/${encodeURIComponent('c+d.txt')}`
    })
  )
  await clients().s3.send(new DeleteObjectCommand({ Bucket: blue, Key: 'emoji/😀.png' }))
  await clients().s3.send(
    new DeleteObjectsCommand({
      Bucket: blue,
      Delete: { Objects: [{ Key: 'cjk/日本語.txt' }, { Key: 'temp/green-own.txt' }] }
    })
  )

  const result = await drain(url, deps({ [blue]: { green, ignore: ignoreRules('private') } }))
  expect(result.failed).toEqual([])
  const ignore = ignoreRules('private')
  const blueSnap = await snapshot(clients().s3, blue)
  const greenSnap = await snapshot(clients().s3, green)
  expect(new Map([...greenSnap].filter(([k]) => !ignore.ignores(k)))).toEqual(
    new Map([...blueSnap].filter(([k]) => !ignore.ignores(k)))
  )
  expect(await body(green, 'a b.txt')).toBe('v2 a b.txt')
  expect(await body(green, 'temp/green-own.txt')).toBe('green keeps this')
  expect(greenSnap.has('temp/scratch.txt')).toBe(false)
  expect(greenSnap.has('emoji/😀.png')).toBe(false)
})

// Documented S3 event notification records (form-encoded keys) for a history of changes on blue.
const record = (eventName: string, bucket: string, key: string, time: number) =>
  notificationRecord(eventName, bucket, formEncode(key), time)

test('documented S3 event records applied in any order, in any batches, twice: green ends equal to blue', async () => {
  const blue = 'order-blue'
  const green = 'order-green'
  await createBucket(blue)
  await createBucket(green)
  const keys = ['x y.txt', 'p+q.txt', 'ü/é.txt', 'k1', 'k2', 'temp/ignored.txt']
  const records: ReturnType<typeof record>[] = []
  let t = Date.UTC(2026, 0, 1)
  // A history: puts, overwrites, deletes and re-creates.
  for (const [op, key, v] of [
    ['put', 'x y.txt', 1],
    ['put', 'p+q.txt', 1],
    ['put', 'ü/é.txt', 1],
    ['put', 'k1', 1],
    ['put', 'x y.txt', 2],
    ['del', 'p+q.txt', 0],
    ['put', 'k2', 1],
    ['del', 'k1', 0],
    ['put', 'p+q.txt', 3],
    ['put', 'temp/ignored.txt', 1],
    ['del', 'ü/é.txt', 0],
    ['put', 'k2', 2]
  ] as const) {
    if (op === 'put') await put(blue, key, `${key} v${v}`)
    else await clients().s3.send(new DeleteObjectCommand({ Bucket: blue, Key: key }))
    records.push(
      record(op === 'put' ? 'ObjectCreated:Put' : 'ObjectRemoved:Delete', blue, key, (t += 1000))
    )
  }
  const ignore = ignoreRules('private')
  const expected = new Map(
    [...(await snapshot(clients().s3, blue))].filter(([k]) => !ignore.ignores(k))
  )
  expect([...expected.keys()].sort()).toEqual(['k2', 'p+q.txt', 'x y.txt'])
  const d = deps({ [blue]: { green, ignore } })

  await fc.assert(
    fc.asyncProperty(
      fc.shuffledSubarray(records, { minLength: records.length, maxLength: records.length }),
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 12, maxLength: 12 }),
      fc.boolean(),
      async (shuffled, sizes, twice) => {
        // green starts from a stale state of its own each run
        for (const key of keys)
          await clients().s3.send(new DeleteObjectCommand({ Bucket: green, Key: key }))
        await put(green, 'k1', 'stale')
        await put(green, 'temp/ignored.txt', 'green own')
        const stream = twice ? [...shuffled, ...shuffled.slice(0, 4)] : shuffled
        for (let i = 0, s = 0; i < stream.length; s++) {
          const size = sizes[s % sizes.length] ?? 1
          const batch = stream.slice(i, i + size)
          i += size
          const answer = await handleS3Event({ Records: batch }, d)
          expect(answer.batchItemFailures).toEqual([])
        }
        const got = await snapshot(clients().s3, green)
        expect(new Map([...got].filter(([k]) => !ignore.ignores(k)))).toEqual(expected)
        expect(await body(green, 'temp/ignored.txt')).toBe('green own')
      }
    ),
    { numRuns: 8 }
  )
})

test('a change that cannot be applied is reported by its message id; the others in the batch are applied', async () => {
  const blue = 'fail-blue'
  await createBucket(blue)
  await createBucket('fail-green')
  await put(blue, 'ok.txt', 'fine')
  await put(blue, 'doomed.txt', 'its green bucket does not exist')
  const sqsEvent = (bodies: unknown[]) => ({
    Records: bodies.map((b, i) => ({
      messageId: `m${i}`,
      body: typeof b === 'string' ? b : JSON.stringify(b),
      eventSource: 'aws:sqs'
    }))
  })
  const d = deps({
    [blue]: { green: 'fail-green', ignore: ignoreRules('private', ['nothing']) },
    'other-blue': { green: 'no-such-green-bucket', ignore: ignoreRules('private', ['nothing']) }
  })
  const answer = await handleS3Event(
    sqsEvent([
      { Records: [record('ObjectCreated:Put', blue, 'ok.txt', 1)] },
      { Records: [record('ObjectCreated:Put', 'unknown-bucket', 'x', 2)] },
      'not json at all',
      { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: blue }
    ]),
    d
  )
  expect(answer.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm2'])
  expect(await body('fail-green', 'ok.txt')).toBe('fine')
  await createBucket('other-blue')
  await put('other-blue', 'x', 'y')
  const missingGreen = await handleS3Event(
    sqsEvent([{ Records: [record('ObjectCreated:Put', 'other-blue', 'x', 3)] }]),
    d
  )
  expect(missingGreen.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }])
  expect(d.errors.join('\n')).toMatch(/NoSuchBucket/)
})

describe("someone else's notification configuration", () => {
  const theirs = async (bucket: string): Promise<NotificationConfiguration> => {
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: `${bucket}-theirs` }))
    const arn =
      (
        await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] })
        )
      ).Attributes?.QueueArn ?? ''
    return {
      QueueConfigurations: [
        {
          Id: 'their-images',
          QueueArn: arn,
          Events: ['s3:ObjectCreated:*'],
          Filter: {
            Key: {
              FilterRules: [
                { Name: 'prefix', Value: 'images/' },
                { Name: 'suffix', Value: '.jpg' }
              ]
            }
          }
        }
      ],
      LambdaFunctionConfigurations: [
        {
          Id: 'their-cleanup',
          LambdaFunctionArn: `arn:aws:lambda:${REGION}:123456789012:function:cleanup`,
          Events: ['s3:ObjectRemoved:*']
        }
      ],
      TopicConfigurations: [
        {
          Id: 'their-topic',
          TopicArn: `arn:aws:sns:${REGION}:123456789012:audit`,
          Events: ['s3:ObjectCreated:Put'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'audit/' }] } }
        }
      ]
    }
  }
  const read = async (bucket: string) => {
    const out = await clients().s3.send(
      new GetBucketNotificationConfigurationCommand({ Bucket: bucket })
    )
    return JSON.stringify({ ...out, $metadata: undefined })
  }

  test('is byte-for-byte the same after our delivery is added and removed (their ObjectCreated:* would refuse a direct one)', async () => {
    const bucket = 'notify-blue'
    await createBucket(bucket)
    await clients().s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: await theirs(bucket)
      })
    )
    const before = await read(bucket)
    const { rule } = await attachDelivery([bucket])
    const during = JSON.parse(await read(bucket)) as NotificationConfiguration
    expect(during.EventBridgeConfiguration).toEqual({})
    expect(JSON.stringify({ ...during, EventBridgeConfiguration: undefined })).toBe(before)
    // stop: our rule and target only; terminate: the EventBridge switch we added
    await removeOurRule(clients().eventbridge, {
      name: rule,
      targetId: deliveryNames('x').targetId
    })
    expect(await describeRule(clients().eventbridge, rule)).toBeUndefined()
    expect(await removeEventBridge(clients().s3, bucket)).toEqual({ changed: true })
    expect(await read(bucket)).toBe(before)
  })

  test('EventBridge someone else enabled is left on, with no write at all', async () => {
    const bucket = 'notify-eb-blue'
    await createBucket(bucket)
    await clients().s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: { ...(await theirs(bucket)), EventBridgeConfiguration: {} }
      })
    )
    const before = await read(bucket)
    expect(await ensureEventBridge(clients().s3, bucket)).toEqual({ changed: false })
    expect(await read(bucket)).toBe(before)
  })

  test('a rule someone else added targets to is kept when we remove ours', async () => {
    const bucket = 'shared-rule-blue'
    await createBucket(bucket)
    const { rule } = await attachDelivery([bucket])
    const q = await createQueue(sqs, 'someone-elses-queue')
    await putQueueTarget(clients().eventbridge, {
      rule,
      id: 'theirs',
      queueArn: q.arn,
      deadLetterArn: q.arn
    })
    const removed = await removeOurRule(clients().eventbridge, {
      name: rule,
      targetId: deliveryNames('x').targetId
    })
    expect(removed).toEqual({ ruleDeleted: false, otherTargets: [q.arn] })
    expect(await describeRule(clients().eventbridge, rule)).toBeDefined()
  })
})
