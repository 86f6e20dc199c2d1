/**
 * `data-replicate: true`: traffic moves only once blue's tables are replicated to green and
 * caught up. Runs `replicate prepare` and `replicate start` (both change nothing when already
 * done), then refuses to shift traffic while `replicate status` is below 100 % or any batch of
 * changes sits in the failure queue (Lambda gave up on it: green may miss those writes).
 */
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import type { PublishRequest, ReplicateAction, ReplicateRequest } from '../inputs.js'
import { readControl } from '../replicate/control.js'
import { replicate, status } from '../replicate/index.js'
import { replicationNames } from '../replicate/names.js'

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
    segments: request.segments,
    segment: undefined,
    privateIgnore: [],
    publicIgnore: []
  }
}

/** Throws BlueGreenError (before any traffic moves) while replication is behind. */
export async function ensureReplicationCaughtUp(
  request: PublishRequest,
  ctx: Context
): Promise<void> {
  await ctx.log.group('Replicate data (data-replicate: true)', async () => {
    await replicate(replicateRequest(request, 'prepare'), ctx)
    const { controlTable } = replicationNames(request.blue, request.green)
    if (request.dryRun && (await readControl(ctx.clients.dynamodb, controlTable)) === undefined) {
      // A dry run's prepare made nothing for start to read: show what start will do.
      ctx.report.plan.push({
        description: 'replicate start: attach the replication function to each blue stream',
        resource: controlTable,
        status: 'planned'
      })
      return
    }
    await replicate(replicateRequest(request, 'start'), ctx)
  })
  if (request.dryRun) {
    ctx.report.warnings.push(
      'data-replicate: a real run shifts traffic only once `replicate status` reports 100 %.'
    )
    return
  }
  const { progress, failedBatches } = await status(replicateRequest(request, 'status'), ctx)
  if (failedBatches === undefined || failedBatches > 0) {
    throw new BlueGreenError(
      failedBatches === undefined
        ? 'data-replicate: the failure queue of the replication function could not be read (see the warning), so nothing proves green has every change; traffic was not shifted. Grant sqs:GetQueueAttributes and re-run.'
        : `data-replicate: ${failedBatches} batch${failedBatches === 1 ? '' : 'es'} of changes failed to replicate (see the warning), so green may miss writes; traffic was not shifted. Fix the cause, run \`replicate verify\` (and \`replicate prepare\` to re-copy), purge the queue, then re-run.`
    )
  }
  if (progress < 100) {
    throw new BlueGreenError(
      `data-replicate: replication from blue to green is at ${progress} % (100 % = caught up), so traffic was not shifted. The replication function is attached and catching up: re-run this publish once \`replicate status\` reports 100.`
    )
  }
}
