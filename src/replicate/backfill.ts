/**
 * The backfill: a parallel scan of blue (eventually consistent reads; `Segment` of
 * `TotalSegments`) written into green with BatchWriteItem, 25 items a call. Each segment is
 * checkpointed in the control table after its page is on green, so a killed run resumes after
 * the last page written (it redoes at most the page that was in flight). The next page is read
 * while the current one is written.
 *
 * The stream holds changes for 24 hours from T0, so the copy must end before T0 + 24 h, less the
 * margin `start` needs. After every page the run checks that deadline: passed, it stops; else it
 * estimates the items still to scan and, at the rate measured so far, stops as soon as they
 * cannot be copied in time. The estimate never rests on ItemCount alone (DynamoDB refreshes it
 * about every six hours, and it is 0 on a new table): it is the largest of ItemCount and, once a
 * segment has finished, the items of the finished segments extrapolated over all of them.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  BATCH_SIZE,
  batchPut,
  scanPage,
  type BatchWriteStats,
  type Item,
  type ScanPage
} from '../aws/dynamodb.js'
import { withRetry, type Backoff } from '../aws/retry.js'
import { mapLimit } from '../concurrency.js'
import { BlueGreenError } from '../errors.js'
import type { Logger } from '../log.js'
import { checkpointSegment, type SegmentRecord } from './control.js'

export const STREAM_RETENTION_MS = 24 * 3_600_000

export interface BackfillTuning {
  /** Items per scan page; undefined: DynamoDB's 1 MB pages. */
  pageSize?: number | undefined
  /** BatchWriteItem calls in flight per segment. */
  writeConcurrency?: number
  /** Segments scanned at once by this run (the rest wait their turn). */
  parallelSegments?: number
  /** Shortest time between two progress lines. */
  progressEveryMs?: number
  /** The stream's retention (24 h) and the margin kept to run `start` before it ends. */
  retentionMs?: number
  retentionMarginMs?: number
  /** The rate is measured once every running segment wrote a page, or after this long. */
  measureAfterMs?: number
}

export interface BackfillJob {
  controlTable: string
  blue: string
  green: string
  /** ItemCount of blue (approximate) for progress and the retention estimate. */
  itemCount: number
  t0: Date
  totalSegments: number
  /** The segments this run scans (all, or the one of a matrix job). */
  segments: readonly number[]
  /** Checkpoints read from the control table. */
  checkpoints: ReadonlyMap<number, SegmentRecord>
}

export interface BackfillDeps {
  dynamodb: DynamoDBClient
  log: Logger
  now: () => Date
  sleep: (ms: number) => Promise<void>
}

export interface BackfillResult {
  /** Items written by this run. */
  copied: number
  /** Pages written and checkpointed by this run. */
  pages: number
  writes: BatchWriteStats
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US')

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export async function backfill(
  job: BackfillJob,
  deps: BackfillDeps,
  tuning: BackfillTuning = {}
): Promise<BackfillResult> {
  const backoff: Backoff = { sleep: deps.sleep, maxAttempts: 30 }
  const started = deps.now().getTime()
  const before = job.segments.reduce((sum, s) => sum + (job.checkpoints.get(s)?.copied ?? 0), 0)
  const fromItemCount = (job.itemCount * job.segments.length) / job.totalSegments
  /** Items per segment of this run (checkpointed + copied now), and the segments finished. */
  const perSegment = new Map(job.segments.map((s) => [s, job.checkpoints.get(s)?.copied ?? 0]))
  const finished = new Set(job.segments.filter((s) => job.checkpoints.get(s)?.done === true))
  const expectedItems = (): number => {
    let estimate = fromItemCount
    if (finished.size > 0) {
      const done = [...finished].reduce((n, s) => n + (perSegment.get(s) ?? 0), 0)
      estimate = Math.max(estimate, (done / finished.size) * job.segments.length)
    }
    return Math.max(1, estimate)
  }
  const result: BackfillResult = { copied: 0, pages: 0, writes: { calls: 0, retriedItems: 0 } }
  const state = { failed: false, measured: false, lastLog: started }
  const retention = tuning.retentionMs ?? STREAM_RETENTION_MS
  const margin = tuning.retentionMarginMs ?? 3_600_000
  const deadline = job.t0.getTime() + retention - margin
  const parallel = Math.max(1, tuning.parallelSegments ?? 16)

  if (started > deadline) {
    throw new BlueGreenError(
      `The backfill of ${job.blue} started at T0 ${job.t0.toISOString()}; the stream keeps changes for ${formatDuration(retention)}, so it cannot finish in time any more (now ${new Date(started).toISOString()}). Run \`replicate terminate\`, then \`replicate prepare\` again (with more segments, or a matrix).`
    )
  }

  const report = (now: number): void => {
    const elapsed = (now - started) / 1000
    const rate = elapsed > 0 ? result.copied / elapsed : 0
    const done = before + result.copied
    const expected = expectedItems()
    const remaining = Math.max(0, expected - done)
    const eta = rate > 0 ? formatDuration((remaining / rate) * 1000) : 'unknown'
    deps.log.info(
      `${job.blue} → ${job.green}: ${fmtInt(done)} of ~${fmtInt(expected)} items (${Math.min(100, Math.floor((done / expected) * 100))} %), ${fmtInt(rate)} items/s, ETA ${eta}`
    )
  }

  const afterPage = (): void => {
    const now = deps.now().getTime()
    if (now > deadline) {
      state.failed = true
      throw new BlueGreenError(
        `The backfill of ${job.blue} ran past its deadline ${new Date(deadline).toISOString()}: the stream keeps changes since T0 ${job.t0.toISOString()} for ${formatDuration(retention)}, and \`start\` needs ${formatDuration(margin)} of that. Raise \`segments\` (now ${job.totalSegments}) or share them across a matrix (\`segment\`); then run \`replicate terminate\` and \`replicate prepare\` again.`
      )
    }
    if (
      !state.measured &&
      result.copied > 0 &&
      (result.pages >= Math.min(job.segments.length, parallel) ||
        now - started >= (tuning.measureAfterMs ?? 10_000))
    ) {
      state.measured = true
    }
    if (state.measured) {
      const rate = result.copied / Math.max((now - started) / 1000, 0.001)
      const remaining =
        finished.size === job.segments.length
          ? 0
          : Math.max(0, expectedItems() - before - result.copied)
      const finish = now + (remaining / rate) * 1000
      if (finish > deadline) {
        state.failed = true
        throw new BlueGreenError(
          `The backfill of ${job.blue} cannot finish inside the stream's ${formatDuration(retention)} retention: ~${fmtInt(remaining)} items left (ItemCount ${fmtInt(job.itemCount)}, ${finished.size} of ${job.segments.length} segments done) at ${fmtInt(rate)} items/s measured need ${formatDuration(finish - now)}, but changes since T0 ${job.t0.toISOString()} are kept only until ${new Date(job.t0.getTime() + retention).toISOString()} (and \`start\` needs ${formatDuration(margin)} of that). Raise \`segments\` (now ${job.totalSegments}), share the segments across a matrix (\`segment\`), or raise green's write capacity; then run \`replicate terminate\` and \`replicate prepare\` again.`
        )
      }
    }
    if (now - state.lastLog >= (tuning.progressEveryMs ?? 5000)) {
      state.lastLog = now
      report(now)
    }
  }

  const runSegment = async (segment: number): Promise<void> => {
    const checkpoint = job.checkpoints.get(segment)
    if (checkpoint?.done === true) return
    const read = (startKey: Item | undefined): Promise<ScanPage> => {
      const p = scanPage(
        deps.dynamodb,
        {
          table: job.blue,
          segment,
          totalSegments: job.totalSegments,
          startKey,
          limit: tuning.pageSize
        },
        backoff
      )
      p.catch(() => undefined) // awaited below; avoid an unhandled rejection meanwhile
      return p
    }
    let next: Promise<ScanPage> | undefined = read(checkpoint?.lastKey)
    while (next !== undefined && !state.failed) {
      const page: ScanPage = await next
      next = page.lastKey === undefined ? undefined : read(page.lastKey)
      await mapLimit(chunk(page.items, BATCH_SIZE), tuning.writeConcurrency ?? 8, (items) =>
        batchPut(deps.dynamodb, job.green, items, backoff, result.writes)
      )
      await withRetry(
        () =>
          checkpointSegment(deps.dynamodb, job.controlTable, job.blue, {
            segment,
            lastKey: page.lastKey,
            copied: page.items.length,
            at: deps.now().toISOString()
          }),
        backoff
      )
      result.copied += page.items.length
      result.pages++
      perSegment.set(segment, (perSegment.get(segment) ?? 0) + page.items.length)
      if (page.lastKey === undefined) finished.add(segment)
      afterPage()
    }
  }

  await mapLimit(job.segments, parallel, async (segment) => {
    try {
      await runSegment(segment)
    } catch (error) {
      state.failed = true
      throw error
    }
  })
  report(deps.now().getTime())
  return result
}
