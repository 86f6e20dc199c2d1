/**
 * `data-replicate: true`: traffic moves only once blue's tables and buckets are replicated to green
 * and caught up. Reads the replication state once, runs what prepare and start plan from it (nothing
 * once done), and refuses to shift traffic while `replicate status` is below 100 % or any batch
 * of changes sits in the failure queue (Lambda gave up on it: green may miss those writes).
 *
 * Also, for every publish that gives green traffic: a note in the pair's control table (when
 * replication is set up) of when green started to take writes of its own, which `replicate
 * start` reads to refuse a replay from TRIM_HORIZON that would overwrite them.
 */
import { errorMessage, isAccessDenied } from '../aws/errors.js'
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import type { PublishRequest, ReplicateAction, ReplicateRequest } from '../inputs.js'
import { readMeta, recordGreenTraffic } from '../replicate/control.js'
import { readReplication } from '../replicate/discover.js'
import { executePlan } from '../replicate/execute.js'
import { replicationNames } from '../replicate/names.js'
import { planPrepare } from '../replicate/prepare.js'
import { planStart } from '../replicate/start.js'
import { REPAIR_ADVICE, reportStatus } from '../replicate/status.js'

function replicateRequest(request: PublishRequest, action: ReplicateAction): ReplicateRequest {
  return {
    command: 'replicate',
    action,
    blue: request.blue,
    green: request.green,
    region: request.region,
    dryRun: request.dryRun,
    wait: request.wait,
    waitTimeoutMs: request.waitTimeoutMs,
    tables: request.tables,
    buckets: request.buckets,
    resources: request.resources,
    segments: request.segments,
    segment: undefined,
    privateIgnore: request.privateIgnore,
    publicIgnore: request.publicIgnore,
    overwriteGreen: false,
    replayOverGreenWrites: false
  }
}

/** Throws BlueGreenError (before any traffic moves) while replication is behind. */
export async function ensureReplicationCaughtUp(
  request: PublishRequest,
  ctx: Context
): Promise<void> {
  const req = replicateRequest(request, 'prepare')
  const run = {
    dryRun: request.dryRun,
    compareSegments: request.segments,
    waitForEvents: request.wait
  }
  const state = await ctx.log.group('Replicate data (data-replicate: true)', async () => {
    const read = await readReplication(req, ctx, 'prepare')
    const prepare = planPrepare(read, req)
    await executePlan(prepare, read, ctx, run)
    const afterPrepare =
      prepare.steps.length > 0 && !request.dryRun ? await readReplication(req, ctx, 'start') : read
    if (afterPrepare.control === undefined) {
      // A dry run's prepare made nothing for start to read: show what start will do.
      ctx.report.plan.push({
        description:
          "replicate start: attach the replication function to each blue stream and to the events queue of blue's buckets",
        resource: afterPrepare.names.controlTable,
        status: 'planned'
      })
      return afterPrepare
    }
    const start = planStart(afterPrepare, { dryRun: request.dryRun, replayOverGreenWrites: false })
    await executePlan(start, afterPrepare, ctx, run)
    return start.steps.length > 0 && !request.dryRun
      ? readReplication(req, ctx, 'status')
      : afterPrepare
  })
  const { progress, failedBatches } = reportStatus(ctx.report, state)
  if (request.dryRun) {
    ctx.report.warnings.push(
      'data-replicate: a real run shifts traffic only once `replicate status` reports 100 %.'
    )
    return
  }
  if (failedBatches === undefined || failedBatches > 0) {
    throw new BlueGreenError(
      failedBatches === undefined
        ? 'data-replicate: the failure queue of the replication function could not be read (see the warning), so nothing proves green has every change; traffic was not shifted. Grant sqs:GetQueueAttributes and re-run.'
        : `data-replicate: ${failedBatches} batch${failedBatches === 1 ? '' : 'es'} of changes failed to replicate (see the warning), so green may miss writes; traffic was not shifted. ${REPAIR_ADVICE.charAt(0).toUpperCase()}${REPAIR_ADVICE.slice(1)}; then re-run.`
    )
  }
  if (progress < 100) {
    throw new BlueGreenError(
      `data-replicate: replication from blue to green is at ${progress} % (100 % = caught up), so traffic was not shifted. The replication function is attached and catching up: re-run this publish once \`replicate status\` reports 100.`
    )
  }
}

/**
 * Before traffic moves to green: records in the control table (once; only when replication is
 * set up for the pair) that green takes writes of its own from now on. Recorded before the move,
 * so a run that dies halfway has recorded it too. A plan row like every change.
 */
export async function noteGreenTraffic(request: PublishRequest, ctx: Context): Promise<void> {
  if (request.weights.green === 0) return
  const { controlTable } = replicationNames(request.blue, request.green)
  let meta
  try {
    meta = await readMeta(ctx.clients.dynamodb, controlTable)
  } catch (error) {
    // A role for publish alone may not read DynamoDB: traffic still moves, with the risk named.
    if (!isAccessDenied(error)) throw error
    ctx.report.warnings.push(
      `Could not read the replication control table ${controlTable} (${errorMessage(error)}): if blue's tables replicate to green, grant dynamodb:GetItem and dynamodb:UpdateItem on it, so that replicate start knows green takes writes of its own from now on.`
    )
    return
  }
  if (meta === undefined || meta.greenTrafficSince !== undefined) return
  const row = {
    description:
      "Note in the replication control table that green takes writes of its own from now on, so that a replay of blue's streams cannot overwrite them (UpdateItem)",
    resource: controlTable,
    status: 'planned' as 'planned' | 'done'
  }
  ctx.report.plan.push(row)
  if (request.dryRun) return
  ctx.report.changed = true
  await recordGreenTraffic(ctx.clients.dynamodb, controlTable, ctx.now().toISOString())
  row.status = 'done'
}
