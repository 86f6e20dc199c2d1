/**
 * planStart: one event source mapping per blue stream, from TRIM_HORIZON (every change still in
 * the stream is replayed; applying is idempotent), with bisect on error, per-item failures,
 * retries bounded by record age and the failure queue as on-failure destination. A mapping of
 * ours that is Disabled is re-enabled (it resumes where it stopped), one in Deleting is waited
 * out and replaced, one with other settings is brought to these.
 *
 * Refused before any change: a backfill unfinished, a stream changed since T0, changes the stream
 * may no longer hold (T0, or the last position applied, less than the safety margin inside the
 * 24-hour retention), a replay once green takes writes of its own (unless the operator allows
 * it), a function that lacks the table, a stream already read by two others.
 *
 * Buckets (s3/plan.ts): one mapping on the events queue, which holds every event since T0; refused
 * until each bucket's copy is complete (its catch-up pass after T0 included).
 */
import { hasSettings } from '../aws/lambda.js'
import { formatDuration } from './backfill.js'
import { isBackfillDone } from './control.js'
import { mappingSettings } from './deploy.js'
import { retentionOf, type RetentionRules } from './prepare.js'
import { backfillPercent, backfillShare } from './status.js'
import { planBucketsStart } from './s3/plan.js'
import { PlanBuilder, timeOf } from './steps.js'
import type { ReplicatePlan, ReplicationState } from './types.js'

export interface StartRequest {
  dryRun: boolean
  /** The operator allows a replay from TRIM_HORIZON although green takes writes of its own. */
  replayOverGreenWrites: boolean
}

export function planStart(
  state: ReplicationState,
  request: StartRequest,
  rules: RetentionRules = {}
): ReplicatePlan {
  const plan = new PlanBuilder()
  const { names, now, fn, queue } = state
  const { retention, margin } = retentionOf(rules)
  if (state.control === undefined) {
    plan.problems.push(
      `nothing is prepared for this blue/green pair (no control table ${names.controlTable}): run \`replicate prepare\` first.`
    )
    return plan.build('start')
  }
  let tableMap: Record<string, unknown> = {}
  try {
    tableMap = JSON.parse(fn?.environment.BLUEGREEN_TABLE_MAP ?? '{}') as Record<string, unknown>
  } catch {
    // An unreadable map knows no table: the check below asks for prepare.
  }
  const settings = mappingSettings(queue?.arn ?? '')
  for (const t of state.tables) {
    const tc = t.control
    if (tc === undefined) {
      plan.problems.push(`${t.blue} is not prepared: run \`replicate prepare\` for it first`)
      continue
    }
    const { table } = tc
    if (!isBackfillDone(tc)) {
      plan.problems.push(
        `the backfill of ${t.blue} has not finished (${backfillPercent(backfillShare(tc))} %): run \`replicate prepare\` until it reports done`
      )
      continue
    }
    if (table.green !== t.green) {
      plan.problems.push(`${t.blue} was prepared into ${table.green}, not ${t.green}`)
      continue
    }
    if (t.blueInfo?.stream.arn !== table.streamArn) {
      plan.problems.push(
        `the stream of ${t.blue} changed since prepare (${table.streamArn} → ${t.blueInfo?.stream.arn ?? 'none'}); changes may be lost: run \`replicate terminate\` and \`replicate prepare\` again`
      )
      continue
    }
    if (fn !== undefined && tableMap[t.blue] !== t.green) {
      plan.problems.push(
        `the replication function does not know ${t.blue} yet: re-run \`replicate prepare\` to update it`
      )
      continue
    }
    const live = t.ours.filter((m) => m.state !== 'Deleting')
    const current = live[0]
    if (current !== undefined) {
      if (current.state === 'Disabled' || current.state === 'Disabling') {
        // It resumes from its own position, which the stream holds for 24 hours at most.
        const since = current.lastModified?.getTime() ?? now.getTime()
        if (now.getTime() - since > retention - margin) {
          plan.problems.push(
            `the replication of ${t.blue} was disabled at ${new Date(since).toISOString()}, more than ${formatDuration(retention - margin)} ago: the stream may no longer hold the changes since. Run \`replicate terminate\` and \`replicate prepare\` again`
          )
          continue
        }
        plan.add({
          section: 'tables',
          kind: 'mapping-update',
          table: t.blue,
          uuid: current.uuid,
          enable: true,
          description: `Re-enable the replication function's ${current.state} mapping, where it stopped (UpdateEventSourceMapping)`,
          resource: t.blue
        })
      } else if (!hasSettings(current, settings)) {
        plan.add({
          section: 'tables',
          kind: 'mapping-update',
          table: t.blue,
          uuid: current.uuid,
          enable: false,
          description: `Set the mapping's retries (until records are ${formatDuration(settings.maximumRecordAgeInSeconds * 1000)} old, bisecting) and send the batches it gives up on to ${names.failureQueue} (UpdateEventSourceMapping)`,
          resource: t.blue
        })
      }
      continue
    }
    // A new mapping replays the stream from TRIM_HORIZON: it must still hold what green lacks.
    const from = tc.consumer?.position ?? table.t0
    if (now.getTime() > timeOf(from) + retention - margin) {
      plan.problems.push(
        tc.consumer === undefined
          ? `T0 of ${t.blue} (${table.t0}) is more than ${formatDuration(retention - margin)} ago: the stream (which keeps changes ${formatDuration(retention)}; start keeps a ${formatDuration(margin)} margin) may no longer hold the changes made during the backfill. Run \`replicate terminate\` and \`replicate prepare\` again, then start right after it`
          : `${t.blue} was last replicated up to ${from}, more than ${formatDuration(retention - margin)} ago: the stream may no longer hold the changes since. Run \`replicate terminate\` and \`replicate prepare\` again`
      )
      continue
    }
    if (state.greenTrafficSince !== undefined && !request.replayOverGreenWrites) {
      plan.problems.push(
        `starting ${t.blue} replays its stream from TRIM_HORIZON, which would overwrite with blue's items the writes green has taken of its own since ${state.greenTrafficSince} (a publish moved traffic there). Set replay-over-green-writes: true to replay anyway, or run \`replicate repair\` to bring green level key by key`
      )
      continue
    }
    const readers = t.otherReaders.filter((m) => m.state !== 'Deleting')
    if (readers.length >= 2) {
      plan.problems.push(
        `the stream of ${t.blue} already has ${readers.length} readers (${readers.map((m) => m.functionArn).join(', ')}); a third would be throttled: remove one`
      )
      continue
    }
    for (const gone of t.ours.filter((m) => m.state === 'Deleting')) {
      plan.add({
        section: 'tables',
        kind: 'mapping-wait-gone',
        table: t.blue,
        uuid: gone.uuid,
        description: `Wait until the earlier mapping ${gone.uuid}, which is Deleting, is gone (GetEventSourceMapping)`,
        resource: t.blue
      })
    }
    plan.add({
      section: 'tables',
      kind: 'mapping-create',
      table: t.blue,
      streamArn: table.streamArn,
      description: `Attach the replication function to the stream from TRIM_HORIZON, failed batches to ${names.failureQueue} (CreateEventSourceMapping)`,
      resource: t.blue
    })
  }
  plan.add(...planBucketsStart(state, plan))
  if (plan.problems.length === 0 && fn === undefined) {
    plan.problems.push(
      `the replication function ${names.functionName} is missing: run \`replicate prepare\` again (it deploys the function)`
    )
  }
  if (plan.problems.length === 0 && queue === undefined && state.tables.length > 0) {
    const missing = `the failure queue ${names.failureQueue} is missing: run \`replicate prepare\` again (it creates the queue)`
    // A dry run may follow a dry-run prepare that plans to create it (data-replicate).
    if (request.dryRun) plan.notes.push(`A real run of start needs the queue: ${missing}.`)
    else plan.problems.push(missing)
  }
  return plan.build('start')
}
