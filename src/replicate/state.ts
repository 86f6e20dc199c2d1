/** Reads shared by the replicate commands: our mappings, and the status rows of the report. */
import { latestIteratorAge } from '../aws/cloudwatch.js'
import type { Context } from '../context.js'
import { listMappings, type Mapping } from '../aws/replication-lambda.js'
import { isBackfillDone, type ControlState } from './control.js'
import type { ReplicationNames } from './names.js'
import {
  ITERATOR_AGE_PERMISSION,
  NO_LAG,
  overallPercent,
  tableStatus,
  type IteratorLag
} from './status.js'

/** The replication function's mappings (none when the function does not exist). */
export async function ourMappings(ctx: Context, names: ReplicationNames): Promise<Mapping[]> {
  try {
    return await listMappings(ctx.clients.lambda, { functionName: names.functionName })
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return []
    throw error
  }
}

/** True when the mapping's function is ours (ARN ends in `:function:<name>`, any qualifier). */
export function isOurs(mapping: Mapping, names: ReplicationNames): boolean {
  return new RegExp(`:function:${names.functionName}(:[^:]+)?$`).test(mapping.functionArn)
}

/**
 * The replication function's IteratorAge for status (one read per status run). When it cannot be
 * read: a report warning, and `unknown` (which keeps the stream phase below 100).
 */
export async function readIteratorLag(
  ctx: Context,
  names: ReplicationNames,
  now: Date
): Promise<IteratorLag> {
  try {
    const ms = await latestIteratorAge(ctx.clients.cloudwatch, names.functionName, now)
    return ms === undefined ? NO_LAG : { kind: 'age', ms }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const warning = `Could not read the IteratorAge of ${names.functionName} from CloudWatch (${message}): replication progress stays below 100 % until ${ITERATOR_AGE_PERMISSION} is granted.`
    ctx.log.warn(warning)
    if (!ctx.report.warnings.includes(warning)) ctx.report.warnings.push(warning)
    return { kind: 'unknown' }
  }
}

/**
 * Fills report.tables and the `progress` output from the control table and the mappings, and
 * (only when some table is in the stream phase) the function's IteratorAge, read once.
 * `pairs`: the tables to show (default: every table in the control table).
 */
export async function fillStatus(
  ctx: Context,
  names: ReplicationNames,
  control: ControlState | undefined,
  mappings: readonly Mapping[],
  pairs?: readonly { blue: string; green: string }[]
): Promise<number> {
  const now = ctx.now()
  const shown =
    pairs ??
    [...(control?.tables.values() ?? [])].map((t) => ({ blue: t.table.blue, green: t.table.green }))
  const rows = shown.map((p) => {
    const tc = control?.tables.get(p.blue)
    const mapping =
      tc === undefined ? undefined : mappings.find((m) => m.eventSourceArn === tc.table.streamArn)
    return { ...p, tc, mapping }
  })
  const streaming = rows.some(
    (r) => r.tc !== undefined && r.mapping !== undefined && isBackfillDone(r.tc)
  )
  const lag = streaming ? await readIteratorLag(ctx, names, now) : NO_LAG
  const statuses = rows.map((r) => tableStatus(r.blue, r.green, r.tc, r.mapping, now, lag))
  ctx.report.tables = statuses.map((s) => s.row)
  const overall = overallPercent(statuses)
  ctx.report.outputs.progress = String(overall)
  return overall
}
