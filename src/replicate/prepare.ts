/**
 * planPrepare: streams on, T0 recorded once each stream is ENABLED, the function deployed with its
 * role and failure queue, the delivery of blue's object events with each bucket's T0, then the
 * backfills (tables in parallel, segments checkpointed) and the bucket copies. Pure:
 * state + request → steps. A re-run resumes: tables already backfilled are skipped, a backfill in
 * progress continues from its checkpoints, an up-to-date function is left alone.
 *
 * Refused before any change: a pairing that changed, a stream that changed since T0, a backfill
 * that cannot finish inside the stream's retention any more, someone's stream without new images,
 * a stream already read by two others, a non-empty green table (unless `overwrite-green`), green
 * index keys that blue's items do not fit, a table map too large for Lambda's environment.
 */
import { samePolicy } from '../aws/iam.js'
import { formatDuration, STREAM_RETENTION_MS } from './backfill.js'
import { isBackfillDone } from './control.js'
import { functionEnvironment, FUNCTION_RUNTIME, policyFor } from './deploy.js'
import { functionBuckets, planBucketsPrepare } from './s3/plan.js'
import { HOUR_MS, PlanBuilder, timeOf } from './steps.js'
import type { ReplicatePlan, ReplicationState, TableFacts } from './types.js'

export const ENV_LIMIT_BYTES = 4096

const GOOD_VIEWS = new Set(['NEW_IMAGE', 'NEW_AND_OLD_IMAGES'])

export interface PrepareRequest {
  segments: number
  /** The one segment this job scans; undefined: all. */
  segment: number | undefined
  /** The operator allows copying into green tables that hold items (keys blue lacks go). */
  overwriteGreen: boolean
}

export interface RetentionRules {
  /** The stream's retention (24 h). */
  retentionMs?: number
  /** Kept free at the end of the retention for `start` (1 h). */
  marginMs?: number
}

export function retentionOf(rules: RetentionRules): { retention: number; margin: number } {
  return { retention: rules.retentionMs ?? STREAM_RETENTION_MS, margin: rules.marginMs ?? HOUR_MS }
}

/**
 * The refusal when some table's T0 is no longer inside the retention less the margin (`start`
 * could not replay every change since), naming each such table; undefined when all are.
 */
export function retentionProblem(
  records: readonly { blue: string; t0: string }[],
  now: Date,
  rules: RetentionRules = {}
): string | undefined {
  const { retention, margin } = retentionOf(rules)
  const late = records.filter((r) => now.getTime() > timeOf(r.t0) + retention - margin)
  if (late.length === 0) return undefined
  return `The backfill ended too late to start replication safely: the stream keeps changes ${formatDuration(retention)} and start needs ${formatDuration(margin)} of that, but T0 of ${late.map((r) => `${r.blue} (T0 ${r.t0})`).join(', ')} is older. Run \`replicate terminate\`, then \`replicate prepare\` with more segments or a matrix, and \`replicate start\` right after.`
}

/** The stream label (its creation time) of a stream ARN, in ms; NaN when it has none. */
export function streamCreatedAt(streamArn: string): number {
  const label = streamArn.slice(streamArn.lastIndexOf('/stream/') + '/stream/'.length)
  return Date.parse(label.endsWith('Z') ? label : `${label}Z`)
}

/**
 * Whether the table's current stream is the one prepare turned on. A marker names that stream;
 * an older marker (no ARN, written before UpdateTable) counts when the stream was created after
 * it, never when the stream is older (the owner's).
 */
export function streamIsOurs(t: TableFacts): boolean {
  const arn = t.blueInfo?.stream.arn
  const marker = t.marker
  if (marker === undefined || arn === undefined) return false
  if (marker.streamArn !== undefined) return marker.streamArn === arn
  return streamCreatedAt(arn) >= timeOf(marker.at) - 1000
}

function segmentList(request: PrepareRequest): number[] {
  return request.segment === undefined
    ? Array.from({ length: request.segments }, (_, i) => i)
    : [request.segment]
}

function describeSegments(request: PrepareRequest, list: readonly number[]): string {
  return list.length === request.segments
    ? `segments 0-${request.segments - 1} of ${request.segments}`
    : `segment ${list.join(',')} of ${request.segments}`
}

export function planPrepare(
  state: ReplicationState,
  request: PrepareRequest,
  rules: RetentionRules = {}
): ReplicatePlan {
  const plan = new PlanBuilder()
  const { names, now } = state
  const { retention, margin } = retentionOf(rules)
  const segments = segmentList(request)
  const backfills: typeof plan.steps = []
  if (state.control === undefined) {
    plan.add({
      section: 'shared',
      kind: 'control-create',
      description:
        'Create the replication control table (CreateTable, PAY_PER_REQUEST) and record blue/green (PutItem)',
      resource: names.controlTable
    })
  }
  for (const t of state.tables) {
    const blue = t.blueInfo
    const green = t.greenInfo
    if (blue === undefined || green === undefined) continue
    for (const v of t.indexViolations.slice(0, 1)) {
      const count = t.indexViolations.length
      plan.problems.push(
        `green table ${green.name} indexes ${v.attribute} as ${v.expected}, but blue's items carry ${v.actual} there (${count === 1 ? 'item' : `${count} items, e.g.`} ${v.key}); DynamoDB rejects every such write to green. Give green's index the type blue's items use, or fix those items, then re-run`
      )
    }
    const record = t.control?.table
    if (t.control !== undefined && record !== undefined) {
      if (record.green !== green.name) {
        plan.problems.push(
          `${blue.name} is being replicated into ${record.green}, not ${green.name}: run \`replicate terminate\` first to change the pairing`
        )
      } else if (blue.stream.arn !== record.streamArn) {
        plan.problems.push(
          `the stream of ${blue.name} changed since prepare recorded it (${record.streamArn} → ${blue.stream.arn ?? 'none'}): changes since T0 may be lost; run \`replicate terminate\` and \`replicate prepare\` again`
        )
      } else if (isBackfillDone(t.control)) {
        continue
      } else if (record.segments !== request.segments) {
        plan.problems.push(
          `the backfill of ${blue.name} runs with segments ${record.segments}; re-run with segments ${record.segments} (its checkpoints are per segment), or terminate and prepare again`
        )
      } else if (now.getTime() > timeOf(record.t0) + retention - margin) {
        plan.problems.push(
          `the backfill of ${blue.name} started at ${record.t0} and can no longer finish inside the stream's ${formatDuration(retention)} retention: run \`replicate terminate\`, then \`replicate prepare\` with more segments or a matrix`
        )
      } else {
        backfills.push(backfillStep(t, request, segments, record.greenHadItems))
      }
      continue
    }
    if (t.greenHasItems === true && !request.overwriteGreen) {
      plan.problems.push(
        `green table ${green.name} already holds items; prepare copies blue into an empty table. Empty it, or set overwrite-green: true to copy blue over it (green's items are replaced by blue's, and keys blue lacks are deleted)`
      )
    }
    const activeReaders = t.otherReaders.filter((m) => m.state !== 'Deleting')
    if (activeReaders.length >= 2) {
      plan.problems.push(
        `the stream of ${blue.name} already has ${activeReaders.length} readers (${activeReaders.map((m) => m.functionArn).join(', ')}); DynamoDB throttles a shard read by more than two, so a third (the replication function) would slow everyone: remove one`
      )
    }
    const greenHadItems = t.greenHasItems === true
    if (blue.stream.enabled) {
      if (blue.stream.viewType === undefined || !GOOD_VIEWS.has(blue.stream.viewType)) {
        plan.problems.push(
          `${blue.name} already has a ${blue.stream.viewType ?? 'unknown'} stream that another consumer may use; it carries no new images, and a table has one stream, which this action never turns off for someone else. Its owner can re-create it as NEW_IMAGE or NEW_AND_OLD_IMAGES (turn it off, then on); then re-run`
        )
        continue
      }
      const ours = streamIsOurs(t)
      if (t.marker !== undefined && !ours) {
        plan.add({
          section: 'tables',
          kind: 'clear-marker',
          table: blue.name,
          description: `Forget the note that prepare turned this stream on: the stream there now is not the one it turned on (DeleteItem on ${names.controlTable})`,
          resource: blue.name
        })
      }
      plan.add(recordStep(t, request, ours, greenHadItems))
    } else {
      plan.add(
        {
          section: 'tables',
          kind: 'enable-stream',
          table: blue.name,
          description: `Enable the stream, NEW_AND_OLD_IMAGES (UpdateTable), then note in the control table that prepare turned it on (PutItem)`,
          resource: blue.name
        },
        recordStep(t, request, true, greenHadItems)
      )
    }
    backfills.push(backfillStep(t, request, segments, greenHadItems))
  }
  const buckets = planBucketsPrepare(state, request, plan)
  planDeploy(state, plan)
  plan.add(...buckets.capture, ...backfills, ...buckets.copies)
  return plan.build('prepare')
}

function recordStep(
  t: TableFacts,
  request: PrepareRequest,
  streamEnabledByUs: boolean,
  greenHadItems: boolean
): ReplicatePlan['steps'][number] {
  return {
    section: 'tables',
    kind: 'record-t0',
    table: t.blue,
    green: t.green,
    segments: request.segments,
    streamEnabledByUs,
    greenHadItems,
    description: `Once the stream of ${t.blue} is ENABLED (DescribeStream), record T0 and the stream in the control table (PutItem)`,
    resource: t.blue
  }
}

function backfillStep(
  t: TableFacts,
  request: PrepareRequest,
  segments: number[],
  removeExtra: boolean
): ReplicatePlan['steps'][number] {
  return {
    section: 'tables',
    kind: 'backfill',
    table: t.blue,
    green: t.green,
    segments,
    removeExtra,
    description: `Backfill: parallel Scan of ${t.blue} (${describeSegments(request, segments)}) → BatchWriteItem; checkpoint per page (UpdateItem on the control table)${removeExtra ? '; then compare the tables and delete the keys blue lacks (Scan, GetItem, DeleteItem)' : ''}`,
    resource: t.green
  }
}

/**
 * Steps that bring the failure queue, the role with its inline policy, and the function's code
 * and configuration to the wanted state. The function covers every table of the control table
 * plus those of this run.
 */
function planDeploy(state: ReplicationState, plan: PlanBuilder): void {
  const { names } = state
  const pairs = new Map<string, string>()
  for (const tc of state.control?.tables.values() ?? []) pairs.set(tc.table.blue, tc.table.green)
  for (const t of state.tables) pairs.set(t.blue, t.green)
  const tables = [...pairs].map(([blue, green]) => ({ blue, green }))
  const buckets = functionBuckets(state)
  const environment = functionEnvironment(names.controlTable, tables, buckets)
  const envBytes = Object.entries(environment).reduce((n, [k, v]) => n + k.length + v.length, 0)
  if (envBytes > ENV_LIMIT_BYTES) {
    plan.problems.push(
      `the map of ${tables.length} tables and ${buckets.length} buckets (with their ignore lists) needs ${envBytes} bytes of environment, over Lambda's 4 KB: replicate fewer tables per blue/green pair, or shorten the ignore lists`
    )
  }
  if (state.queue === undefined) {
    plan.add({
      section: 'shared',
      kind: 'queue-create',
      description:
        'Create the queue for batches the function keeps failing on, kept 14 days (CreateQueue)',
      resource: names.failureQueue
    })
  }
  if (state.role === undefined) {
    plan.add({
      section: 'shared',
      kind: 'role-create',
      description:
        'Create the replication function role, trusted by lambda.amazonaws.com (CreateRole)',
      resource: names.roleName
    })
  }
  const wanted = policyFor(state, tables, new Map(), undefined, buckets)
  if (
    state.role?.inlinePolicy === undefined ||
    wanted === undefined ||
    !samePolicy(state.role.inlinePolicy, wanted)
  ) {
    plan.add({
      section: 'shared',
      kind: 'role-policy',
      tables,
      buckets,
      description: `Scope the role to ${[
        tables.length > 0
          ? 'these tables and streams: GetItem on blue, PutItem/DeleteItem on green, stream reads'
          : '',
        buckets.length > 0
          ? 'these buckets: ListBucket on both, GetObject/GetObjectTagging on blue, PutObject/PutObjectTagging/DeleteObject on green, the events queue'
          : ''
      ]
        .filter(Boolean)
        .join('; ')}; logs, SendMessage to the failure queue (PutRolePolicy)`,
      resource: names.roleName
    })
  }
  const fn = state.fn
  if (fn === undefined) {
    plan.add({
      section: 'shared',
      kind: 'function-create',
      environment,
      description: `Deploy the replication function, ${FUNCTION_RUNTIME} (CreateFunction)`,
      resource: names.functionName
    })
    return
  }
  const sameEnv =
    JSON.stringify(Object.entries(fn.environment).sort()) ===
    JSON.stringify(Object.entries(environment).sort())
  // Configuration first: a function on an older runtime must move before its code can change.
  if (fn.role !== state.role?.arn || !sameEnv || fn.runtime !== FUNCTION_RUNTIME) {
    plan.add({
      section: 'shared',
      kind: 'function-config',
      environment,
      description: `Update the replication function's table and bucket maps, role and runtime (UpdateFunctionConfiguration)`,
      resource: names.functionName
    })
  }
  if (fn.codeSha256 !== state.codeSha256) {
    plan.add({
      section: 'shared',
      kind: 'function-code',
      description: 'Update the replication function code (UpdateFunctionCode)',
      resource: names.functionName
    })
  }
}
