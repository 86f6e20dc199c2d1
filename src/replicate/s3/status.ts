/**
 * `replicate status` for a bucket pair, on the same signed scale as a table:
 *   −100 … −1   the copy: objects handled of the total (the last pass's count, or CloudWatch's
 *               NumberOfObjects), capped below 100 % until a pass that began at or after T0 has
 *               finished (a first pass that began before it waits for its catch-up pass at −1).
 *   0           copied, not started (the events wait in the queue).
 *   0 … 100     events phase: 100 once the function's mapping is enabled and the events queue is
 *               empty (nothing waiting, nothing in flight); before that, how far the newest event
 *               applied has moved from T0 towards now, at most 99.
 */
import type { Mapping } from '../../aws/lambda.js'
import type { TableRow } from '../../report.js'
import { backfillPercent, type TableStatus } from '../status.js'
import type { BucketFacts, DeliveryFacts } from '../types.js'

const label = (bucket: string): string => `s3://${bucket}`

/** A row and its share of the copy (1: copied; backfillDone with it). */
const statusOf = (row: TableRow, share: number): TableStatus => ({
  row,
  share,
  backfillDone: share >= 1
})

export function bucketStatus(b: BucketFacts, delivery: DeliveryFacts, now: Date): TableStatus {
  const blue = label(b.blue)
  const green = label(b.green)
  const record = b.control?.record
  if (record === undefined || record.t0 === '') {
    const note = 'run replicate prepare'
    return statusOf({ blue, green, phase: 'not prepared', progress: -100, note }, 0)
  }
  const errors = record.errors.length > 0 ? `; last error: ${record.errors.at(-1) ?? ''}` : ''
  if (record.copyDoneAt === undefined) {
    const copy = b.control?.copy
    const c = copy?.counts
    if (copy?.done === true && Date.parse(copy.passStartedAt) < Date.parse(record.t0)) {
      const note = `first pass done (${c?.listed ?? 0} objects listed, ${c?.copied ?? 0} copied); the catch-up pass runs at the next replicate prepare after T0 ${record.t0}${errors}`
      return statusOf({ blue, green, phase: 'copy (catch-up due)', progress: -1, note }, 0.99)
    }
    const total = record.lastPassListed > 0 ? record.lastPassListed : record.objectEstimate
    const listed = c?.listed ?? 0
    const share = total > 0 ? Math.min(0.99, listed / total) : 0
    const note = `${listed} of ${total > 0 ? `about ${total}` : 'an unknown number of'} objects handled: ${c?.copied ?? 0} copied, ${c?.skipped ?? 0} already equal, ${c?.ignored ?? 0} ignored; T0 ${record.t0}${errors}`
    return statusOf({ blue, green, phase: 'copy', progress: backfillPercent(share), note }, share)
  }
  const mapping: Mapping | undefined = delivery.mappings.find((m) => m.state !== 'Deleting')
  const backlog = delivery.queue?.backlog
  const waiting =
    backlog === undefined ? 'the events queue could not be read' : `${backlog} events waiting`
  if (mapping === undefined) {
    const note = `copy done ${record.copyDoneAt}; ${waiting}; run replicate start${errors}`
    return statusOf({ blue, green, phase: 'ready', progress: 0, note }, 1)
  }
  const consumer = b.control?.consumer
  let progress: number
  if (mapping.state === 'Enabled' && backlog === 0) progress = 100
  else if (consumer === undefined) progress = 0
  else {
    const span = now.getTime() - Date.parse(record.t0)
    const moved = Date.parse(consumer.position) - Date.parse(record.t0)
    progress = span <= 0 ? 99 : Math.max(0, Math.min(99, Math.floor((moved / span) * 100)))
  }
  const applied =
    consumer === undefined
      ? 'no event applied yet'
      : `applied up to ${consumer.position} (${consumer.applied} keys)`
  const phase = mapping.state === 'Enabled' ? 'events' : `events (${mapping.state})`
  return statusOf({ blue, green, phase, progress, note: `${applied}; ${waiting}` }, 1)
}
