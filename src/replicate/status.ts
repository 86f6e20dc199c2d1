/**
 * `replicate status`: a signed percent per table and overall.
 *
 *   −100 … −1   backfill phase: −100 + the share copied (each segment counts 1/segments; a
 *               running one by items copied against its share of blue's approximate ItemCount,
 *               capped below 100 % until the scan ends). Not prepared: −100.
 *   0           backfill done, not started (no mapping).
 *   0 … 100     stream phase: how far the consumer has moved from T0 towards now,
 *               (position − T0) / (now − T0), where position is the newest record's
 *               ApproximateCreationDateTime the replication function has applied (its heartbeat
 *               in the control table; Lambda publishes its own position only as the CloudWatch
 *               metric IteratorAge). 100 only when the mapping's last poll found nothing new
 *               ("No records processed") after the function's last heartbeat, or (no heartbeat
 *               at all: the stream had nothing to apply) at least five minutes after the mapping
 *               changed; otherwise capped at 99. Because LastProcessingResult is one value for the
 *               whole mapping and the heartbeat keeps the newest position over all shards, 100 also
 *               needs Lambda's IteratorAge (read once per status run, see IteratorLag): the newest
 *               per-minute Maximum of the last five minutes at most MAX_ITERATOR_AGE_MS, or no
 *               datapoint at all (no records flowed); capped at 99 while the metric is unreadable.
 * Overall: while any table backfills, the backfill formula over every table; afterwards the
 * slowest table. Bucket pairs count as tables do (s3/status.ts: the copy, then the events).
 */
import type { Mapping } from '../aws/lambda.js'
import type { Report, TableRow } from '../report.js'
import { isBackfillDone, type ConsumerRecord, type TableControl } from './control.js'
import { bucketStatus } from './s3/status.js'
import type { ReplicationState } from './types.js'

export const IDLE_AFTER_MS = 5 * 60_000

/** The most IteratorAge (ms) a table at 100 % may show: one minute behind on the slowest shard. */
export const MAX_ITERATOR_AGE_MS = 60_000

/** The permission status needs to read IteratorAge. */
export const ITERATOR_AGE_PERMISSION = 'cloudwatch:GetMetricStatistics'

/**
 * The replication function's IteratorAge (CloudWatch AWS/Lambda, per function, so one value for
 * every table): `none` when the window holds no datapoint (no records flowed), `age` the newest
 * datapoint's Maximum, `unknown` when it could not be read.
 */
export type IteratorLag = { kind: 'none' } | { kind: 'age'; ms: number } | { kind: 'unknown' }

export const NO_LAG: IteratorLag = { kind: 'none' }

/** True when the lag lets a stream-phase table reach 100. */
export function lagAllowsCaughtUp(lag: IteratorLag): boolean {
  return lag.kind === 'none' || (lag.kind === 'age' && lag.ms <= MAX_ITERATOR_AGE_MS)
}

/** The note a stream-phase row carries for the lag ('' when the lag does not hold it back). */
export function lagNote(lag: IteratorLag): string {
  if (lag.kind === 'unknown') {
    return `IteratorAge could not be read, so progress stays below 100; grant ${ITERATOR_AGE_PERMISSION}`
  }
  if (lag.kind === 'age' && lag.ms > MAX_ITERATOR_AGE_MS) {
    return `the function is ${Math.round(lag.ms / 1000)} s behind on some shard (IteratorAge)`
  }
  return ''
}

export function backfillShare(control: TableControl): number {
  const { table, segments } = control
  const total = Math.max(1, table.segments)
  const perSegment = Math.max(1, table.itemCount / total)
  let sum = 0
  for (let i = 0; i < total; i++) {
    const seg = segments.find((s) => s.segment === i)
    if (seg === undefined) continue
    sum += seg.done ? 1 : Math.min(0.99, seg.copied / perSegment)
  }
  return sum / total
}

/** −100 … −1 from the share copied. */
export function backfillPercent(share: number): number {
  return Math.min(-1, -100 + Math.floor(share * 100))
}

export interface StreamProgressInput {
  t0: Date
  now: Date
  consumer: ConsumerRecord | undefined
  mapping: Pick<Mapping, 'lastProcessingResult' | 'lastModified'>
  /** The function's IteratorAge: 100 also needs lagAllowsCaughtUp(lag). */
  lag: IteratorLag
}

export function streamPercent(input: StreamProgressInput): number {
  const { t0, now, consumer, mapping, lag } = input
  const idleResult = (mapping.lastProcessingResult ?? '').startsWith('No records processed')
  const changed = mapping.lastModified?.getTime() ?? now.getTime()
  if (idleResult) {
    const caughtUp =
      (consumer !== undefined && Date.parse(consumer.at) >= changed) ||
      (consumer === undefined && now.getTime() - changed >= IDLE_AFTER_MS)
    if (caughtUp) return lagAllowsCaughtUp(lag) ? 100 : 99
  }
  if (consumer === undefined) return 0
  const span = now.getTime() - t0.getTime()
  if (span <= 0) return 99
  const moved = Date.parse(consumer.position) - t0.getTime()
  return Math.max(0, Math.min(99, Math.floor((moved / span) * 100)))
}

export interface TableStatus {
  row: TableRow
  /** Share copied, 0…1 (1 once the backfill is done). */
  share: number
  backfillDone: boolean
}

export function tableStatus(
  blue: string,
  green: string,
  control: TableControl | undefined,
  mapping: Mapping | undefined,
  now: Date,
  lag: IteratorLag
): TableStatus {
  if (control === undefined) {
    return {
      row: { blue, green, phase: 'not prepared', progress: -100, note: 'run replicate prepare' },
      share: 0,
      backfillDone: false
    }
  }
  const { table, segments } = control
  const errors = table.errors.length > 0 ? `; last error: ${table.errors.at(-1) ?? ''}` : ''
  if (!isBackfillDone(control)) {
    const share = backfillShare(control)
    const copied = segments.reduce((sum, s) => sum + s.copied, 0)
    const done = segments.filter((s) => s.done).length
    return {
      row: {
        blue,
        green,
        phase: 'backfill',
        progress: backfillPercent(share),
        note: `${copied} items copied, ${done}/${table.segments} segments done, T0 ${table.t0}${errors}`
      },
      share,
      backfillDone: false
    }
  }
  if (mapping === undefined) {
    return {
      row: {
        blue,
        green,
        phase: 'ready',
        progress: 0,
        note: `backfill done ${table.backfillDoneAt ?? ''}; run replicate start${errors}`
      },
      share: 1,
      backfillDone: true
    }
  }
  const progress = streamPercent({
    t0: new Date(table.t0),
    now,
    consumer: control.consumer,
    mapping,
    lag
  })
  const problem = mapping.lastProcessingResult?.startsWith('PROBLEM') === true
  return {
    row: {
      blue,
      green,
      phase: mapping.state === 'Enabled' ? 'stream' : `stream (${mapping.state})`,
      progress,
      note: [
        control.consumer === undefined
          ? 'no record applied yet'
          : `applied up to ${control.consumer.position} (${control.consumer.applied} records)`,
        mapping.lastProcessingResult === undefined
          ? ''
          : `last poll: ${mapping.lastProcessingResult}`,
        problem ? 'see the function logs' : '',
        lagNote(lag)
      ]
        .filter(Boolean)
        .join('; ')
    },
    share: 1,
    backfillDone: true
  }
}

/** Overall percent: backfill formula while any table backfills, else the slowest table. */
export function overallPercent(statuses: readonly TableStatus[]): number {
  if (statuses.length === 0) return -100
  if (statuses.some((s) => !s.backfillDone)) {
    return backfillPercent(statuses.reduce((sum, s) => sum + s.share, 0) / statuses.length)
  }
  return Math.min(...statuses.map((s) => s.row.progress ?? 0))
}

/** `replicate status`'s answer: the signed percent, and the batches in the failure queue. */
export interface ReplicationStatus {
  progress: number
  /** Batches in the failure queue; undefined when the queue could not be read. */
  failedBatches: number | undefined
}

function warn(report: Report, message: string): void {
  if (!report.warnings.includes(message)) report.warnings.push(message)
}

/** The advice of every message about failed batches: what actually brings green level. */
export const REPAIR_ADVICE =
  'fix the cause, then run replicate repair (it re-applies their keys and compares the tables)'

/**
 * Fills report.tables and the `progress` output from the state read by discover: a row per
 * table, the overall percent, and a warning (on every row too) while the failure queue holds
 * batches, or when it could not be read.
 */
export function reportStatus(report: Report, state: ReplicationState): ReplicationStatus {
  for (const w of state.warnings) warn(report, w)
  const statuses = state.tables.map((t) =>
    tableStatus(
      t.blue,
      t.green,
      t.control,
      t.ours.find((m) => m.state !== 'Deleting'),
      state.now,
      state.lag
    )
  )
  statuses.push(...state.buckets.map((b) => bucketStatus(b, state.delivery, state.now)))
  report.tables = statuses.map((s) => s.row)
  const progress = overallPercent(statuses)
  report.outputs.progress = String(progress)
  const slowest = statuses.every((s) => s.backfillDone)
    ? statuses.find((s) => s.row.progress === progress)?.row.blue
    : undefined
  report.replication = {
    progress,
    pairs: statuses.length,
    prepared: statuses.filter((s) => s.row.phase !== 'not prepared').length,
    ...(slowest === undefined ? {} : { slowest })
  }
  const queue = state.queue
  if (queue === undefined) return { progress, failedBatches: 0 }
  if (queue.messages === undefined) {
    warn(
      report,
      `Could not count the failed batches in ${state.names.failureQueue}: ${queue.countError ?? 'unknown error'}`
    )
    return { progress, failedBatches: undefined }
  }
  if (queue.messages > 0) {
    const n = queue.messages
    const message = `${n} failed batch${n === 1 ? ' is' : 'es are'} in ${state.names.failureQueue}: the keys in them may be stale on green; ${REPAIR_ADVICE}`
    warn(report, message)
    for (const row of report.tables)
      row.note = row.note === '' ? message : `${row.note}; ${message}`
  }
  return { progress, failedBatches: queue.messages }
}
