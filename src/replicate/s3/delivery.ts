/**
 * How blue's object changes reach the replication function, and the checks made before any of it
 * is set up. Pure: names, timings and the rules; the adapters in src/aws/ carry them out.
 *
 * The mechanism, and why (S3 user guide, "Amazon S3 Event Notifications", "Using EventBridge";
 * EventBridge, SQS and Lambda developer guides):
 * - A bucket's direct notifications (SNS, SQS, Lambda) may not overlap: two configurations with
 *   the same event type and overlapping prefix/suffix are refused, and one without a filter
 *   overlaps every other. A bucket that already notifies someone of `s3:ObjectCreated:*` could
 *   not also notify us, so a direct notification would break, or be refused on, exactly the
 *   buckets that matter.
 * - EventBridge delivery is one switch (`EventBridgeConfiguration: {}`) beside the direct
 *   notifications: it sends every event of the bucket to the default event bus and leaves the
 *   other destinations as they are. We add only that switch (read-modify-write of the
 *   configuration; everything else is put back as read) and remove it only if we added it and no
 *   other rule on the bus could want the bucket's events.
 * - Our rule sends `Object Created` / `Object Deleted` of the paired blue buckets to our SQS
 *   queue (EventBridge retries a target for 24 h / 185 times, then its dead-letter queue: the
 *   failure queue). The queue holds events while the function is detached, from prepare (before
 *   the copy lists blue) until start, and after stop: like a DynamoDB stream, nothing between the
 *   copy and start is lost. The function reads the queue through an event source mapping with
 *   partial batch responses; a message that keeps failing moves to the failure queue after
 *   `maxReceiveCount` receives, and `replicate repair` applies it from there.
 * - S3 notes that a change to the notification configuration takes about five minutes to take
 *   effect, so events are complete only from T0 = five minutes after the switch and our rule and
 *   queue are in place; a copy pass that began before T0 is followed by a catch-up pass (it
 *   skips what is already equal, so it costs a listing of both buckets).
 * - Delivery is at least once and in no promised order, and two writes to one unversioned key at
 *   the same time may produce one event; the function re-reads blue for every event, so order and
 *   duplicates do not matter, and `replicate verify` proves the result.
 */
import { createHash } from 'node:crypto'
import type { Versioning } from '../../aws/s3.js'
import type { BucketPair } from './pairing.js'

/** S3: "it takes around five minutes for the changes to take effect". */
export const NOTIFICATION_PROPAGATION_MS = 5 * 60_000

/** The replication queue's visibility timeout: six times the function's (Lambda's guidance). */
export function visibilityTimeoutSeconds(functionTimeoutSeconds: number): number {
  return Math.min(43_200, functionTimeoutSeconds * 6)
}

/** Receives before a message moves to the failure queue. */
export const MAX_RECEIVE_COUNT = 10

export interface DeliveryNames {
  rule: string
  targetId: string
  queue: string
}

/**
 * Our rule and queue, named after the replication function (`<fn>-s3`, `<fn>-s3-events`); a
 * rule name that would pass EventBridge's 64 characters is shortened with a hash.
 */
export function deliveryNames(functionName: string): DeliveryNames {
  const rule =
    functionName.length + 3 <= 64
      ? `${functionName}-s3`
      : `bluegreen-replication-${createHash('sha256').update(functionName).digest('hex').slice(0, 16)}-s3`
  return { rule, targetId: 'bluegreen-replication-queue', queue: `${functionName}-s3-events` }
}

/**
 * T0, from when the events are complete: `setUpAt` is when the last of the EventBridge switch,
 * the rule and the queue was put (or found), plus S3's propagation time.
 */
export function eventsCompleteFrom(
  setUpAt: Date,
  propagationMs = NOTIFICATION_PROPAGATION_MS
): Date {
  return new Date(setUpAt.getTime() + propagationMs)
}

/** What discover reads about one bucket. */
export interface BucketInfo {
  name: string
  access: 'ok' | 'missing' | 'forbidden'
  region: string | undefined
  versioning: Versioning | undefined
  objectLock: boolean | undefined
  /** EventBridge delivery already on (someone else's, or ours from an earlier run). */
  eventBridge: boolean | undefined
}

export interface BucketCheck {
  errors: string[]
  warnings: string[]
}

/**
 * Preflight of one pair: both buckets readable, blue in the replication region (S3 delivers its
 * events to EventBridge in the bucket's own region, and the queue and function live there);
 * green may be elsewhere (the copy is cross-region then). A versioned or Object Lock green keeps
 * what replication deletes (as noncurrent versions or delete markers): a warning.
 */
export function checkPair(
  pair: BucketPair,
  blue: BucketInfo,
  green: BucketInfo,
  region: string
): BucketCheck {
  const errors: string[] = []
  const warnings: string[] = []
  for (const [side, facts] of [
    ['blue', blue],
    ['green', green]
  ] as const) {
    if (facts.access === 'missing')
      errors.push(
        `${side} bucket ${facts.name} (${pair.kind}) does not exist: check \`buckets\`, or \`blue\`/\`green\` (DEEP buckets are named deep.<env>.${pair.kind}.<hash>)`
      )
    if (facts.access === 'forbidden')
      errors.push(
        `${side} bucket ${facts.name} cannot be read with these credentials (403): give the role s3:ListBucket and s3:GetObject on it (README, "IAM policy"), or check that it belongs to this account; to leave the buckets out, set \`resources: tables\``
      )
  }
  if (blue.access === 'ok' && blue.region !== undefined && blue.region !== region)
    errors.push(
      `blue bucket ${blue.name} is in ${blue.region}, but replication runs in ${region}: S3 sends a bucket's events to EventBridge in the bucket's own region, where the replication function must run. Set \`region: ${blue.region}\` (tables must then be there too), or replicate this bucket in a separate run`
    )
  if (green.access === 'ok' && green.region !== undefined && green.region !== region)
    warnings.push(
      `green bucket ${green.name} is in ${green.region}: objects are copied across regions (slower, and billed as inter-region transfer)`
    )
  if (green.versioning === 'Enabled' || green.versioning === 'Suspended')
    warnings.push(
      `green bucket ${green.name} has versioning ${green.versioning.toLowerCase()}: objects replication deletes or overwrites stay as noncurrent versions (and delete markers), and are still billed; add a lifecycle rule to expire them if that is not wanted`
    )
  if (green.objectLock === true)
    warnings.push(
      `green bucket ${green.name} has Object Lock: versions under retention cannot be removed, so deletes on blue leave delete markers over locked versions on green`
    )
  return { errors, warnings }
}

/** A list that ignores every key of a non-empty bucket is almost always a mistake. */
export function ignoresEverythingWarning(
  pair: BucketPair,
  listed: number,
  ignored: number,
  patterns: readonly string[]
): string | undefined {
  if (listed === 0 || ignored < listed) return undefined
  return `the ${pair.kind} ignore list (${patterns.join(', ')}) ignores all ${listed} objects of ${pair.blue}: nothing is replicated; check \`${pair.kind}-ignore\``
}
