/**
 * The replication function's core. For every changed key in a batch of stream records it reads
 * blue with a strongly consistent GetItem and writes what it read to green (PutItem, or
 * DeleteItem when the item is gone). Reading the source instead of trusting the record's image
 * makes it order-independent and idempotent, and closes the race with the backfill: whatever
 * the backfill wrote, the last record of a key makes green equal blue's current item.
 *
 * Records of one key in a batch are applied once (the read sees the newest state). A key that
 * fails is reported in batchItemFailures with its first record's SequenceNumber, so Lambda
 * retries the batch from there (ReportBatchItemFailures) and nothing after it is lost.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient
} from '@aws-sdk/client-dynamodb'
import type {
  AttributeValue as StreamAttributeValue,
  DynamoDBBatchResponse,
  DynamoDBRecord
} from 'aws-lambda'
import { withRetry } from '../../aws/retry.js'
import { mapLimit } from '../../concurrency.js'
import { recordConsumer } from '../control.js'

export interface ApplyDeps {
  dynamodb: DynamoDBClient
  /** Blue table name → green table name. */
  tableMap: Readonly<Record<string, string>>
  /** Control table for the progress heartbeat; undefined: none. */
  controlTable?: string | undefined
  /** Distinct keys applied at once. */
  concurrency?: number
  sleep?: (ms: number) => Promise<void>
  now?: () => Date
  /** Where failures are written (the function's log: console.error). */
  logError?: (message: string) => void
}

/** `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` → `<name>`. */
export function tableOfStreamArn(arn: string): string | undefined {
  const m = /:table\/([^/]+)\/stream\//.exec(arn)
  return m?.[1]
}

/** A key attribute from a Lambda event (B is base64 there) as an SDK AttributeValue. */
function keyValue(v: StreamAttributeValue): AttributeValue {
  if (v.S !== undefined) return { S: v.S }
  if (v.N !== undefined) return { N: v.N }
  if (v.B !== undefined) return { B: Buffer.from(v.B, 'base64') }
  throw new Error(`unsupported key attribute ${JSON.stringify(v)}`)
}

function toKey(keys: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, keyValue(v)]))
}

interface Group {
  first: number
  blue: string
  key: Record<string, AttributeValue>
}

export interface KeyTarget {
  dynamodb: DynamoDBClient
  blue: string
  green: string
  sleep?: (ms: number) => Promise<void>
  maxAttempts?: number
}

/**
 * The replication rule for one key, shared by the function, `replicate repair` and the
 * backfill's removal of keys blue lacks: a strongly consistent read of blue, then green is made
 * equal to what was read (PutItem, or DeleteItem when the item is gone). Returns what it did.
 */
export async function applyKey(
  target: KeyTarget,
  key: Record<string, AttributeValue>
): Promise<'put' | 'delete'> {
  const backoff = { sleep: target.sleep ?? defaultSleep, maxAttempts: target.maxAttempts ?? 5 }
  const { Item } = await withRetry(
    () =>
      target.dynamodb.send(
        new GetItemCommand({ TableName: target.blue, Key: key, ConsistentRead: true })
      ),
    backoff
  )
  if (Item === undefined) {
    await withRetry(
      () => target.dynamodb.send(new DeleteItemCommand({ TableName: target.green, Key: key })),
      backoff
    )
    return 'delete'
  }
  await withRetry(
    () => target.dynamodb.send(new PutItemCommand({ TableName: target.green, Item })),
    backoff
  )
  return 'put'
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function applyRecords(
  records: readonly DynamoDBRecord[],
  deps: ApplyDeps
): Promise<DynamoDBBatchResponse> {
  const groups = new Map<string, Group>()
  const invalid: number[] = []
  records.forEach((record, index) => {
    const blue = tableOfStreamArn(record.eventSourceARN ?? '')
    const keys = record.dynamodb?.Keys
    if (blue === undefined || keys === undefined) {
      invalid.push(index)
      return
    }
    const id = `${blue}\u0000${JSON.stringify(Object.entries(keys).sort(([a], [b]) => (a < b ? -1 : 1)))}`
    if (!groups.has(id)) groups.set(id, { first: index, blue, key: toKey(keys) })
  })

  const failed = new Set<number>(invalid)
  await mapLimit([...groups.values()], deps.concurrency ?? 16, async (group) => {
    try {
      const green = deps.tableMap[group.blue]
      if (green === undefined) throw new Error(`no green table configured for ${group.blue}`)
      await applyKey(
        {
          dynamodb: deps.dynamodb,
          blue: group.blue,
          green,
          ...(deps.sleep ? { sleep: deps.sleep } : {})
        },
        group.key
      )
    } catch (error) {
      failed.add(group.first)
      ;(deps.logError ?? console.error)(
        `replicate ${group.blue} ${JSON.stringify(group.key)}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`
      )
    }
  })

  const failures = [...failed].sort((a, b) => a - b)
  await heartbeat(records, failures[0] ?? records.length, deps)
  return {
    batchItemFailures: failures.map((i) => ({
      itemIdentifier: records[i]?.dynamodb?.SequenceNumber ?? ''
    }))
  }
}

/**
 * Records, per blue table, the newest ApproximateCreationDateTime applied before the first
 * failure (everything up to there is on green): `replicate status` measures from it.
 */
async function heartbeat(
  records: readonly DynamoDBRecord[],
  end: number,
  deps: ApplyDeps
): Promise<void> {
  const control = deps.controlTable
  if (control === undefined || control === '') return
  const perTable = new Map<string, { position: number; applied: number }>()
  for (const record of records.slice(0, end)) {
    const blue = tableOfStreamArn(record.eventSourceARN ?? '')
    const seconds = record.dynamodb?.ApproximateCreationDateTime
    if (blue === undefined || seconds === undefined) continue
    const entry = perTable.get(blue) ?? { position: 0, applied: 0 }
    entry.position = Math.max(entry.position, seconds)
    entry.applied++
    perTable.set(blue, entry)
  }
  const at = (deps.now ?? (() => new Date()))().toISOString()
  for (const [blue, { position, applied }] of perTable) {
    try {
      await recordConsumer(deps.dynamodb, control, blue, {
        position: new Date(position * 1000).toISOString(),
        at,
        applied
      })
    } catch (error) {
      // Progress reporting must never fail replication.
      ;(deps.logError ?? console.error)(
        `heartbeat ${blue}: ${error instanceof Error ? error.message : String(error)}`
      )
    }
  }
}
