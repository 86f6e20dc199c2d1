/**
 * DynamoDB adapter for replicate: tables, streams settings, scans and batch writes, returned as
 * domain types. Batch writes retry every UnprocessedItem and every throttled call (backoff with
 * jitter through the injected sleep) and never drop an item: they either write all or throw.
 */
import {
  BatchWriteItemCommand,
  DescribeTableCommand,
  ListTablesCommand,
  ScanCommand,
  UpdateTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
  type AttributeValue,
  type DynamoDBClient,
  type TableDescription,
  type WriteRequest
} from '@aws-sdk/client-dynamodb'
import { withRetry, backoffDelay, type Backoff } from '../replicate/retry.js'

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

export interface TableInfo {
  name: string
  arn: string
  status: string
  keySchema: KeySchema
  /** Approximate (DynamoDB refreshes it about every six hours). */
  itemCount: number
  sizeBytes: number
  stream: { enabled: boolean; viewType: StreamViewType | undefined; arn: string | undefined }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException'
}

export function toTableInfo(t: TableDescription): TableInfo {
  const attr = (name: string): KeyAttribute => {
    const type = t.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType
    return { name, type: type === 'N' || type === 'B' ? type : 'S' }
  }
  const hash = t.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? ''
  const range = t.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName
  const enabled = t.StreamSpecification?.StreamEnabled === true
  return {
    name: t.TableName ?? '',
    arn: t.TableArn ?? '',
    status: t.TableStatus ?? 'UNKNOWN',
    keySchema: { hash: attr(hash), range: range === undefined ? undefined : attr(range) },
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
    if (isNotFound(error)) return undefined
    throw error
  }
}

export async function listTableNames(client: DynamoDBClient): Promise<string[]> {
  const names: string[] = []
  let start: string | undefined
  do {
    const out = await client.send(
      new ListTablesCommand(start === undefined ? {} : { ExclusiveStartTableName: start })
    )
    names.push(...(out.TableNames ?? []))
    start = out.LastEvaluatedTableName
  } while (start !== undefined)
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

/** Turns the table's stream on (NEW_AND_OLD_IMAGES) or off. */
export async function setStream(
  client: DynamoDBClient,
  name: string,
  enabled: boolean
): Promise<void> {
  await client.send(
    new UpdateTableCommand({
      TableName: name,
      StreamSpecification: enabled
        ? { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' }
        : { StreamEnabled: false }
    })
  )
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
