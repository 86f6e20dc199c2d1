/**
 * The replication function's bucket logic. For every changed key it reads blue (HeadObject; S3
 * reads are strongly consistent) and makes green's key what blue's is now: a copy of the version
 * it read, or a delete when blue has none. Reading blue instead of trusting the event makes it
 * order-independent and idempotent: events may arrive late, twice or out of order (S3 delivers
 * at least once, in no promised order), and the last one applied still leaves green equal to
 * blue. A key an ignore list matches is never touched on green.
 *
 * After writing, it reads blue again: if blue changed meanwhile it goes round again, so a write
 * that raced a newer change is never the last word. A key that still fails is reported with the
 * messages that named it (SQS partial batch response); they come back after the visibility
 * timeout and land in the failure queue after the queue's maxReceiveCount.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { S3Client } from '@aws-sdk/client-s3'
import type { SQSBatchResponse } from 'aws-lambda'
import {
  MAX_SINGLE_COPY_BYTES,
  copyObject,
  deleteObject,
  headObject,
  multipartCopy,
  type CopyResult
} from '../../aws/s3.js'
import { mapLimit } from '../../concurrency.js'
import { withRetry, type Backoff } from '../../aws/retry.js'
import { decodeS3Event, type S3Change } from './events.js'
import { ignoreRules, type BucketKind, type IgnoreRules } from './ignore.js'
import { recordBucketConsumer } from './records.js'

export interface BucketRoute {
  green: string
  ignore: IgnoreRules
  /** S3 in green's region, when it is not the `target` of the deps. */
  target?: S3Client
  /** Green's region, when it is not the function's. */
  region?: string
}

export interface S3ApplyDeps {
  /** S3 for blue's buckets. */
  source: S3Client
  /** S3 for green's buckets (another region's client when green lives elsewhere). */
  target: S3Client
  /** Blue bucket → its green bucket and ignore list. */
  buckets: ReadonlyMap<string, BucketRoute>
  /** Keys applied at once. */
  concurrency?: number
  multipartThreshold?: number
  sleep?: (ms: number) => Promise<void>
  logError?: (message: string) => void
}

export type KeyOutcome = 'copied' | 'deleted' | 'ignored'

export interface S3ApplyResult {
  /** Sources (SQS message ids) to report as failed. */
  failed: string[]
  applied: { bucket: string; key: string; outcome: KeyOutcome }[]
  /** Per blue bucket, the newest event time applied (for the progress heartbeat). */
  newest: Map<string, string>
}

const ROUNDS = 5
const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Makes green's `key` equal blue's current one; returns what it did. */
export async function syncKey(
  deps: S3ApplyDeps,
  blue: string,
  route: BucketRoute,
  key: string
): Promise<KeyOutcome> {
  if (route.ignore.ignores(key)) return 'ignored'
  const backoff: Backoff = { sleep: deps.sleep ?? defaultSleep, maxAttempts: 5 }
  const threshold = Math.min(
    deps.multipartThreshold ?? MAX_SINGLE_COPY_BYTES,
    MAX_SINGLE_COPY_BYTES
  )
  const target = route.target ?? deps.target
  for (let round = 0; round < ROUNDS; round++) {
    const head = await withRetry(() => headObject(deps.source, blue, key), backoff)
    if (head === undefined) {
      // Only when green has it: a delete on a versioned green adds a delete marker every time.
      const onGreen = await withRetry(() => headObject(target, route.green, key), backoff)
      if (onGreen !== undefined)
        await withRetry(() => deleteObject(target, route.green, key), backoff)
      const after = await withRetry(() => headObject(deps.source, blue, key), backoff)
      if (after === undefined) return 'deleted'
      continue // blue has the key again: copy it
    }
    const copy: CopyResult = await withRetry(
      () =>
        head.size > threshold
          ? multipartCopy(deps.source, target, {
              sourceBucket: blue,
              head,
              targetBucket: route.green
            })
          : copyObject(target, {
              sourceBucket: blue,
              key,
              sourceEtag: head.etag,
              targetBucket: route.green,
              storageClass: head.storageClass,
              websiteRedirectLocation: head.websiteRedirectLocation
            }),
      backoff
    )
    if (copy.kind !== 'copied') continue // changed or deleted since the read: read again
    const after = await withRetry(() => headObject(deps.source, blue, key), backoff)
    if (after?.etag === head.etag) return 'copied'
  }
  throw new Error(`${blue}/${key} kept changing during ${ROUNDS} rounds of read, write, read`)
}

/** Applies decoded changes: each distinct key once (the read sees its newest state). */
export async function applyChanges(
  changes: readonly S3Change[],
  deps: S3ApplyDeps
): Promise<S3ApplyResult> {
  const result: S3ApplyResult = { failed: [], applied: [], newest: new Map() }
  const failed = new Set<string>()
  const keys = new Map<string, { bucket: string; key: string; sources: Set<string> }>()
  for (const change of changes) {
    if (!deps.buckets.has(change.bucket)) {
      failed.add(change.source)
      ;(deps.logError ?? console.error)(
        `replicate s3://${change.bucket}: no green bucket is configured for it (the rule sends a bucket this function does not replicate)`
      )
      continue
    }
    for (const key of change.keys) {
      const id = `${change.bucket}\u0000${key}`
      const entry = keys.get(id) ?? { bucket: change.bucket, key, sources: new Set<string>() }
      entry.sources.add(change.source)
      keys.set(id, entry)
    }
  }
  await mapLimit([...keys.values()], deps.concurrency ?? 16, async (entry) => {
    const route = deps.buckets.get(entry.bucket) as BucketRoute
    try {
      const outcome = await syncKey(deps, entry.bucket, route, entry.key)
      result.applied.push({ bucket: entry.bucket, key: entry.key, outcome })
    } catch (error) {
      for (const s of entry.sources) {
        failed.add(s)
      }
      ;(deps.logError ?? console.error)(
        `replicate s3://${entry.bucket}/${entry.key}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`
      )
    }
  })
  for (const change of changes) {
    if (failed.has(change.source) || change.time === undefined) continue
    const prior = result.newest.get(change.bucket)
    if (prior === undefined || prior < change.time) result.newest.set(change.bucket, change.time)
  }
  result.failed = [...failed]
  return result
}

/**
 * The function's entry for S3 events: decode, apply, and answer with the SQS messages to retry
 * (a message that cannot be read is retried too, and so reaches the failure queue, never lost).
 */
export async function handleS3Event(
  event: unknown,
  deps: S3ApplyDeps
): Promise<SQSBatchResponse & { result: S3ApplyResult }> {
  const decoded = decodeS3Event(event)
  for (const bad of decoded.invalid) {
    ;(deps.logError ?? console.error)(`replicate: message ${bad.source}: ${bad.reason}`)
  }
  const result = await applyChanges(decoded.changes, deps)
  const failed = new Set([...result.failed, ...decoded.invalid.map((i) => i.source)])
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })), result }
}

/** One bucket of the function's configuration (its environment: BLUEGREEN_BUCKET_MAP). */
export interface BucketConfig {
  green: string
  kind: BucketKind
  /** The ignore patterns (absent: DEEP's default for the kind; empty: nothing is ignored). */
  ignore?: string[]
  /** Green's region, when it is not the function's. */
  region?: string
}

/** Parses BLUEGREEN_BUCKET_MAP (JSON: blue bucket → BucketConfig) into routes. */
export function parseBucketMap(raw: string | undefined): Map<string, BucketRoute> {
  const parsed: unknown = JSON.parse(raw ?? '{}')
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error('BLUEGREEN_BUCKET_MAP is not a JSON object')
  const routes = new Map<string, BucketRoute>()
  for (const [blue, value] of Object.entries(parsed)) {
    const config = value as Partial<BucketConfig>
    if (
      typeof config.green !== 'string' ||
      (config.kind !== 'private' && config.kind !== 'public')
    ) {
      throw new Error(`BLUEGREEN_BUCKET_MAP: ${blue} needs green and kind (private or public)`)
    }
    const patterns = Array.isArray(config.ignore)
      ? config.ignore.filter((p) => typeof p === 'string')
      : undefined
    routes.set(blue, {
      green: config.green,
      ignore: ignoreRules(config.kind, patterns),
      ...(typeof config.region === 'string' ? { region: config.region } : {})
    })
  }
  return routes
}

/**
 * The function's heartbeat for buckets: per blue bucket, the newest event time applied (changes
 * that failed do not count), for `replicate status`. Never fails replication.
 */
export async function recordProgress(
  result: S3ApplyResult,
  deps: {
    dynamodb: DynamoDBClient
    controlTable: string | undefined
    now?: () => Date
    logError?: (message: string) => void
  }
): Promise<void> {
  const table = deps.controlTable
  if (table === undefined || table === '') return
  const at = (deps.now ?? (() => new Date()))().toISOString()
  for (const [bucket, position] of result.newest) {
    const applied = result.applied.filter((a) => a.bucket === bucket).length
    try {
      await recordBucketConsumer(deps.dynamodb, table, bucket, { position, at, applied })
    } catch (error) {
      ;(deps.logError ?? console.error)(
        `heartbeat s3://${bucket}: ${error instanceof Error ? error.message : String(error)}`
      )
    }
  }
}
