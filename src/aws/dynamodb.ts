/**
 * DynamoDB adapter for replicate: tables (keys, indexes, stream settings), the stream itself
 * (status, records of a sequence range), scans and batch writes, returned as domain types. Batch
 * writes retry every UnprocessedItem and every throttled call (backoff with jitter through the
 * injected sleep) and never drop an item: they either write all or throw.
 */
import {
  BatchWriteItemCommand,
  DescribeTableCommand,
  ScanCommand,
  UpdateTableCommand,
  paginateListTables,
  waitUntilTableExists,
  waitUntilTableNotExists,
  type AttributeValue,
  type DynamoDBClient,
  type TableDescription,
  type WriteRequest
} from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type AttributeValue as StreamAttributeValue
} from '@aws-sdk/client-dynamodb-streams'
import { isNamed, isResourceNotFound } from './errors.js'
import { backoffDelay, pollUntil, withRetry, type Backoff } from './retry.js'

export type Item = Record<string, AttributeValue>

export type KeyType = 'S' | 'N' | 'B'

export interface KeyAttribute {
  name: string
  type: KeyType
}

export interface KeySchema {
  hash: KeyAttribute
  range: KeyAttribute | undefined
}

export type StreamViewType = 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY'

/** A global or local secondary index: the attributes of its key and their declared types. */
export interface IndexInfo {
  name: string
  kind: 'global' | 'local'
  keys: KeyAttribute[]
}

export interface TableInfo {
  name: string
  arn: string
  status: string
  keySchema: KeySchema
  indexes: IndexInfo[]
  /** Approximate: DynamoDB refreshes it about every six hours (0 on a new table). */
  itemCount: number
  /** Approximate, refreshed like itemCount. */
  sizeBytes: number
  stream: { enabled: boolean; viewType: StreamViewType | undefined; arn: string | undefined }
}

export function toTableInfo(t: TableDescription): TableInfo {
  const attr = (name: string): KeyAttribute => {
    const type = t.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType
    return { name, type: type === 'N' || type === 'B' ? type : 'S' }
  }
  const hash = t.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? ''
  const range = t.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName
  const enabled = t.StreamSpecification?.StreamEnabled === true
  const index =
    (kind: IndexInfo['kind']) =>
    (i: {
      IndexName?: string | undefined
      KeySchema?: { AttributeName?: string | undefined }[] | undefined
    }): IndexInfo => ({
      name: i.IndexName ?? '',
      kind,
      keys: (i.KeySchema ?? []).map((k) => attr(k.AttributeName ?? ''))
    })
  return {
    name: t.TableName ?? '',
    arn: t.TableArn ?? '',
    status: t.TableStatus ?? 'UNKNOWN',
    keySchema: { hash: attr(hash), range: range === undefined ? undefined : attr(range) },
    indexes: [
      ...(t.GlobalSecondaryIndexes ?? []).map(index('global')),
      ...(t.LocalSecondaryIndexes ?? []).map(index('local'))
    ],
    itemCount: t.ItemCount ?? 0,
    sizeBytes: t.TableSizeBytes ?? 0,
    stream: {
      enabled,
      viewType: enabled ? t.StreamSpecification?.StreamViewType : undefined,
      arn: enabled ? t.LatestStreamArn : undefined
    }
  }
}

/** The table, or undefined when it does not exist. */
export async function describeTable(
  client: DynamoDBClient,
  name: string
): Promise<TableInfo | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }))
    return Table === undefined ? undefined : toTableInfo(Table)
  } catch (error) {
    if (isResourceNotFound(error)) return undefined
    throw error
  }
}

export async function listTableNames(client: DynamoDBClient): Promise<string[]> {
  const names: string[] = []
  for await (const page of paginateListTables({ client }, {}))
    names.push(...(page.TableNames ?? []))
  return names
}

export interface WaitOptions {
  /** Longest wait, seconds. */
  maxWaitTime?: number
  /** Shortest delay between polls, seconds. */
  minDelay?: number
}

/** Waits (SDK waiter) until the table is ACTIVE. */
export async function waitForTableActive(
  client: DynamoDBClient,
  name: string,
  options: WaitOptions = {}
): Promise<void> {
  await waitUntilTableExists(
    { client, maxWaitTime: options.maxWaitTime ?? 600, minDelay: options.minDelay ?? 2 },
    { TableName: name }
  )
}

export async function waitForTableGone(
  client: DynamoDBClient,
  name: string,
  options: WaitOptions = {}
): Promise<void> {
  await waitUntilTableNotExists(
    { client, maxWaitTime: options.maxWaitTime ?? 600, minDelay: options.minDelay ?? 2 },
    { TableName: name }
  )
}

/**
 * Turns the table's stream on (NEW_AND_OLD_IMAGES) or off; returns the ARN of the stream turned
 * on (UpdateTable's answer names it).
 */
export async function setStream(
  client: DynamoDBClient,
  name: string,
  enabled: boolean
): Promise<string | undefined> {
  const out = await client.send(
    new UpdateTableCommand({
      TableName: name,
      StreamSpecification: enabled
        ? { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' }
        : { StreamEnabled: false }
    })
  )
  return enabled ? out.TableDescription?.LatestStreamArn : undefined
}

/** A table that has a stream already: UpdateTable refuses to turn on a second one. */
export function isStreamAlreadyEnabled(error: unknown): boolean {
  return (
    isNamed(error, 'ValidationException') &&
    error instanceof Error &&
    /already has an enabled stream/i.test(error.message)
  )
}

export type StreamStatus = 'ENABLING' | 'ENABLED' | 'DISABLING' | 'DISABLED'

/** The stream's StreamStatus (DescribeStream); undefined when the stream does not exist. */
export async function streamStatus(
  streams: DynamoDBStreamsClient,
  streamArn: string
): Promise<StreamStatus | undefined> {
  try {
    const out = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, Limit: 1 }))
    return out.StreamDescription?.StreamStatus
  } catch (error) {
    if (isResourceNotFound(error)) return undefined
    throw error
  }
}

/**
 * Waits until DescribeStream reports the stream ENABLED: while it is ENABLING, changes to the
 * table may not be captured yet, so T0 (from which the stream holds every change) starts after.
 */
export async function waitStreamEnabled(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  options: { sleep: (ms: number) => Promise<void>; intervalMs?: number; timeoutMs?: number }
): Promise<void> {
  await pollUntil(
    async () => {
      const status = await streamStatus(streams, streamArn)
      if (status === 'ENABLED') return true
      if (status === 'DISABLING' || status === 'DISABLED') {
        throw new Error(`The stream ${streamArn} is ${status}, not coming on`)
      }
      return undefined
    },
    {
      sleep: options.sleep,
      intervalMs: options.intervalMs ?? 2000,
      timeoutMs: options.timeoutMs ?? 600_000,
      what: `stream ${streamArn} to be ENABLED`
    }
  )
}

/** The keys of one stream record, as SDK attribute values. */
export interface StreamKey {
  sequenceNumber: string
  keys: Item
}

function fromStreamValue(v: StreamAttributeValue): AttributeValue {
  if (v.S !== undefined) return { S: v.S }
  if (v.N !== undefined) return { N: v.N }
  if (v.B !== undefined) return { B: v.B }
  throw new Error('key attributes are S, N or B')
}

/**
 * The keys of the records of one shard from `start` to `end` (sequence numbers, inclusive), as a
 * failed batch's record names them. Undefined when the stream no longer holds them (trimmed after
 * 24 hours, or the stream is gone): the caller must then compare the tables instead.
 */
export async function readStreamRange(
  streams: DynamoDBStreamsClient,
  range: { streamArn: string; shardId: string; start: string; end: string }
): Promise<StreamKey[] | undefined> {
  const end = BigInt(range.end)
  const keys: StreamKey[] = []
  try {
    let iterator = (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: range.streamArn,
          ShardId: range.shardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          SequenceNumber: range.start
        })
      )
    ).ShardIterator
    while (iterator !== undefined) {
      const out = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 })
      )
      const records = out.Records ?? []
      for (const r of records) {
        const seq = r.dynamodb?.SequenceNumber
        if (seq === undefined) continue
        if (BigInt(seq) > end) return keys
        keys.push({
          sequenceNumber: seq,
          keys: Object.fromEntries(
            Object.entries(r.dynamodb?.Keys ?? {}).map(([k, v]) => [k, fromStreamValue(v)])
          )
        })
      }
      if (records.length === 0) break
      iterator = out.NextShardIterator
    }
  } catch (error) {
    if (
      isResourceNotFound(error) ||
      isNamed(error, 'TrimmedDataAccessException', 'ExpiredIteratorException')
    ) {
      return undefined
    }
    throw error
  }
  return keys
}

/** True when the table holds at least one item (a consistent one-item scan). */
export async function hasItems(client: DynamoDBClient, table: string): Promise<boolean> {
  const out = await client.send(
    new ScanCommand({ TableName: table, Limit: 1, ConsistentRead: true })
  )
  return (out.Items ?? []).length > 0
}

/** The attribute type of an item's value: S, N, B, BOOL, NULL, SS, NS, BS, L or M. */
export function typeOf(value: AttributeValue): string {
  return Object.keys(value).find((k) => k !== '$unknown') ?? 'unknown'
}

/** Items whose index attributes do not have the type the index declares. */
export interface TypeViolation {
  attribute: string
  expected: KeyType
  actual: string
  /** The item's key, as text. */
  key: string
}

/**
 * Reads up to `limit` items of `table` (one scan page, only the attributes named) and returns
 * those whose attribute in `attributes` has another type than the one given. A preflight sample:
 * the backfill still fails loudly on any item the sample did not see.
 */
export async function sampleTypeViolations(
  client: DynamoDBClient,
  request: {
    table: string
    keySchema: KeySchema
    attributes: readonly KeyAttribute[]
    limit: number
  }
): Promise<TypeViolation[]> {
  if (request.attributes.length === 0) return []
  const keyNames = [request.keySchema.hash.name, request.keySchema.range?.name].filter(
    (n): n is string => n !== undefined
  )
  const names = [...new Set([...keyNames, ...request.attributes.map((a) => a.name)])]
  const out = await client.send(
    new ScanCommand({
      TableName: request.table,
      Limit: request.limit,
      ProjectionExpression: names.map((_, i) => `#a${i}`).join(', '),
      ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#a${i}`, n]))
    })
  )
  const violations: TypeViolation[] = []
  for (const item of out.Items ?? []) {
    for (const a of request.attributes) {
      const value = item[a.name]
      if (value === undefined) continue
      const actual = typeOf(value)
      const empty =
        (value.S !== undefined && value.S === '') || (value.B !== undefined && value.B.length === 0)
      if (actual !== a.type || empty) {
        violations.push({
          attribute: a.name,
          expected: a.type,
          actual: empty ? `empty ${actual}` : actual,
          key: JSON.stringify(Object.fromEntries(keyNames.map((k) => [k, item[k]])))
        })
      }
    }
  }
  return violations
}

export interface ScanPageRequest {
  table: string
  segment: number
  totalSegments: number
  startKey: Item | undefined
  /** Items per page; undefined: DynamoDB's 1 MB pages. */
  limit?: number | undefined
  consistentRead?: boolean
}

export interface ScanPage {
  items: Item[]
  lastKey: Item | undefined
}

/** One page of a parallel scan (eventually consistent unless asked). */
export async function scanPage(
  client: DynamoDBClient,
  request: ScanPageRequest,
  backoff: Backoff
): Promise<ScanPage> {
  const out = await withRetry(
    () =>
      client.send(
        new ScanCommand({
          TableName: request.table,
          Segment: request.segment,
          TotalSegments: request.totalSegments,
          ConsistentRead: request.consistentRead ?? false,
          ...(request.startKey === undefined ? {} : { ExclusiveStartKey: request.startKey }),
          ...(request.limit === undefined ? {} : { Limit: request.limit })
        })
      ),
    backoff
  )
  const lastKey = out.LastEvaluatedKey
  return {
    items: out.Items ?? [],
    lastKey: lastKey === undefined || Object.keys(lastKey).length === 0 ? undefined : lastKey
  }
}

export const BATCH_SIZE = 25

export interface BatchWriteStats {
  /** BatchWriteItem calls made (first tries and retries). */
  calls: number
  /** Items that came back unprocessed at least once and were sent again. */
  retriedItems: number
}

/**
 * Writes up to 25 items with BatchWriteItem (PutRequest), sending every UnprocessedItem again
 * with backoff + jitter until none is left. Throws (never drops) when it cannot make progress
 * within `backoff.maxAttempts` consecutive attempts.
 */
export async function batchPut(
  client: DynamoDBClient,
  table: string,
  items: readonly Item[],
  backoff: Backoff,
  stats?: BatchWriteStats
): Promise<void> {
  if (items.length > BATCH_SIZE) throw new Error(`batchPut takes at most ${BATCH_SIZE} items`)
  let pending: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }))
  const maxAttempts = backoff.maxAttempts ?? 30
  let stalled = 0
  while (pending.length > 0) {
    const requests = pending
    const out = await withRetry(async () => {
      if (stats !== undefined) stats.calls++
      return client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }))
    }, backoff)
    const unprocessed = out.UnprocessedItems?.[table] ?? []
    if (stats !== undefined) stats.retriedItems += unprocessed.length
    stalled = unprocessed.length < pending.length ? 0 : stalled + 1
    pending = unprocessed
    if (pending.length === 0) break
    if (stalled >= maxAttempts) {
      throw new Error(
        `BatchWriteItem on ${table} left ${pending.length} items unprocessed after ${stalled} attempts without progress`
      )
    }
    await backoff.sleep(backoffDelay(stalled, backoff))
  }
}
