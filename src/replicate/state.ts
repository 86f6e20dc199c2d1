/** Reads shared by the replicate commands: our mappings, and the status rows of the report. */
import type { Context } from '../context.js'
import { listMappings, type Mapping } from '../aws/replication-lambda.js'
import type { ControlState } from './control.js'
import type { ReplicationNames } from './names.js'
import { overallPercent, tableStatus } from './status.js'

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
 * Fills report.tables and the `progress` output from the control table and the mappings.
 * `pairs`: the tables to show (default: every table in the control table).
 */
export function fillStatus(
  ctx: Context,
  control: ControlState | undefined,
  mappings: readonly Mapping[],
  pairs?: readonly { blue: string; green: string }[]
): number {
  const now = ctx.now()
  const shown =
    pairs ??
    [...(control?.tables.values() ?? [])].map((t) => ({ blue: t.table.blue, green: t.table.green }))
  const statuses = shown.map((p) => {
    const tc = control?.tables.get(p.blue)
    const mapping =
      tc === undefined ? undefined : mappings.find((m) => m.eventSourceArn === tc.table.streamArn)
    return tableStatus(p.blue, p.green, tc, mapping, now)
  })
  ctx.report.tables = statuses.map((s) => s.row)
  const overall = overallPercent(statuses)
  ctx.report.outputs.progress = String(overall)
  return overall
}
