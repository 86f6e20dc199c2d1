/**
 * planStop: detaches the replication function (its mappings only: all, or those of the tables
 * listed; for buckets the one mapping on the events queue, whose events wait there until start)
 * and waits until each mapping is gone, so no batch in flight writes to green after stop has
 * returned. A mapping already Deleting is waited out. Nothing else changes: the rule, the queue
 * and blue's notification configuration stay.
 */
import { tableOfStreamArn } from './function/apply.js'
import { isEventsMapping } from './s3/discover.js'
import { removeEventsMapping } from './s3/plan.js'
import { PlanBuilder } from './steps.js'
import type { ReplicatePlan, ReplicationState, TableStep } from './types.js'
import type { Mapping } from '../aws/lambda.js'

/** The step that removes one mapping of ours and waits until it is gone. */
export function removeMapping(m: Mapping): TableStep {
  const table = tableOfStreamArn(m.eventSourceArn) ?? m.eventSourceArn
  return m.state === 'Deleting'
    ? {
        section: 'tables',
        kind: 'mapping-wait-gone',
        table,
        uuid: m.uuid,
        description: 'Wait until the mapping, already Deleting, is gone (GetEventSourceMapping)',
        resource: table
      }
    : {
        section: 'tables',
        kind: 'mapping-delete',
        table,
        uuid: m.uuid,
        description:
          'Detach the replication function and wait until the mapping is gone (DeleteEventSourceMapping)',
        resource: table
      }
}

export function planStop(
  state: ReplicationState,
  request: { only: ReadonlySet<string> | undefined; tables: boolean; buckets: boolean }
): ReplicatePlan {
  const plan = new PlanBuilder()
  for (const m of state.mappings) {
    if (isEventsMapping(m, state.names)) {
      if (request.buckets) plan.add(removeEventsMapping(m, state.names))
      continue
    }
    if (!request.tables) continue
    const step = removeMapping(m)
    if (request.only !== undefined && !request.only.has(step.table)) continue
    plan.add(step)
  }
  if (request.buckets && plan.steps.some((s) => s.section === 'buckets')) {
    plan.notes.push(
      "Blue's object events keep collecting in the events queue (7 days); replicate start applies them."
    )
  }
  if (plan.steps.length === 0) plan.notes.push('No replication mapping to remove.')
  return plan.build('stop')
}
