/** Shared by the bucket replication tests: clients on the emulator, buckets, objects, snapshots. */
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  type NotificationConfiguration,
  type PutObjectCommandInput,
  type S3Client
} from '@aws-sdk/client-s3'
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand
} from '@aws-sdk/client-sqs'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { createClients, type Clients } from '../../../src/aws/clients.js'
import { getFunction } from '../../../src/aws/lambda.js'
import { listObjects } from '../../../src/aws/s3.js'
import { getQueue } from '../../../src/aws/sqs.js'
import { eventKind } from '../../../src/replicate/function/dispatch.js'
import type { ReplicationNames } from '../../../src/replicate/names.js'
import { handleS3Event, parseBucketMap, recordProgress } from '../../../src/replicate/s3/apply.js'
import { deliveryNames } from '../../../src/replicate/s3/delivery.js'
import { emulatorEndpoint } from '../../helpers/emulator.js'
import { memoryLogger } from '../../../src/log.js'
import { memoryCopyStore } from '../../../src/replicate/s3/checkpoint.js'
import type { CopyDeps, CopyJob } from '../../../src/replicate/s3/copy.js'
import { ignoreRules } from '../../../src/replicate/s3/ignore.js'
import type { BucketPair } from '../../../src/replicate/s3/pairing.js'

export const REGION = 'us-east-1'

let shared: Clients | undefined
export function clients(): Clients {
  shared ??= createClients({ region: REGION })
  return shared
}

export async function createBucket(name: string): Promise<void> {
  await clients().s3.send(new CreateBucketCommand({ Bucket: name }))
}

export async function put(
  bucket: string,
  key: string,
  body: string,
  extra: Partial<PutObjectCommandInput> = {}
): Promise<void> {
  await clients().s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }))
}

/** Every key of a bucket with its size and ETag (S3 order). */
export async function snapshot(s3: S3Client, bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const page of listObjects(s3, bucket)) {
    for (const o of page) out.set(o.key, `${o.size}:${o.etag}`)
  }
  return out
}

export async function body(bucket: string, key: string): Promise<string> {
  const out = await clients().s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  return (await out.Body?.transformToString()) ?? ''
}

/** What a faithful copy keeps: content type, metadata, tags, storage class, cache control. */
export async function attributes(bucket: string, key: string) {
  const s3 = clients().s3
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))
  return {
    contentType: head.ContentType,
    cacheControl: head.CacheControl,
    metadata: head.Metadata,
    storageClass: head.StorageClass ?? 'STANDARD',
    redirect: head.WebsiteRedirectLocation,
    tags: (tags.TagSet ?? []).map((t) => `${t.Key ?? ''}=${t.Value ?? ''}`).sort()
  }
}

export function copyDeps(
  overrides: Partial<CopyDeps> = {}
): CopyDeps & { log: ReturnType<typeof memoryLogger> } {
  return {
    source: clients().s3,
    target: clients().s3,
    log: memoryLogger(),
    now: () => new Date(),
    sleep: () => Promise.resolve(),
    ...overrides
  } as CopyDeps & { log: ReturnType<typeof memoryLogger> }
}

/** Keys that exercise the encodings: spaces, plus signs, unicode, percent, emoji. */
export const AWKWARD_KEYS = [
  'a b.txt',
  'c+d.txt',
  'e + f/g h+i.txt',
  'ünïcödé/naïve café.txt',
  '100% sure.txt',
  'emoji/😀.png',
  'cjk/日本語.txt',
  'nested/deep/path/x.json'
]

/** A copy job with a fresh memory checkpoint and the kind's default ignore list. */
export function copyJob(
  pair: BucketPair,
  overrides: Partial<CopyJob> = {}
): CopyJob & { store: ReturnType<typeof memoryCopyStore> } {
  return {
    pair,
    ignore: ignoreRules(pair.kind),
    store: memoryCopyStore(),
    deleteExtra: false,
    keepRedirects: false,
    ...overrides
  } as CopyJob & { store: ReturnType<typeof memoryCopyStore> }
}

/** The notification configuration exactly as S3 answers it (the response body's bytes). */
export async function rawNotification(bucket: string): Promise<string> {
  const res = await fetch(`${emulatorEndpoint()}/${bucket}?notification`)
  if (!res.ok) throw new Error(`GET ?notification of ${bucket}: HTTP ${res.status}`)
  return res.text()
}

/** Someone else's notification configuration: direct notifications a filterless one would overlap. */
export async function theirNotifications(bucket: string): Promise<NotificationConfiguration> {
  const sqs = clients().sqs
  const queue = await sqs.send(
    new CreateQueueCommand({ QueueName: `${bucket.replace(/\./g, '-')}-theirs` })
  )
  const arn =
    (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] })
      )
    ).Attributes?.QueueArn ?? ''
  const config: NotificationConfiguration = {
    QueueConfigurations: [
      {
        Id: 'their-uploads',
        QueueArn: arn,
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } }
      }
    ],
    TopicConfigurations: [
      {
        Id: 'their-audit',
        TopicArn: `arn:aws:sns:${REGION}:123456789012:audit`,
        Events: ['s3:ObjectRemoved:*']
      }
    ]
  }
  await clients().s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: config
    })
  )
  return config
}

/**
 * What Lambda's poller does with an SQS event source (moto cannot run a function): receive
 * batches, hand each to `apply` as an SQS event, delete the messages it did not report as failed.
 * Stops at an empty queue, or after a batch with failures (they stay in the queue).
 */
export async function pollQueue(
  queue: { url: string; arn: string },
  apply: (event: SQSEvent) => Promise<SQSBatchResponse>,
  options: { visibilitySeconds?: number } = {}
): Promise<{ batches: number; failed: string[] }> {
  const sqs = clients().sqs
  let batches = 0
  const failed: string[] = []
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: options.visibilitySeconds ?? 0
      })
    )
    const messages = out.Messages ?? []
    if (messages.length === 0) return { batches, failed }
    batches++
    const answer = await apply({
      Records: messages.map((m) => ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '0',
          SenderId: 'x',
          ApproximateFirstReceiveTimestamp: '0'
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: queue.arn,
        awsRegion: REGION
      }))
    })
    const bad = new Set(answer.batchItemFailures.map((f) => f.itemIdentifier))
    failed.push(...bad)
    const done = messages.filter((m) => !bad.has(m.MessageId ?? ''))
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' }))
        })
      )
    }
    if (bad.size > 0) return { batches, failed }
  }
}

/**
 * Lambda's poller on the events queue: every batch goes to the function's bucket logic (as the
 * handler dispatches it), with the configuration the function was deployed with (its
 * BLUEGREEN_BUCKET_MAP), and the function's heartbeat is recorded.
 */
export async function deliverEvents(
  names: ReplicationNames
): Promise<{ batches: number; failed: string[] }> {
  const c = clients()
  const fn = await getFunction(c.lambda, names.functionName)
  const buckets = parseBucketMap(fn?.environment.BLUEGREEN_BUCKET_MAP)
  const queue = await getQueue(c.sqs, deliveryNames(names.functionName).queue)
  if (queue === undefined) throw new Error('no events queue')
  return pollQueue(queue, async (event) => {
    const kind = eventKind(event)
    if (kind.kind !== 's3-events') throw new Error(`the function would read ${kind.kind}`)
    const answer = await handleS3Event(kind.event, {
      source: c.s3,
      target: c.s3,
      buckets,
      sleep: () => Promise.resolve(),
      logError: () => undefined
    })
    await recordProgress(answer.result, {
      dynamodb: c.dynamodb,
      controlTable: fn?.environment.BLUEGREEN_CONTROL_TABLE
    })
    return answer
  })
}
