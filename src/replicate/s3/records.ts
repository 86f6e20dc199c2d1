/**
 * What the replication control table holds for a bucket pair, beside the copy's checkpoint and
 * ETag records (checkpoint.ts). Per blue bucket B:
 *   pk `bucket#B`, sk `pair`        → green, kind, the ignore list, T0 (blue's events are complete
 *                                     from then on), green's region, when the copy was complete
 *   pk `bucket#B`, sk `eventbridge` → prepare turned S3 → EventBridge delivery on for B (written
 *                                     once the configuration was put), so terminate turns it off
 *   pk `bucket#B`, sk `consumer`    → the replication function's heartbeat: the newest event time
 *                                     it has applied
 */
import {
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient
} from '@aws-sdk/client-dynamodb'
import { isConditionFailed } from '../../aws/errors.js'
import { advanceHeartbeat, appendError } from '../control.js'
import { bucketPk, parseCheckpoint, type CopyCheckpoint } from './checkpoint.js'
import type { BucketKind } from './ignore.js'

export interface BucketRecord {
  blue: string
  green: string
  kind: BucketKind
  /** The ignore patterns the copy and the function use; empty: DEEP's default for the kind. */
  patterns: string[]
  /** ISO time from which every change of blue reaches the events queue. */
  t0: string
  greenRegion: string | undefined
  /** Objects of blue when prepare began (CloudWatch NumberOfObjects), 0 when unknown. */
  objectEstimate: number
  /** Set when a copy pass that began at or after T0 finished: green has blue as of T0. */
  copyDoneAt: string | undefined
  /** Objects the last finished pass listed (the total of the next one, for status). */
  lastPassListed: number
  /** A pass counts only when it began at or after this (set when the ignore list changed). */
  passesFrom: string | undefined
  errors: string[]
}

export interface BucketConsumer {
  /** The newest event time applied (ISO). */
  position: string
  at: string
  applied: number
}

export interface BucketControl {
  record: BucketRecord | undefined
  /** prepare turned EventBridge delivery on (ISO time); undefined: it did not. */
  eventBridgeOnAt: string | undefined
  copy: CopyCheckpoint | undefined
  consumer: BucketConsumer | undefined
}

const s = (v: AttributeValue | undefined): string | undefined => v?.S
const n = (v: AttributeValue | undefined): number => Number(v?.N ?? '0')

/** The bucket items of the control table, by blue bucket. */
export function parseBucketItems(
  items: readonly Record<string, AttributeValue>[]
): Map<string, BucketControl> {
  const out = new Map<string, BucketControl>()
  const entry = (blue: string): BucketControl => {
    let c = out.get(blue)
    if (c === undefined) {
      c = { record: undefined, eventBridgeOnAt: undefined, copy: undefined, consumer: undefined }
      out.set(blue, c)
    }
    return c
  }
  for (const item of items) {
    const pk = s(item.pk) ?? ''
    const sk = s(item.sk) ?? ''
    if (!pk.startsWith('bucket#')) continue
    const blue = pk.slice('bucket#'.length)
    if (sk === 'pair') {
      entry(blue).record = {
        blue,
        green: s(item.green) ?? '',
        kind: s(item.kind) === 'public' ? 'public' : 'private',
        patterns: item.patterns?.L?.map((p) => p.S ?? '') ?? [],
        t0: s(item.t0) ?? '',
        greenRegion: s(item.greenRegion),
        objectEstimate: n(item.objectEstimate),
        copyDoneAt: s(item.copyDoneAt),
        lastPassListed: n(item.lastPassListed),
        passesFrom: s(item.passesFrom),
        errors: item.errors?.L?.map((e) => e.S ?? '') ?? []
      }
    } else if (sk === 'eventbridge') {
      entry(blue).eventBridgeOnAt = s(item.at) ?? ''
    } else if (sk === 'copy') {
      entry(blue).copy = parseCheckpoint(item)
    } else if (sk === 'consumer') {
      entry(blue).consumer = {
        position: s(item.position) ?? '',
        at: s(item.at) ?? '',
        applied: n(item.applied)
      }
    }
  }
  return out
}

const key = (blue: string, sk: string) => ({ pk: { S: bucketPk(blue) }, sk: { S: sk } })
const list = (values: readonly string[]): AttributeValue => ({ L: values.map((v) => ({ S: v })) })

/**
 * Records a pair (T0, ignore list). Conditional: when another job recorded it first, that record
 * holds (returns false).
 */
export async function putBucketRecord(
  db: DynamoDBClient,
  table: string,
  record: Omit<BucketRecord, 't0' | 'copyDoneAt' | 'lastPassListed' | 'passesFrom' | 'errors'>
): Promise<boolean> {
  try {
    await db.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...key(record.blue, 'pair'),
          green: { S: record.green },
          kind: { S: record.kind },
          patterns: list(record.patterns),
          t0: { S: '' },
          ...(record.greenRegion === undefined ? {} : { greenRegion: { S: record.greenRegion } }),
          objectEstimate: { N: String(record.objectEstimate) },
          lastPassListed: { N: '0' },
          errors: { L: [] }
        },
        ConditionExpression: 'attribute_not_exists(pk)'
      })
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

/**
 * T0, once the delivery is in place. Conditional: a T0 another job recorded first holds (returns
 * false).
 */
export async function setBucketT0(
  db: DynamoDBClient,
  table: string,
  blue: string,
  t0: string
): Promise<boolean> {
  try {
    await db.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key(blue, 'pair'),
        UpdateExpression: 'SET t0 = :t0',
        ConditionExpression: 't0 = :none',
        ExpressionAttributeValues: { ':t0': { S: t0 }, ':none': { S: '' } }
      })
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

/**
 * A new ignore list: the copy is no longer complete (keys it ignored may now be wanted), and only
 * a pass that begins from now on counts.
 */
export async function updateBucketIgnore(
  db: DynamoDBClient,
  table: string,
  blue: string,
  change: { patterns: readonly string[]; at: string }
): Promise<void> {
  await db.send(
    new UpdateItemCommand({
      TableName: table,
      Key: key(blue, 'pair'),
      UpdateExpression: 'SET patterns = :p, passesFrom = :at REMOVE copyDoneAt',
      ExpressionAttributeValues: { ':p': list(change.patterns), ':at': { S: change.at } }
    })
  )
}

/** The copy is complete (a pass that began at or after T0 finished). */
export async function markCopyDone(
  db: DynamoDBClient,
  table: string,
  blue: string,
  done: { at: string; listed: number }
): Promise<void> {
  await db.send(
    new UpdateItemCommand({
      TableName: table,
      Key: key(blue, 'pair'),
      UpdateExpression: 'SET copyDoneAt = :at, lastPassListed = :n',
      ExpressionAttributeValues: { ':at': { S: done.at }, ':n': { N: String(done.listed) } }
    })
  )
}

/** A finished pass that began before T0: its size is the next pass's total. */
export async function recordPassListed(
  db: DynamoDBClient,
  table: string,
  blue: string,
  listed: number
): Promise<void> {
  await db.send(
    new UpdateItemCommand({
      TableName: table,
      Key: key(blue, 'pair'),
      UpdateExpression: 'SET lastPassListed = :n',
      ExpressionAttributeValues: { ':n': { N: String(listed) } }
    })
  )
}

export async function recordBucketError(
  db: DynamoDBClient,
  table: string,
  blue: string,
  message: string
): Promise<void> {
  await appendError(db, table, { pk: bucketPk(blue), sk: 'pair' }, message)
}

/** prepare turned EventBridge delivery on for blue (written once the configuration is put). */
export async function markEventBridgeOn(
  db: DynamoDBClient,
  table: string,
  blue: string,
  at: string
): Promise<void> {
  await db.send(
    new PutItemCommand({ TableName: table, Item: { ...key(blue, 'eventbridge'), at: { S: at } } })
  )
}

/** The function's heartbeat for a bucket: moves `position` forward (never back). */
export async function recordBucketConsumer(
  db: DynamoDBClient,
  table: string,
  blue: string,
  heartbeat: BucketConsumer
): Promise<void> {
  await advanceHeartbeat(db, table, { pk: bucketPk(blue), sk: 'consumer' }, heartbeat)
}
