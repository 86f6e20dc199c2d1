/**
 * `replicate <action>`: every command reads the state once (discover), plans pure typed steps
 * (the planners), and runs them with the one executor; the dry run prints exactly those steps
 * and runs none. Status rows come from a fresh read after the steps.
 */
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import type { ReplicateRequest } from '../inputs.js'
import { readReplication, type Purpose } from './discover.js'
import { executePlan, type ExecuteOptions } from './execute.js'
import { pairTables } from './pairing.js'
import { planPrepare } from './prepare.js'
import { planRepair } from './repair.js'
import { planStart } from './start.js'
import { reportStatus, type ReplicationStatus } from './status.js'
import { planStop } from './stop.js'
import { planTerminate } from './terminate.js'
import type { ReplicatePlan, ReplicationState } from './types.js'
import { verify } from './verify.js'

export type ReplicateOptions = ExecuteOptions
export type { ReplicationStatus } from './status.js'

/** The plan of a command, from the state discover read (pure). */
export function planFor(
  request: ReplicateRequest,
  state: ReplicationState,
  options: ReplicateOptions = {}
): ReplicatePlan {
  switch (request.action) {
    case 'prepare':
      return planPrepare(state, request, options)
    case 'start':
      return planStart(state, request, options)
    case 'stop':
      return planStop(state, {
        only:
          request.tables.length === 0
            ? undefined
            : new Set(pairTables(request.blue, request.green, request.tables).map((p) => p.blue)),
        tables: request.resources.tables,
        buckets: request.resources.buckets
      })
    case 'terminate':
      return planTerminate(state, { tablesGiven: request.tables.length > 0 })
    case 'repair':
      return planRepair(state)
    case 'status':
    case 'verify':
      return { steps: [], notes: [], warnings: [] }
  }
}

export async function replicate(
  request: ReplicateRequest,
  ctx: Context,
  options: ReplicateOptions = {}
): Promise<void> {
  if (request.action === 'verify') return verify(request, ctx)
  if (request.action === 'status') {
    await status(request, ctx)
    return
  }
  const purpose: Purpose = request.action
  const state = await ctx.log.group('Discover', () => readReplication(request, ctx, purpose))
  const plan = planFor(request, state, options)
  await executePlan(plan, state, ctx, {
    ...options,
    compareSegments: options.compareSegments ?? request.segments,
    waitForEvents: options.waitForEvents ?? request.wait,
    dryRun: request.dryRun
  })
  if (request.action === 'terminate') {
    ctx.report.tables = state.tables.map((t) => ({
      blue: t.blue,
      green: t.green,
      phase: request.dryRun ? 'terminating' : 'terminated',
      progress: undefined,
      note:
        t.control?.table.streamEnabledByUs === true
          ? 'stream enabled by prepare'
          : 'stream left as it was'
    }))
    ctx.report.tables.push(
      ...state.buckets.map((b) => ({
        blue: `s3://${b.blue}`,
        green: `s3://${b.green}`,
        phase: request.dryRun ? 'terminating' : 'terminated',
        progress: undefined,
        note: plan.steps.some(
          (s) => s.section === 'buckets' && s.kind === 'eventbridge-off' && s.bucket === b.blue
        )
          ? 'EventBridge delivery turned off again, as before prepare'
          : 'notification configuration left as it was'
      }))
    )
    return
  }
  const after = request.dryRun ? state : await readReplication(request, ctx, 'status')
  const result = reportStatus(ctx.report, after)
  if (
    request.action === 'prepare' &&
    !request.dryRun &&
    result.progress < 0 &&
    request.segment !== undefined
  ) {
    ctx.report.notes.push(
      `Segment ${request.segment} of ${request.segments} is done; the backfill completes when every segment's job has finished.`
    )
  }
  if (request.action === 'repair' && !request.dryRun && (result.failedBatches ?? 0) > 0) {
    throw new BlueGreenError(
      `repair left ${result.failedBatches ?? 0} failed batches in ${state.names.failureQueue}: another reader holds them (a reader that dies leaves them hidden for 15 minutes), or Lambda added new ones while repair ran; re-run repair.`
    )
  }
}

/** `replicate status`: rows per table and the overall signed percent. */
export async function status(request: ReplicateRequest, ctx: Context): Promise<ReplicationStatus> {
  const state = await readReplication(request, ctx, 'status')
  if (state.control === undefined) {
    ctx.report.notes.push(
      `Nothing is prepared for this blue/green pair (no control table ${state.names.controlTable}).`
    )
  }
  const result = reportStatus(ctx.report, state)
  ctx.log.info(`replication progress: ${result.progress} %`)
  for (const w of ctx.report.warnings) ctx.log.warn(w)
  return result
}
