/**
 * The control table: a small PAY_PER_REQUEST table that prepare creates and terminate removes.
 * Key: pk (table) + sk (record). Per blue table `T`:
 *   pk `table#T`, sk `table`       → green, stream ARN, T0, whether prepare enabled the stream,
 *                                    segments, ItemCount at T0, backfillDoneAt, errors
 *   pk `table#T`, sk `segment#0042` → the backfill checkpoint of scan segment 42: the last
 *                                    LastEvaluatedKey written (a native map attribute), done,
 *                                    items copied, pages written
 *   pk `table#T`, sk `consumer`     → the replication function's heartbeat: the stream position
 *                                    (ApproximateCreationDateTime) it has applied up to
 *   pk `table#T`, sk `enabling`     → prepare turned this table's stream on (written right after
 *                                    UpdateTable succeeded, with the stream's ARN)
 * the bucket pairs' records (s3/records.ts, s3/checkpoint.ts, pk `bucket#B`),
 * and one `meta`/`meta` record naming blue, green, the function and its role, and, once a
 * publish has moved traffic to green, since when green takes writes of its own.
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  GetItemCommand,
  DeleteTableCommand,
  PutItemCommand,
  UpdateItemCommand,
  paginateScan,
  type AttributeValue,
  type DynamoDBClient
} from '@aws-sdk/client-dynamodb'
import type { Item } from '../aws/dynamodb.js'
import { isConditionFailed, isNamed, isResourceNotFound } from '../aws/errors.js'
import { parseBucketItems, type BucketControl } from './s3/records.js'

export const SEGMENT_PREFIX = 'segment#'

export interface TableRecord {
  blue: string
  green: string
  streamArn: string
  /** True when prepare turned the stream on (terminate turns it off again); false: reused. */
  streamEnabledByUs: boolean
  /** ISO time from which the stream holds every change (backfill starts after it). */
  t0: string
  segments: number
  itemCount: number
  backfillDoneAt: string | undefined
  errors: string[]
  /**
   * Green held items when prepare started (allowed by the operator): the backfill then removes
   * the keys blue lacks.
   */
  greenHadItems: boolean
}

export interface SegmentRecord {
  segment: number
  /** Last page written: resume after this key. Undefined with done=false: not started. */
  lastKey: Item | undefined
  done: boolean
  copied: number
  pages: number
  updatedAt: string
}

export interface ConsumerRecord {
  /** ISO time of the newest stream record applied (ApproximateCreationDateTime). */
  position: string
  /** ISO time the function wrote this. */
  at: string
  applied: number
}

export interface TableControl {
  table: TableRecord
  segments: SegmentRecord[]
  consumer: ConsumerRecord | undefined
}

/**
 * The backfill of a table is done when prepare marked it, or when every segment is done (two
 * matrix jobs finishing together may each have seen the other still running).
 */
export function isBackfillDone(tc: TableControl): boolean {
  if (tc.table.backfillDoneAt !== undefined) return true
  const total = tc.table.segments
  return (
    total > 0 &&
    Array.from({ length: total }, (_, i) => i).every(
      (i) => tc.segments.find((s) => s.segment === i)?.done === true
    )
  )
}

export interface MetaRecord {
  blue: string
  green: string
  functionName: string
  roleName: string
  createdAt: string
  /** ISO time a publish first moved traffic to green (green takes writes of its own since). */
  greenTrafficSince: string | undefined
}

/** prepare's note that it turned a table's stream on. */
export interface EnablingMarker {
  at: string
  /** The stream UpdateTable turned on; undefined in a marker an older release wrote. */
  streamArn: string | undefined
}

export interface ControlState {
  meta: MetaRecord | undefined
  tables: Map<string, TableControl>
  /** Bucket pairs, by blue bucket. */
  buckets: Map<string, BucketControl>
  /** Blue tables whose stream prepare turned on, before T0 was recorded. */
  enabling: Map<string, EnablingMarker>
}

const tablePk = (blue: string): string => `table#${blue}`
const segmentSk = (segment: number): string =>
  `${SEGMENT_PREFIX}${String(segment).padStart(6, '0')}`

const s = (v: AttributeValue | undefined): string | undefined => v?.S
const n = (v: AttributeValue | undefined): number => Number(v?.N ?? '0')

export async function createControlTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' }
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' }
        ],
        Tags: [{ Key: 'bluegreen-action', Value: 'replication-control' }]
      })
    )
  } catch (error) {
    // A parallel matrix job created it first: fine.
    if (!isNamed(error, 'ResourceInUseException')) throw error
  }
}

export async function deleteControlTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: name }))
  } catch (error) {
    if (!isResourceNotFound(error)) throw error
  }
}

/** Every record of the control table; undefined when the table does not exist. */
export async function readControl(
  client: DynamoDBClient,
  name: string
): Promise<ControlState | undefined> {
  const items: Record<string, AttributeValue>[] = []
  try {
    for await (const page of paginateScan({ client }, { TableName: name, ConsistentRead: true })) {
      items.push(...(page.Items ?? []))
    }
  } catch (error) {
    if (isResourceNotFound(error)) return undefined
    throw error
  }
  return parseControl(items)
}

/** The meta record alone (one GetItem); undefined when the control table does not exist. */
export async function readMeta(
  client: DynamoDBClient,
  name: string
): Promise<MetaRecord | undefined> {
  try {
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: name,
        Key: { pk: { S: 'meta' }, sk: { S: 'meta' } },
        ConsistentRead: true
      })
    )
    return Item === undefined ? undefined : parseControl([Item]).meta
  } catch (error) {
    if (isResourceNotFound(error)) return undefined
    throw error
  }
}

export function parseControl(items: readonly Record<string, AttributeValue>[]): ControlState {
  let meta: MetaRecord | undefined
  const tables = new Map<string, TableRecord>()
  const segments = new Map<string, SegmentRecord[]>()
  const consumers = new Map<string, ConsumerRecord>()
  const enabling = new Map<string, EnablingMarker>()
  for (const item of items) {
    const pk = s(item.pk) ?? ''
    const sk = s(item.sk) ?? ''
    if (pk === 'meta') {
      meta = {
        blue: s(item.blue) ?? '',
        green: s(item.green) ?? '',
        functionName: s(item.functionName) ?? '',
        roleName: s(item.roleName) ?? '',
        createdAt: s(item.createdAt) ?? '',
        greenTrafficSince: s(item.greenTrafficSince)
      }
      continue
    }
    if (!pk.startsWith('table#')) continue
    const blue = pk.slice('table#'.length)
    if (sk === 'table') {
      tables.set(blue, {
        blue,
        green: s(item.green) ?? '',
        streamArn: s(item.streamArn) ?? '',
        streamEnabledByUs: item.streamEnabledByUs?.BOOL === true,
        t0: s(item.t0) ?? '',
        segments: n(item.segments),
        itemCount: n(item.itemCount),
        backfillDoneAt: s(item.backfillDoneAt),
        errors: item.errors?.L?.map((e) => e.S ?? '') ?? [],
        greenHadItems: item.greenHadItems?.BOOL === true
      })
    } else if (sk.startsWith(SEGMENT_PREFIX)) {
      const list = segments.get(blue) ?? []
      list.push({
        segment: Number(sk.slice(SEGMENT_PREFIX.length)),
        lastKey: item.lastKey?.M,
        done: item.done?.BOOL === true,
        copied: n(item.copied),
        pages: n(item.pages),
        updatedAt: s(item.updatedAt) ?? ''
      })
      segments.set(blue, list)
    } else if (sk === 'enabling') {
      enabling.set(blue, { at: s(item.at) ?? '', streamArn: s(item.streamArn) })
    } else if (sk === 'consumer') {
      consumers.set(blue, {
        position: s(item.position) ?? '',
        at: s(item.at) ?? '',
        applied: n(item.applied)
      })
    }
  }
  const result = new Map<string, TableControl>()
  for (const [blue, table] of tables) {
    const segs = (segments.get(blue) ?? []).sort((a, b) => a.segment - b.segment)
    result.set(blue, { table, segments: segs, consumer: consumers.get(blue) })
  }
  return { meta, tables: result, buckets: parseBucketItems(items), enabling }
}

export async function putMeta(
  client: DynamoDBClient,
  name: string,
  meta: Omit<MetaRecord, 'greenTrafficSince'>
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: name,
      Item: {
        pk: { S: 'meta' },
        sk: { S: 'meta' },
        blue: { S: meta.blue },
        green: { S: meta.green },
        functionName: { S: meta.functionName },
        roleName: { S: meta.roleName },
        createdAt: { S: meta.createdAt }
      }
    })
  )
}

/**
 * Records a table's start of replication (T0, stream). Conditional: when another job of a
 * matrix recorded it first, that record wins (returns false) and the caller re-reads it.
 */
export async function putTableRecord(
  client: DynamoDBClient,
  name: string,
  record: TableRecord
): Promise<boolean> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: name,
        Item: {
          pk: { S: tablePk(record.blue) },
          sk: { S: 'table' },
          green: { S: record.green },
          streamArn: { S: record.streamArn },
          streamEnabledByUs: { BOOL: record.streamEnabledByUs },
          t0: { S: record.t0 },
          segments: { N: String(record.segments) },
          itemCount: { N: String(record.itemCount) },
          errors: { L: [] },
          greenHadItems: { BOOL: record.greenHadItems }
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
 * Notes that prepare turned this table's stream on: written only once UpdateTable has succeeded,
 * with the ARN of the stream it turned on, so a later run never claims a stream its owner enabled.
 */
export async function markEnabling(
  client: DynamoDBClient,
  name: string,
  blue: string,
  marker: { at: string; streamArn: string }
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: name,
      Item: {
        pk: { S: tablePk(blue) },
        sk: { S: 'enabling' },
        at: { S: marker.at },
        streamArn: { S: marker.streamArn }
      }
    })
  )
}

/** Removes a marker that no longer names the table's stream. */
export async function clearEnabling(
  client: DynamoDBClient,
  name: string,
  blue: string
): Promise<void> {
  await client.send(
    new DeleteItemCommand({
      TableName: name,
      Key: { pk: { S: tablePk(blue) }, sk: { S: 'enabling' } }
    })
  )
}

/**
 * Records, once, when green started to take traffic (and so writes of its own): a later replay
 * of blue's stream from TRIM_HORIZON would overwrite them, so start refuses it from then on.
 */
export async function recordGreenTraffic(
  client: DynamoDBClient,
  name: string,
  at: string
): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: name,
      Key: { pk: { S: 'meta' }, sk: { S: 'meta' } },
      UpdateExpression: 'SET greenTrafficSince = if_not_exists(greenTrafficSince, :at)',
      ExpressionAttributeValues: { ':at': { S: at } }
    })
  )
}

/** Marks the backfill of a table finished (idempotent). */
export async function markBackfillDone(
  client: DynamoDBClient,
  name: string,
  blue: string,
  at: string
): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: name,
      Key: { pk: { S: tablePk(blue) }, sk: { S: 'table' } },
      UpdateExpression: 'SET backfillDoneAt = if_not_exists(backfillDoneAt, :at)',
      ExpressionAttributeValues: { ':at': { S: at } }
    })
  )
}

export async function recordTableError(
  client: DynamoDBClient,
  name: string,
  blue: string,
  message: string
): Promise<void> {
  await appendError(client, name, { pk: tablePk(blue), sk: 'table' }, message)
}

/** Appends an error (first 1,000 characters) to the `errors` list of a control record. */
export async function appendError(
  client: DynamoDBClient,
  name: string,
  key: { pk: string; sk: string },
  message: string
): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: name,
      Key: { pk: { S: key.pk }, sk: { S: key.sk } },
      UpdateExpression: 'SET #e = list_append(if_not_exists(#e, :empty), :m)',
      ExpressionAttributeNames: { '#e': 'errors' },
      ExpressionAttributeValues: {
        ':m': { L: [{ S: message.slice(0, 1000) }] },
        ':empty': { L: [] }
      }
    })
  )
}

/**
 * The checkpoint of one scan segment, written after the page's items are all on green:
 * the page's LastEvaluatedKey (or done, when the scan ended), items and pages added.
 */
export async function checkpointSegment(
  client: DynamoDBClient,
  name: string,
  blue: string,
  checkpoint: { segment: number; lastKey: Item | undefined; copied: number; at: string }
): Promise<void> {
  const done = checkpoint.lastKey === undefined
  await client.send(
    new UpdateItemCommand({
      TableName: name,
      Key: { pk: { S: tablePk(blue) }, sk: { S: segmentSk(checkpoint.segment) } },
      UpdateExpression: done
        ? 'SET done = :true, updatedAt = :at ADD copied :n, pages :one REMOVE lastKey'
        : 'SET lastKey = :k, done = :false, updatedAt = :at ADD copied :n, pages :one',
      ExpressionAttributeValues: {
        ':at': { S: checkpoint.at },
        ':n': { N: String(checkpoint.copied) },
        ':one': { N: '1' },
        ...(done
          ? { ':true': { BOOL: true } }
          : { ':k': { M: checkpoint.lastKey ?? {} }, ':false': { BOOL: false } })
      }
    })
  )
}

/**
 * The replication function's heartbeat: moves `position` forward (never back), counts items.
 * A failed condition (an older position) is not an error.
 */
export async function recordConsumer(
  client: DynamoDBClient,
  name: string,
  blue: string,
  heartbeat: { position: string; at: string; applied: number }
): Promise<void> {
  await advanceHeartbeat(client, name, { pk: tablePk(blue), sk: 'consumer' }, heartbeat)
}

/** Moves a heartbeat record's `position` forward (never back) and adds to `applied`. */
export async function advanceHeartbeat(
  client: DynamoDBClient,
  name: string,
  key: { pk: string; sk: string },
  heartbeat: { position: string; at: string; applied: number }
): Promise<void> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: name,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        UpdateExpression: 'SET #p = :p, #at = :at ADD applied :n',
        ConditionExpression: 'attribute_not_exists(#p) OR #p <= :p',
        ExpressionAttributeNames: { '#p': 'position', '#at': 'at' },
        ExpressionAttributeValues: {
          ':p': { S: heartbeat.position },
          ':at': { S: heartbeat.at },
          ':n': { N: String(heartbeat.applied) }
        }
      })
    )
  } catch (error) {
    if (!isConditionFailed(error)) throw error
  }
}
