/**
 * planTerminate: removes what prepare and start made. The mappings first, each waited out until
 * it is gone (no batch in flight writes to green afterwards), then the function, its failure
 * queue and its role; the streams that prepare turned on, unless another reader uses them (each
 * named) or the stream is no longer the one it enabled; for buckets the rule, the events queue and
 * S3's EventBridge switch where prepare turned it on (unless another rule of the bus may use the
 * bucket's events); the control table last (it is the record of what to undo).
 */
import { isEventsMapping } from './s3/discover.js'
import { planBucketsTerminate, removeEventsMapping } from './s3/plan.js'
import { PlanBuilder } from './steps.js'
import { removeMapping } from './stop.js'
import type { ReplicatePlan, ReplicationState } from './types.js'

export function planTerminate(
  state: ReplicationState,
  request: { tablesGiven: boolean }
): ReplicatePlan {
  const plan = new PlanBuilder()
  const { names } = state
  const failed = state.queue?.messages ?? 0
  if (failed > 0) {
    plan.warnings.push(
      `${failed} failed batch${failed === 1 ? '' : 'es'} in ${names.failureQueue} will be deleted with it: the keys in them may be stale on green (run replicate repair before terminate to apply them; replicate verify shows which differ).`
    )
  }
  if (request.tablesGiven) {
    plan.notes.push(
      'terminate removes the replication of every table of this blue/green pair; `tables` is ignored (use `replicate stop` to detach some tables).'
    )
  }
  for (const m of state.mappings)
    plan.add(isEventsMapping(m, names) ? removeEventsMapping(m, names) : removeMapping(m))
  plan.add(...planBucketsTerminate(state, plan))
  if (state.fn !== undefined) {
    plan.add({
      section: 'shared',
      kind: 'function-delete',
      description: 'Delete the replication function (DeleteFunction)',
      resource: names.functionName
    })
  }
  if (state.queue !== undefined) {
    plan.add({
      section: 'shared',
      kind: 'queue-delete',
      description: 'Delete the failure queue (DeleteQueue)',
      resource: names.failureQueue
    })
  }
  if (state.role !== undefined) {
    plan.add({
      section: 'shared',
      kind: 'role-delete',
      description:
        'Delete the replication role and its inline policy (DeleteRolePolicy, DeleteRole)',
      resource: names.roleName
    })
  }
  for (const t of state.tables) {
    const record = t.control?.table
    if (record === undefined || !record.streamEnabledByUs) continue
    const current = t.blueInfo
    if (current?.stream.enabled !== true) continue
    if (current.stream.arn !== record.streamArn) {
      plan.warnings.push(
        `The stream of ${t.blue} is not the one prepare enabled (${record.streamArn}); left on.`
      )
      continue
    }
    // Someone may have attached their own reader since prepare: turning the stream off would
    // break it, so the stream stays on.
    if (t.otherReaders.length > 0) {
      plan.warnings.push(
        `The stream of ${t.blue} now also feeds ${t.otherReaders.map((m) => m.functionArn).join(', ')}; left on (turn it off yourself once they no longer need it).`
      )
      continue
    }
    plan.add({
      section: 'tables',
      kind: 'disable-stream',
      table: t.blue,
      streamArn: record.streamArn,
      description: 'Turn off the stream that prepare turned on (UpdateTable)',
      resource: t.blue
    })
  }
  if (state.control !== undefined) {
    plan.add({
      section: 'shared',
      kind: 'control-delete',
      description: 'Delete the replication control table (DeleteTable)',
      resource: names.controlTable
    })
  }
  if (plan.steps.length === 0) plan.notes.push('Nothing to remove: replication is not set up.')
  return plan.build('terminate')
}
