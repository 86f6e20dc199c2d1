/**
 * `replicate <action>` for DynamoDB (DESIGN.md section 4): prepare, status, start, stop,
 * terminate, verify. Each reads and checks everything before its first mutating call, lists
 * every mutating call in report.plan, and makes none in dry run.
 */
import type { Context } from '../context.js'
import type { ReplicateRequest } from '../inputs.js'
import { readControl } from './control.js'
import { replicationNames } from './names.js'
import { pairTables } from './pairing.js'
import { prepare, type ReplicateOptions } from './prepare.js'
import { start } from './start.js'
import { fillStatus, ourMappings } from './state.js'
import { stop, terminate } from './stop.js'
import { verify } from './verify.js'

export type { ReplicateOptions } from './prepare.js'
export { applyRecords } from './apply.js'

export async function replicate(
  request: ReplicateRequest,
  ctx: Context,
  options: ReplicateOptions = {}
): Promise<void> {
  if (request.privateIgnore.length > 0 || request.publicIgnore.length > 0) {
    const message =
      'private-ignore / public-ignore have no effect yet: this version replicates DynamoDB tables only, not S3 buckets.'
    ctx.log.warn(message)
    ctx.report.warnings.push(message)
  }
  switch (request.action) {
    case 'prepare':
      return prepare(request, ctx, options)
    case 'start':
      return start(request, ctx)
    case 'stop':
      return stop(request, ctx)
    case 'terminate':
      return terminate(request, ctx, options)
    case 'verify':
      return verify(request, ctx)
    case 'status':
      await status(request, ctx)
      return
  }
}

/** `replicate status`: rows per table and the overall signed percent (see status.ts). */
export async function status(request: ReplicateRequest, ctx: Context): Promise<number> {
  const names = replicationNames(request.blue, request.green)
  const control = await readControl(ctx.clients.dynamodb, names.controlTable)
  const mappings = await ourMappings(ctx, names)
  let pairs: { blue: string; green: string }[] | undefined
  if (request.tables.length > 0) pairs = pairTables(request.blue, request.green, request.tables)
  if (control === undefined) {
    ctx.report.notes.push(
      `Nothing is prepared for this blue/green pair (no control table ${names.controlTable}).`
    )
  }
  const overall = fillStatus(ctx, control, mappings, pairs)
  ctx.log.info(`replication progress: ${overall} %`)
  return overall
}
