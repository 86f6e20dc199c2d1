/**
 * The bucket part of every replicate planner. Pure: state → steps (and the problems that stop a
 * command, every one at once). The table planners call these beside their own.
 *
 * prepare: the pair recorded, then the delivery of blue's events (our rule, the events queue,
 * the failure queue's policy for EventBridge's dead letters, the rule's target, S3's EventBridge
 * switch on each blue bucket), then T0, then the copy (resumed, then a catch-up pass once the
 * events are complete when the first pass began before T0).
 * start: the function's mapping on the events queue. stop: that mapping only. terminate: the
 * mapping, the rule, the events queue and the EventBridge switch where prepare turned it on and
 * no other rule of the bus could use the bucket's events. repair: every pair compared and
 * brought level.
 */
import { patternMatchesBucket, s3EventPattern } from '../../aws/eventbridge.js'
import { hasQueueSettings, type Mapping, type QueueMappingSettings } from '../../aws/lambda.js'
import { eventQueueAttributes, ruleSendPolicy } from '../../aws/sqs.js'
import { FUNCTION_TIMEOUT_SECONDS } from '../deploy.js'
import type { ReplicationNames } from '../names.js'
import type { PlanBuilder } from '../steps.js'
import type { BucketFacts, BucketPairing, BucketStep, ReplicationState } from '../types.js'
import {
  checkPair,
  deliveryNames,
  MAX_RECEIVE_COUNT,
  visibilityTimeoutSeconds
} from './delivery.js'

/** The function reads 10 events per batch, at once. */
export const QUEUE_MAPPING_SETTINGS: QueueMappingSettings = {
  batchSize: 10,
  maximumBatchingWindowInSeconds: 0,
  reportBatchItemFailures: true
}

/** Sid of the failure queue's statement for EventBridge's dead letters. */
export const DEAD_LETTER_SID = 'bluegreen-replication-dead-letters'

/** The pairing of a bucket pair for this run (its ignore list, green's region if elsewhere). */
export function pairingOf(b: BucketFacts, region: string): BucketPairing {
  const greenRegion = b.greenInfo?.region ?? b.control?.record?.greenRegion
  return {
    blue: b.blue,
    green: b.green,
    kind: b.kind,
    patterns: b.ignore.patterns,
    greenRegion: greenRegion === undefined || greenRegion === region ? undefined : greenRegion
  }
}

/** Every pair the function serves: those prepare recorded, and this run's. */
export function functionBuckets(state: ReplicationState): BucketPairing[] {
  const { region } = state
  const pairs = new Map<string, BucketPairing>()
  for (const c of state.control?.buckets.values() ?? []) {
    const r = c.record
    if (r === undefined) continue
    pairs.set(r.blue, {
      blue: r.blue,
      green: r.green,
      kind: r.kind,
      patterns: r.patterns,
      greenRegion: r.greenRegion === region ? undefined : r.greenRegion
    })
  }
  for (const b of state.buckets) pairs.set(b.blue, pairingOf(b, region))
  return [...pairs.values()].sort((a, b) => (a.blue < b.blue ? -1 : 1))
}

const samePatterns = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((p, i) => p === b[i])

function sameJson(a: string | undefined, b: string): boolean {
  if (a === undefined) return false
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b))
  } catch {
    return false
  }
}

/** `arn:<partition>:events:<region>:<account>:rule/<name>` from any ARN of the account. */
function ruleArnFrom(anyArn: string, rule: string): string | undefined {
  const [, partition, , region, account] = anyArn.split(':')
  if (partition === undefined || region === undefined || account === undefined) return undefined
  return `arn:${partition}:events:${region}:${account}:rule/${rule}`
}

function ignoreText(b: BucketFacts): string {
  const list = b.ignore.patterns.length === 0 ? 'nothing' : b.ignore.patterns.join(', ')
  return b.ignore.source.kind === 'file' ? `${list} (from ${b.ignore.source.path})` : list
}

/** prepare's bucket steps: capture (before T0) and the copies (run with the table backfills). */
export function planBucketsPrepare(
  state: ReplicationState,
  request: { overwriteGreen: boolean },
  plan: PlanBuilder
): { capture: BucketStep[]; copies: BucketStep[] } {
  const capture: BucketStep[] = []
  const copies: BucketStep[] = []
  if (state.buckets.length === 0) return { capture, copies }
  const records: BucketStep[] = []
  const switches: BucketStep[] = []
  const t0s: BucketStep[] = []
  for (const b of state.buckets) {
    if (b.blueInfo === undefined || b.greenInfo === undefined) continue
    const check = checkPair(b, b.blueInfo, b.greenInfo, state.region)
    plan.problems.push(...check.errors)
    plan.warnings.push(...check.warnings)
    if (check.errors.length > 0) continue
    const record = b.control?.record
    if (record !== undefined && record.green !== b.green) {
      plan.problems.push(
        `bucket ${b.blue} is being replicated into ${record.green}, not ${b.green}: run \`replicate terminate\` first to change the pairing`
      )
      continue
    }
    const route = pairingOf(b, state.region)
    if (record === undefined) {
      records.push({
        section: 'buckets',
        kind: 'record-pair',
        bucket: b.blue,
        route,
        objectEstimate: b.objectEstimate ?? 0,
        description: `Record the pair ${b.blue} → ${b.green} (${b.kind}; ignores ${ignoreText(b)}) in the control table (PutItem)`,
        resource: b.blue
      })
    }
    if (b.blueInfo.eventBridge !== true) {
      switches.push({
        section: 'buckets',
        kind: 'eventbridge-on',
        bucket: b.blue,
        description:
          "Turn on S3 → EventBridge delivery of the bucket's events: read the notification configuration, add EventBridgeConfiguration, write it back with every other entry as read (GetBucketNotificationConfiguration, PutBucketNotificationConfiguration), then note it in the control table (PutItem)",
        resource: b.blue
      })
    }
    if (record === undefined || record.t0 === '') {
      t0s.push({
        section: 'buckets',
        kind: 'record-t0',
        bucket: b.blue,
        description: `Record T0 of ${b.blue}: blue's object events reach the events queue from then on, once S3 has applied the change (about five minutes) (UpdateItem)`,
        resource: b.blue
      })
    }
    const changed = record !== undefined && !samePatterns(record.patterns, route.patterns)
    if (changed) {
      records.push({
        section: 'buckets',
        kind: 'record-ignore',
        bucket: b.blue,
        route,
        description: `Record the new ignore list of ${b.blue} (${ignoreText(b)}, was ${record.patterns.join(', ') || 'nothing'}); the copy makes a new pass (UpdateItem)`,
        resource: b.blue
      })
    }
    if (record?.copyDoneAt !== undefined && !changed) continue
    copies.push({
      section: 'buckets',
      kind: 'copy',
      bucket: b.blue,
      route,
      deleteExtra: request.overwriteGreen,
      description: `Copy every object not ignored: list ${b.blue} and ${b.green} (ListObjectsV2), server-side copy of what differs (CopyObject; UploadPartCopy above 5 GiB), checkpointed in the control table (PutItem); a catch-up pass once blue's events are complete${request.overwriteGreen ? '; keys only green has (not ignored) are deleted (DeleteObject)' : ''}`,
      resource: b.green
    })
  }
  capture.push(...records, ...planDelivery(state, plan), ...switches, ...t0s)
  return { capture, copies }
}

/** The rule, the events queue, the failure queue's policy and the rule's target, as needed. */
function planDelivery(state: ReplicationState, plan: PlanBuilder): BucketStep[] {
  const { names, delivery } = state
  const d = deliveryNames(names.functionName)
  const steps: BucketStep[] = []
  const blues = [
    ...new Set([
      ...[...(state.control?.buckets.values() ?? [])].flatMap((c) =>
        c.record === undefined ? [] : [c.record.blue]
      ),
      ...state.buckets.map((b) => b.blue)
    ])
  ].sort()
  if (blues.length === 0) return steps
  const pattern = s3EventPattern(blues)
  const rule = delivery.rule
  const ruleChanges =
    rule === undefined || rule.state !== 'ENABLED' || !sameJson(rule.eventPattern, pattern)
  if (ruleChanges) {
    steps.push({
      section: 'buckets',
      kind: 'rule-put',
      bucket: d.rule,
      buckets: blues,
      description: `${rule === undefined ? 'Create' : 'Update'} the EventBridge rule for Object Created / Object Deleted of ${blues.join(', ')} on the default event bus (PutRule)`,
      resource: d.rule
    })
  }
  const failureArn = state.queue?.arn
  const anyArn = failureArn ?? state.tables.find((t) => t.blueInfo !== undefined)?.blueInfo?.arn
  const ruleArn = rule?.arn ?? (anyArn === undefined ? undefined : ruleArnFrom(anyArn, d.rule))
  const queue = delivery.queue
  const wantedQueue =
    failureArn === undefined || ruleArn === undefined || queue === undefined
      ? undefined
      : eventQueueAttributes(
          {
            name: d.queue,
            ruleArn,
            deadLetterArn: failureArn,
            visibilityTimeoutSeconds: visibilityTimeoutSeconds(FUNCTION_TIMEOUT_SECONDS),
            maxReceiveCount: MAX_RECEIVE_COUNT
          },
          queue.arn
        )
  const queueOk =
    wantedQueue !== undefined &&
    queue !== undefined &&
    Object.entries(wantedQueue).every(([k, v]) =>
      k === 'Policy' || k === 'RedrivePolicy'
        ? sameJson(queue.attributes[k], v)
        : queue.attributes[k] === v
    )
  if (!queueOk) {
    steps.push({
      section: 'buckets',
      kind: 'events-queue',
      bucket: d.queue,
      description: `${queue === undefined ? 'Create' : 'Update'} the events queue: kept 7 days, only the rule may send to it, a message failing ${MAX_RECEIVE_COUNT} times moves to ${names.failureQueue} (CreateQueue, SetQueueAttributes)`,
      resource: d.queue
    })
  }
  const policyOk =
    failureArn !== undefined &&
    ruleArn !== undefined &&
    sameJson(delivery.failureQueuePolicy, ruleSendPolicy(failureArn, ruleArn, DEAD_LETTER_SID))
  if (!policyOk) {
    steps.push({
      section: 'buckets',
      kind: 'failure-queue-policy',
      bucket: names.failureQueue,
      description: `Let the rule send the events EventBridge cannot deliver to ${names.failureQueue} (SetQueueAttributes Policy)`,
      resource: names.failureQueue
    })
  }
  const target = delivery.targets.find((t) => t.id === d.targetId)
  const targetOk =
    target !== undefined &&
    queue !== undefined &&
    target.arn === queue.arn &&
    failureArn !== undefined &&
    target.deadLetterArn === failureArn
  if (!targetOk) {
    steps.push({
      section: 'buckets',
      kind: 'rule-target',
      bucket: d.rule,
      description: `Point the rule at the events queue, retried 24 hours, then to ${names.failureQueue} (PutTargets)`,
      resource: d.rule
    })
  }
  if (steps.length > 0 && delivery.rule !== undefined && ruleChanges) {
    plan.notes.push(
      `The EventBridge rule ${d.rule} now covers ${blues.join(', ')}; a bucket added to it gets its own T0.`
    )
  }
  return steps
}

/** The steps that put our mapping on the events queue in place (start). */
export function planBucketsStart(state: ReplicationState, plan: PlanBuilder): BucketStep[] {
  const steps: BucketStep[] = []
  if (state.buckets.length === 0) return steps
  const { names, delivery, fn } = state
  const d = deliveryNames(names.functionName)
  let map: Record<string, { green?: unknown; ignore?: unknown }> = {}
  try {
    map = JSON.parse(fn?.environment.BLUEGREEN_BUCKET_MAP ?? '{}') as typeof map
  } catch {
    // An unreadable map knows no bucket: the check below asks for prepare.
  }
  let ready = true
  for (const b of state.buckets) {
    for (const info of [b.blueInfo, b.greenInfo]) {
      if (info?.access === 'missing')
        plan.problems.push(`bucket ${info.name} does not exist any more`)
      if (info?.access === 'forbidden')
        plan.problems.push(`bucket ${info.name} cannot be read with these credentials (403)`)
    }
    const record = b.control?.record
    if (record === undefined || record.t0 === '') {
      plan.problems.push(`bucket ${b.blue} is not prepared: run \`replicate prepare\` for it first`)
      ready = false
      continue
    }
    if (record.green !== b.green) {
      plan.problems.push(`bucket ${b.blue} was prepared into ${record.green}, not ${b.green}`)
      ready = false
      continue
    }
    if (record.copyDoneAt === undefined) {
      const due = Date.parse(record.t0) > state.now.getTime()
      plan.problems.push(
        due
          ? `the copy of ${b.blue} needs its catch-up pass, which can run once blue's events are complete at T0 (${record.t0}): run \`replicate prepare\` (or publish with data-replicate) again after then, or with wait: true, which waits for T0`
          : `the copy of ${b.blue} has not finished: run \`replicate prepare\` until it reports done`
      )
      ready = false
      continue
    }
    const known = map[b.blue]
    if (
      fn !== undefined &&
      (known?.green !== b.green ||
        JSON.stringify(known.ignore) !== JSON.stringify(b.ignore.patterns))
    ) {
      plan.problems.push(
        known === undefined
          ? `the replication function does not know bucket ${b.blue} yet: re-run \`replicate prepare\` to update it`
          : `the replication function of ${b.blue} has another ignore list than this run: re-run \`replicate prepare\` with this one to apply it`
      )
      ready = false
    }
  }
  if (!ready) return steps
  if (delivery.rule === undefined || delivery.queue === undefined) {
    plan.problems.push(
      `the delivery of blue's object events is incomplete (${delivery.rule === undefined ? `rule ${d.rule}` : `queue ${d.queue}`} missing): re-run \`replicate prepare\``
    )
    return steps
  }
  const live = delivery.mappings.filter((m) => m.state !== 'Deleting')
  const current = live[0]
  if (current !== undefined) {
    if (current.state === 'Disabled' || current.state === 'Disabling') {
      steps.push({
        section: 'buckets',
        kind: 'mapping-update',
        bucket: d.queue,
        uuid: current.uuid,
        enable: true,
        description: `Re-enable the replication function's ${current.state} mapping on the events queue; the events collected meanwhile are applied (UpdateEventSourceMapping)`,
        resource: d.queue
      })
    } else if (!hasQueueSettings(current, QUEUE_MAPPING_SETTINGS)) {
      steps.push({
        section: 'buckets',
        kind: 'mapping-update',
        bucket: d.queue,
        uuid: current.uuid,
        enable: false,
        description: `Set the mapping's batches (${QUEUE_MAPPING_SETTINGS.batchSize} events, failures reported per message) (UpdateEventSourceMapping)`,
        resource: d.queue
      })
    }
    return steps
  }
  for (const gone of delivery.mappings.filter((m) => m.state === 'Deleting')) {
    steps.push(waitGone(gone, d.queue))
  }
  steps.push({
    section: 'buckets',
    kind: 'mapping-create',
    bucket: d.queue,
    description: `Attach the replication function to the events queue: every event since T0 is applied, batches of ${QUEUE_MAPPING_SETTINGS.batchSize}, failures per message (CreateEventSourceMapping)`,
    resource: d.queue
  })
  return steps
}

function waitGone(m: Mapping, queue: string): BucketStep {
  return {
    section: 'buckets',
    kind: 'mapping-wait-gone',
    bucket: queue,
    uuid: m.uuid,
    description: `Wait until the earlier mapping ${m.uuid}, which is Deleting, is gone (GetEventSourceMapping)`,
    resource: queue
  }
}

/** The step that removes our mapping on the events queue and waits until it is gone. */
export function removeEventsMapping(m: Mapping, names: ReplicationNames): BucketStep {
  const queue = deliveryNames(names.functionName).queue
  return m.state === 'Deleting'
    ? waitGone(m, queue)
    : {
        section: 'buckets',
        kind: 'mapping-delete',
        bucket: queue,
        uuid: m.uuid,
        description:
          'Detach the replication function from the events queue and wait until the mapping is gone; events keep collecting in the queue (DeleteEventSourceMapping)',
        resource: queue
      }
}

/** terminate's bucket steps after the mappings: the rule, the events queue, the switches. */
export function planBucketsTerminate(state: ReplicationState, plan: PlanBuilder): BucketStep[] {
  const { names, delivery } = state
  const d = deliveryNames(names.functionName)
  const steps: BucketStep[] = []
  if (delivery.rule !== undefined) {
    steps.push({
      section: 'buckets',
      kind: 'rule-delete',
      bucket: d.rule,
      description:
        'Remove the events queue from the EventBridge rule, then the rule (RemoveTargets, DeleteRule); a target someone else added keeps the rule',
      resource: d.rule
    })
  }
  if (delivery.queue !== undefined) {
    if ((delivery.queue.backlog ?? 0) > 0) {
      plan.warnings.push(
        `${delivery.queue.backlog ?? 0} events of blue's objects wait in ${d.queue} and are deleted with it: the keys they name may be stale on green (run replicate start and let it catch up, or replicate repair, before terminate).`
      )
    }
    steps.push({
      section: 'buckets',
      kind: 'events-queue-delete',
      bucket: d.queue,
      description: 'Delete the events queue (DeleteQueue)',
      resource: d.queue
    })
  }
  for (const b of state.buckets) {
    if (b.control?.eventBridgeOnAt === undefined) continue
    if (b.blueInfo?.eventBridge !== true) continue
    const others = delivery.otherRules.filter((r) => patternMatchesBucket(r.eventPattern, b.blue))
    if (others.length > 0) {
      plan.warnings.push(
        `S3 → EventBridge delivery of ${b.blue} stays on: the rule${others.length === 1 ? '' : 's'} ${others.map((r) => r.name).join(', ')} may use its events (turn it off yourself once they do not).`
      )
      continue
    }
    steps.push({
      section: 'buckets',
      kind: 'eventbridge-off',
      bucket: b.blue,
      description:
        'Turn S3 → EventBridge delivery off again, as it was before prepare: read the notification configuration, remove EventBridgeConfiguration, write back every other entry as read (GetBucketNotificationConfiguration, PutBucketNotificationConfiguration)',
      resource: b.blue
    })
  }
  return steps
}

/** repair: every pair compared, each differing key applied and re-read. */
export function planBucketsRepair(state: ReplicationState): BucketStep[] {
  return state.buckets.map((b) => ({
    section: 'buckets',
    kind: 'resync',
    bucket: b.blue,
    route: pairingOf(b, state.region),
    description: `Compare ${b.blue} with ${b.green} (ListObjectsV2 both, HeadObject where the listing cannot tell) and apply blue's object, or its absence, to every key that differs and is not ignored (HeadObject, CopyObject/DeleteObject), then re-read those keys`,
    resource: b.green
  }))
}
