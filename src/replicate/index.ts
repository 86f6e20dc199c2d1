/**
 * `replicate <action>` for DynamoDB (DESIGN.md section 4): prepare, status, start, stop,
 * terminate, verify. Each reads and checks everything before its first mutating call, lists
 * every mutating call in report.plan, and makes none in dry run.
 */
import { countMessages, getQueue } from '../aws/sqs.js'
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
export interface ReplicationStatus {
  /** The signed percent of `progress`. */
  progress: number
  /** Batches in the failure queue; undefined when the queue could not be read. */
  failedBatches: number | undefined
}

export async function status(request: ReplicateRequest, ctx: Context): Promise<ReplicationStatus> {
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
  const overall = await fillStatus(ctx, names, control, mappings, pairs)
  const failedBatches = await reportFailedBatches(ctx, names.failureQueue)
  ctx.log.info(`replication progress: ${overall} %`)
  return { progress: overall, failedBatches }
}

/**
 * Batches Lambda gave up on (after its retries) wait in the failure queue: their keys may be
 * stale on green. A warning on every row and in the report; status itself does not fail.
 */
async function reportFailedBatches(ctx: Context, queueName: string): Promise<number | undefined> {
  let count: number
  try {
    const queue = await getQueue(ctx.clients.sqs, queueName)
    if (queue === undefined) return 0
    count = await countMessages(ctx.clients.sqs, queue.url)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    ctx.report.warnings.push(`Could not count the failed batches in ${queueName}: ${message}`)
    return undefined
  }
  if (count === 0) return 0
  const message = `${count} failed batch${count === 1 ? ' is' : 'es are'} in ${queueName}: the keys in them may be stale on green; fix the cause, then run replicate verify (and re-run prepare to re-copy)`
  ctx.log.warn(message)
  ctx.report.warnings.push(message)
  for (const row of ctx.report.tables) {
    row.note = row.note === '' ? message : `${row.note}; ${message}`
  }
  return count
}
