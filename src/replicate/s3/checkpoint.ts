/**
 * The copy's checkpoint and its records of copies whose ETag changed, behind a small interface:
 * kept in the replication control table (one item per bucket pair, one per record), or in memory
 * for tests.
 *
 * Control table layout, per blue bucket B:
 *   pk `bucket#B`, sk `copy`            → the current pass: when it started, the key every key up
 *                                         to which is handled (S3 order), done, counters
 *   pk `bucket#B`, sk `etag#<sha256>`   → a copy whose green ETag differs from blue's: the key,
 *                                         blue's ETag, green's ETag (keys are up to 1,024 bytes,
 *                                         a sort key too, so the key is hashed into the sort key)
 */
import { createHash } from 'node:crypto'
import {
  GetItemCommand,
  PutItemCommand,
  paginateQuery,
  type AttributeValue,
  type DynamoDBClient
} from '@aws-sdk/client-dynamodb'
import { BATCH_SIZE, batchPut } from '../../aws/dynamodb.js'
import type { EtagRecord } from './compare.js'
import type { Backoff } from '../../aws/retry.js'

export interface CopyCounts {
  /** Keys of blue listed. */
  listed: number
  copied: number
  bytesCopied: number
  /** Already equal on green. */
  skipped: number
  ignored: number
  /** Keys only green has (not ignored). */
  extra: number
  deleted: number
  /** Archived objects (GLACIER, DEEP_ARCHIVE) that S3 cannot copy before a restore. */
  archived: number
}

export const ZERO_COUNTS: CopyCounts = {
  listed: 0,
  copied: 0,
  bytesCopied: 0,
  skipped: 0,
  ignored: 0,
  extra: 0,
  deleted: 0,
  archived: 0
}

export interface CopyCheckpoint {
  /** ISO time this pass began listing blue. */
  passStartedAt: string
  /** Every key up to this one (S3 order) is handled; undefined: none yet. */
  after: string | undefined
  done: boolean
  /** Counters of the whole pass (all runs of it). */
  counts: CopyCounts
  updatedAt: string
}

export interface CopyStore {
  load(): Promise<{ checkpoint: CopyCheckpoint | undefined; records: Map<string, EtagRecord> }>
  /** Saves the new records first, then the checkpoint (a record never trails its checkpoint). */
  save(checkpoint: CopyCheckpoint, records: readonly EtagRecord[]): Promise<void>
}

/** A store in memory (tests); `saves` counts the checkpoints written. */
export function memoryCopyStore(): CopyStore & {
  checkpoint: CopyCheckpoint | undefined
  records: Map<string, EtagRecord>
  saves: number
} {
  const store = {
    checkpoint: undefined as CopyCheckpoint | undefined,
    records: new Map<string, EtagRecord>(),
    saves: 0,
    load() {
      return Promise.resolve({
        checkpoint: store.checkpoint === undefined ? undefined : structuredClone(store.checkpoint),
        records: new Map(store.records)
      })
    },
    save(checkpoint: CopyCheckpoint, records: readonly EtagRecord[]) {
      for (const r of records) store.records.set(r.key, { ...r })
      store.checkpoint = structuredClone(checkpoint)
      store.saves++
      return Promise.resolve()
    }
  }
  return store
}

export const bucketPk = (blue: string): string => `bucket#${blue}`
const recordSk = (key: string): string =>
  `etag#${createHash('sha256').update(key, 'utf8').digest('hex')}`

const COUNT_NAMES = Object.keys(ZERO_COUNTS) as (keyof CopyCounts)[]

/** The `copy` item of a bucket pair as a checkpoint. */
export function parseCheckpoint(item: Record<string, AttributeValue>): CopyCheckpoint {
  const counts: CopyCounts = { ...ZERO_COUNTS }
  for (const n of COUNT_NAMES) counts[n] = Number(item.counts?.M?.[n]?.N ?? '0')
  return {
    passStartedAt: item.passStartedAt?.S ?? '',
    after: item.after?.S,
    done: item.done?.BOOL === true,
    counts,
    updatedAt: item.updatedAt?.S ?? ''
  }
}

/** The control-table store of one bucket pair (keyed by the blue bucket). */
export function controlTableCopyStore(
  dynamodb: DynamoDBClient,
  table: string,
  blue: string,
  backoff: Backoff
): CopyStore {
  const pk = bucketPk(blue)
  return {
    async load() {
      const out = await dynamodb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: pk }, sk: { S: 'copy' } },
          ConsistentRead: true
        })
      )
      const checkpoint = out.Item === undefined ? undefined : parseCheckpoint(out.Item)
      const records = new Map<string, EtagRecord>()
      const pages = paginateQuery(
        { client: dynamodb },
        {
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :etag)',
          ExpressionAttributeValues: { ':pk': { S: pk }, ':etag': { S: 'etag#' } },
          ConsistentRead: true
        }
      )
      for await (const page of pages) {
        for (const r of page.Items ?? []) {
          const key = r.key?.S
          if (key === undefined) continue
          records.set(key, { key, blueEtag: r.blueEtag?.S ?? '', greenEtag: r.greenEtag?.S ?? '' })
        }
      }
      return { checkpoint, records }
    },
    async save(checkpoint, records) {
      const items = records.map((r) => ({
        pk: { S: pk },
        sk: { S: recordSk(r.key) },
        key: { S: r.key },
        blueEtag: { S: r.blueEtag },
        greenEtag: { S: r.greenEtag }
      }))
      for (let i = 0; i < items.length; i += BATCH_SIZE) {
        await batchPut(dynamodb, table, items.slice(i, i + BATCH_SIZE), backoff)
      }
      const counts: Record<string, AttributeValue> = Object.fromEntries(
        COUNT_NAMES.map((n) => [n, { N: String(checkpoint.counts[n]) }])
      )
      await dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: pk },
            sk: { S: 'copy' },
            passStartedAt: { S: checkpoint.passStartedAt },
            ...(checkpoint.after === undefined ? {} : { after: { S: checkpoint.after } }),
            done: { BOOL: checkpoint.done },
            counts: { M: counts },
            updatedAt: { S: checkpoint.updatedAt }
          }
        })
      )
    }
  }
}
