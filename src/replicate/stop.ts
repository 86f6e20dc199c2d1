/**
 * `replicate stop` detaches the replication function (its mappings only: all, or those of the
 * tables listed). `replicate terminate` also deletes the function, its failure queue (after the
 * mappings that send to it) and its role, turns off the streams that prepare turned on (only
 * when the stream is still the one it enabled), and deletes the control table last (it is the
 * record of what to undo).
 */
import { describeTable, setStream, waitForTableGone } from '../aws/dynamodb.js'
import {
  deleteFunction,
  deleteMapping,
  getFunction,
  getRole,
  deleteRole,
  listMappings
} from '../aws/replication-lambda.js'
import { countMessages, deleteQueue, getQueue } from '../aws/sqs.js'
import type { Context } from '../context.js'
import type { ReplicateRequest } from '../inputs.js'
import { tableOfStreamArn } from './apply.js'
import { deleteControlTable, readControl } from './control.js'
import { replicationNames } from './names.js'
import { pairTables } from './pairing.js'
import { fillStatus, isOurs, ourMappings } from './state.js'
import { Steps } from './steps.js'

export async function stop(request: ReplicateRequest, ctx: Context): Promise<void> {
  const names = replicationNames(request.blue, request.green)
  const control = await readControl(ctx.clients.dynamodb, names.controlTable)
  const mappings = await ourMappings(ctx, names)
  const only =
    request.tables.length === 0
      ? undefined
      : new Set(pairTables(request.blue, request.green, request.tables).map((p) => p.blue))
  const steps = new Steps(ctx.report)
  const removed = new Set<string>()
  for (const m of mappings) {
    const blue = tableOfStreamArn(m.eventSourceArn) ?? m.eventSourceArn
    if (only !== undefined && !only.has(blue)) continue
    steps.add('Detach the replication function (DeleteEventSourceMapping)', blue, async () => {
      await deleteMapping(ctx.clients.lambda, m.uuid)
      removed.add(m.uuid)
    })
  }
  if (steps.list.length === 0) ctx.report.notes.push('No replication mapping to remove.')
  await steps.execute(request.dryRun)
  await fillStatus(
    ctx,
    names,
    control,
    mappings.filter((m) => !removed.has(m.uuid))
  )
}

export interface TerminateOptions {
  waiterMinDelay?: number
}

export async function terminate(
  request: ReplicateRequest,
  ctx: Context,
  options: TerminateOptions = {}
): Promise<void> {
  const db = ctx.clients.dynamodb
  const names = replicationNames(request.blue, request.green)
  const control = await readControl(db, names.controlTable)
  const mappings = await ourMappings(ctx, names)
  const fn = await getFunction(ctx.clients.lambda, names.functionName)
  const role = await getRole(ctx.clients.iam, names.roleName, names.policyName)
  const queue = await getQueue(ctx.clients.sqs, names.failureQueue)
  const failed = queue === undefined ? 0 : await countMessages(ctx.clients.sqs, queue.url)
  if (failed > 0) {
    ctx.report.warnings.push(
      `${failed} failed batch${failed === 1 ? '' : 'es'} in ${names.failureQueue} will be deleted with it: the keys in them may be stale on green (replicate verify shows which differ).`
    )
  }
  if (request.tables.length > 0) {
    ctx.report.notes.push(
      'terminate removes the replication of every table of this blue/green pair; `tables` is ignored (use `replicate stop` to detach some tables).'
    )
  }
  const steps = new Steps(ctx.report)
  for (const m of mappings) {
    const blue = tableOfStreamArn(m.eventSourceArn) ?? m.eventSourceArn
    steps.add('Detach the replication function (DeleteEventSourceMapping)', blue, () =>
      deleteMapping(ctx.clients.lambda, m.uuid)
    )
  }
  if (fn !== undefined) {
    steps.add('Delete the replication function (DeleteFunction)', names.functionName, () =>
      deleteFunction(ctx.clients.lambda, names.functionName)
    )
  }
  if (queue !== undefined) {
    steps.add('Delete the failure queue (DeleteQueue)', names.failureQueue, () =>
      deleteQueue(ctx.clients.sqs, queue.url)
    )
  }
  if (role !== undefined) {
    steps.add(
      'Delete the replication role and its inline policy (DeleteRolePolicy, DeleteRole)',
      names.roleName,
      () => deleteRole(ctx.clients.iam, names.roleName, names.policyName)
    )
  }
  for (const tc of control?.tables.values() ?? []) {
    const { table } = tc
    if (!table.streamEnabledByUs) continue
    const current = await describeTable(db, table.blue)
    if (current?.stream.enabled !== true) continue
    if (current.stream.arn !== table.streamArn) {
      ctx.report.warnings.push(
        `The stream of ${table.blue} is not the one prepare enabled (${table.streamArn}); left on.`
      )
      continue
    }
    // Someone may have attached their own reader since prepare: turning the stream off would
    // break it, so the stream stays on.
    const others = (
      await listMappings(ctx.clients.lambda, { eventSourceArn: table.streamArn })
    ).filter((m) => !isOurs(m, names))
    if (others.length > 0) {
      ctx.report.warnings.push(
        `The stream of ${table.blue} now also feeds ${others.map((m) => m.functionArn).join(', ')}; left on (turn it off yourself once they no longer need it).`
      )
      continue
    }
    steps.add('Turn off the stream that prepare turned on (UpdateTable)', table.blue, () =>
      setStream(db, table.blue, false)
    )
  }
  if (control !== undefined) {
    steps.add(
      'Delete the replication control table (DeleteTable)',
      names.controlTable,
      async () => {
        await deleteControlTable(db, names.controlTable)
        await waitForTableGone(db, names.controlTable, { minDelay: options.waiterMinDelay ?? 2 })
      }
    )
  }
  if (steps.list.length === 0)
    ctx.report.notes.push('Nothing to remove: replication is not set up.')
  await steps.execute(request.dryRun)
  ctx.report.tables = [...(control?.tables.values() ?? [])].map((tc) => ({
    blue: tc.table.blue,
    green: tc.table.green,
    phase: request.dryRun ? 'terminating' : 'terminated',
    progress: undefined,
    note: tc.table.streamEnabledByUs ? 'stream enabled by prepare' : 'stream left as it was'
  }))
}
