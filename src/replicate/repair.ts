/**
 * `replicate repair`: brings green level with blue where replication could not, key by key, with
 * the replication rule (a consistent read of blue, then green made equal to it).
 *
 * 1. The failure queue: each message is Lambda's record of a batch it gave up on (the shard and
 *    the first and last sequence numbers, not the records). The records are read back from the
 *    stream and each key is applied; the message is deleted only once every key of it is. When
 *    the stream no longer holds them (past 24 hours), or the message is not such a record, the
 *    table is compared whole instead (below) and the message deleted after that.
 *    A message about an S3 object (an event the function kept failing on, or one EventBridge
 *    could not deliver) is applied key by key with the function's rule (s3/repair.ts).
 * 2. Every table: the comparison `replicate verify` makes (scan both sides), every differing key
 *    applied, then each of those keys re-read on both sides: repair fails naming any that still
 *    differ. Every bucket pair likewise (s3/repair.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams'
import { readStreamRange, type Item, type KeySchema } from '../aws/dynamodb.js'
import { isNamed } from '../aws/errors.js'
import type { Backoff } from '../aws/retry.js'
import { deleteMessage, receiveMessages, releaseMessage, type QueueMessage } from '../aws/sqs.js'
import type { SQSClient } from '@aws-sdk/client-sqs'
import { mapLimit } from '../concurrency.js'
import { BlueGreenError } from '../errors.js'
import type { Logger } from '../log.js'
import { applyKey, tableOfStreamArn } from './function/apply.js'
import { pairingOf, planBucketsRepair } from './s3/plan.js'
import { PlanBuilder } from './steps.js'
import type { BucketPairing, ReplicatePlan, ReplicationState } from './types.js'
import { diffTable, recheck, SAMPLE_SIZE } from './verify.js'

export function planRepair(state: ReplicationState): ReplicatePlan {
  const plan = new PlanBuilder()
  const { names, queue } = state
  const tables = state.tables.map((t) => ({ blue: t.blue, green: t.green }))
  const buckets = state.buckets.map((b) => pairingOf(b, state.region))
  for (const b of state.buckets) {
    for (const info of [b.blueInfo, b.greenInfo]) {
      if (info !== undefined && info.access !== 'ok')
        plan.problems.push(
          `bucket ${info.name} ${info.access === 'missing' ? 'does not exist' : 'cannot be read with these credentials (403)'}`
        )
    }
  }
  if (queue !== undefined && queue.messages !== 0) {
    plan.add({
      section: 'shared',
      kind: 'drain-queue',
      tables,
      buckets,
      description: `Re-apply the keys of the ${queue.messages ?? 'unknown number of'} failed batch${queue.messages === 1 ? '' : 'es'} in ${names.failureQueue}: ${[
        tables.length > 0
          ? "read each table batch's records back from the stream (GetShardIterator, GetRecords), GetItem (consistent) on blue, PutItem/DeleteItem on green"
          : '',
        buckets.length > 0
          ? 'for each object event, HeadObject on blue, CopyObject/DeleteObject on green'
          : ''
      ]
        .filter(Boolean)
        .join('; ')}, then DeleteMessage`,
      resource: names.failureQueue
    })
  } else if (queue === undefined) {
    plan.notes.push(
      `There is no failure queue (${names.failureQueue}): no failed batch to re-apply.`
    )
  }
  for (const t of state.tables) {
    plan.add({
      section: 'tables',
      kind: 'resync',
      table: t.blue,
      green: t.green,
      description: `Compare ${t.blue} with ${t.green} (Scan both) and apply blue's item, or its absence, to every key that differs (GetItem consistent, PutItem/DeleteItem), then re-read those keys on both sides`,
      resource: t.green
    })
  }
  plan.add(...planBucketsRepair(state))
  return plan.build('repair')
}

/** The on-failure record Lambda sends for a DynamoDB stream batch (its DDBStreamBatchInfo). */
export interface FailedBatch {
  streamArn: string
  shardId: string
  startSequenceNumber: string
  endSequenceNumber: string
}

/** The batch a failure-queue message names; undefined for any other message. */
export function parseFailedBatch(body: string): FailedBatch | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const info = (parsed as { DDBStreamBatchInfo?: unknown }).DDBStreamBatchInfo
  if (typeof info !== 'object' || info === null) return undefined
  const field = (name: string): string | undefined => {
    const v = (info as Record<string, unknown>)[name]
    return typeof v === 'string' && v !== '' ? v : undefined
  }
  const streamArn = field('streamArn')
  const shardId = field('shardId')
  const start = field('startSequenceNumber')
  const end = field('endSequenceNumber')
  if (
    streamArn === undefined ||
    shardId === undefined ||
    start === undefined ||
    end === undefined
  ) {
    return undefined
  }
  if (!/^\d+$/.test(start) || !/^\d+$/.test(end)) return undefined
  return { streamArn, shardId, startSequenceNumber: start, endSequenceNumber: end }
}

export interface RepairDeps {
  dynamodb: DynamoDBClient
  streams: DynamoDBStreamsClient
  sqs: SQSClient
  log: Logger
  sleep: (ms: number) => Promise<void>
  /** Scan segments of a table comparison. */
  segments: number
}

export interface ResyncResult {
  applied: number
  /** Keys that still differ after being applied (their canonical texts). */
  remaining: string[]
}

/**
 * Compares the two tables and applies every key that differed; then re-reads those keys on
 * both sides and returns what still differs.
 */
export async function resyncTable(
  deps: Pick<RepairDeps, 'dynamodb' | 'sleep' | 'segments'>,
  pair: { blue: string; green: string; schema: KeySchema }
): Promise<ResyncResult> {
  const diff = await diffTable(deps.dynamodb, pair, { segments: deps.segments, sleep: deps.sleep })
  const target = { dynamodb: deps.dynamodb, blue: pair.blue, green: pair.green, sleep: deps.sleep }
  await mapLimit(diff.suspects, 16, (key) => applyKey(target, key))
  const backoff: Backoff = { sleep: deps.sleep }
  const remaining = await recheck(deps.dynamodb, pair, diff.suspects, backoff)
  return { applied: diff.suspects.length, remaining }
}

/** Throws when keys still differ after a resync, naming a sample. */
export function assertLevel(pair: { blue: string; green: string }, result: ResyncResult): void {
  if (result.remaining.length === 0) return
  throw new BlueGreenError(
    `${result.remaining.length} keys of ${pair.green} still differ from ${pair.blue} after repair, e.g. ${result.remaining.slice(0, SAMPLE_SIZE).join(' ')}: writes to blue or green are still changing them (re-run repair), or green rejects them (the function's log names the error)`
  )
}

export interface DrainResult {
  messages: number
  keys: number
  /** Tables compared whole because a batch's records were gone (or unreadable). */
  resynced: string[]
}

/** What the failure queue's messages may be about, and how to compare a whole pair. */
export interface DrainScope {
  tables: readonly { blue: string; green: string }[]
  buckets: readonly BucketPairing[]
  /** Applies an S3 event message; undefined: it is not one of these buckets'. */
  applyS3: (body: string) => Promise<number | undefined>
  /** Compares one pair whole (once per run: the caller remembers it). */
  resyncTable: (blue: string) => Promise<void>
  resyncBucket: (blue: string) => Promise<void>
}

/** Applies the keys of one message's batch; returns how many keys it applied. */
async function applyMessage(
  deps: RepairDeps,
  message: QueueMessage,
  greenOf: ReadonlyMap<string, string>,
  scope: DrainScope,
  resyncOnce: (kind: 'table' | 'bucket', blue: string) => Promise<void>
): Promise<number> {
  const batch = parseFailedBatch(message.body)
  const blue = batch === undefined ? undefined : tableOfStreamArn(batch.streamArn)
  const green = blue === undefined ? undefined : greenOf.get(blue)
  if (batch === undefined && scope.buckets.length > 0) {
    const applied = await scope.applyS3(message.body)
    if (applied !== undefined) return applied
  }
  if (batch === undefined || blue === undefined || green === undefined) {
    deps.log.warn(
      `Failure queue message ${message.id} names no batch or object event of these tables and buckets; comparing every one whole instead`
    )
    for (const t of scope.tables) await resyncOnce('table', t.blue)
    for (const b of scope.buckets) await resyncOnce('bucket', b.blue)
    return 0
  }
  const records = await readStreamRange(deps.streams, {
    streamArn: batch.streamArn,
    shardId: batch.shardId,
    start: batch.startSequenceNumber,
    end: batch.endSequenceNumber
  })
  if (records === undefined || records.length === 0) {
    deps.log.warn(
      `The stream no longer holds the records of failed batch ${message.id} (${blue}, ${batch.startSequenceNumber}…${batch.endSequenceNumber}); comparing the whole table instead`
    )
    await resyncOnce('table', blue)
    return 0
  }
  const unique = new Map<string, Item>()
  for (const r of records) unique.set(JSON.stringify(Object.entries(r.keys).sort()), r.keys)
  const target = { dynamodb: deps.dynamodb, blue, green, sleep: deps.sleep }
  await mapLimit([...unique.values()], 16, (key) => applyKey(target, key))
  return unique.size
}

/** How long a received message stays hidden from other readers while repair works on it. */
export const REPAIR_VISIBILITY_SECONDS = 900

/**
 * Works through the failure queue until it is empty (messages in flight elsewhere excepted).
 * `resync(blue)` compares one table whole (once per run, the caller remembers it).
 */
export async function drainQueue(
  deps: RepairDeps,
  queueUrl: string,
  scope: DrainScope
): Promise<DrainResult> {
  const greenOf = new Map(scope.tables.map((t) => [t.blue, t.green]))
  const result: DrainResult = { messages: 0, keys: 0, resynced: [] }
  const resynced = new Set<string>()
  const resyncOnce = async (kind: 'table' | 'bucket', blue: string): Promise<void> => {
    if (resynced.has(`${kind}:${blue}`)) return
    await (kind === 'table' ? scope.resyncTable(blue) : scope.resyncBucket(blue))
    resynced.add(`${kind}:${blue}`)
    result.resynced.push(blue)
  }
  for (let round = 0; round < 10_000; round++) {
    const messages = await receiveMessages(deps.sqs, queueUrl, REPAIR_VISIBILITY_SECONDS)
    if (messages.length === 0) break
    for (const [k, message] of messages.entries()) {
      try {
        result.keys += await applyMessage(deps, message, greenOf, scope, resyncOnce)
      } catch (error) {
        // Not applied: this one and the rest of the batch are visible again at once, for the
        // next repair (and none is deleted).
        for (const m of messages.slice(k)) {
          await releaseMessage(deps.sqs, queueUrl, m.receiptHandle).catch(() => undefined)
        }
        throw error
      }
      try {
        await deleteMessage(deps.sqs, queueUrl, message.receiptHandle)
      } catch (error) {
        // Seen again meanwhile (its visibility ran out during a long comparison): the next
        // receive gets it with a new handle, and it is deleted then.
        if (!isNamed(error, 'ReceiptHandleIsInvalid', 'InvalidParameterValue')) throw error
      }
      result.messages++
    }
  }
  return result
}
