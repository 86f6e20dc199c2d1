/**
 * Deciding vs doing: a command first reads and checks everything, then lists its mutating calls
 * as steps (each a row of report.plan). Dry run stops there; otherwise the steps run in order,
 * each row marked done or failed as it goes.
 */
import type { Report, PlanRow } from '../report.js'

export interface Step {
  row: PlanRow
  run: () => Promise<void>
}

export class Steps {
  readonly list: Step[] = []

  constructor(private readonly report: Report) {}

  add(description: string, resource: string, run: () => Promise<void>): void {
    const row: PlanRow = { description, resource, status: 'planned' }
    this.report.plan.push(row)
    this.list.push({ row, run })
  }

  /** Runs every step unless `dryRun`; a failure marks its row and stops the rest. */
  async execute(dryRun: boolean): Promise<void> {
    if (dryRun) return
    for (const step of this.list) {
      try {
        this.report.changed = true
        await step.run()
        step.row.status = 'done'
      } catch (error) {
        step.row.status = 'failed'
        throw error
      }
    }
  }
}
