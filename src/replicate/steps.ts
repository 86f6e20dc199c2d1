/** Helpers the planners share: refusing with every problem at once, the plan container. */
import { BlueGreenError } from '../errors.js'
import type { ReplicatePlan, ReplicateStep } from './types.js'

/** A refusal naming every problem found, before any change. */
export function refuse(command: string, problems: readonly string[]): BlueGreenError {
  return new BlueGreenError(
    problems.length === 1
      ? `Cannot ${command}: ${problems[0] ?? ''}`
      : `Cannot ${command}:\n${problems.map((p) => `  - ${p}`).join('\n')}`
  )
}

/** Collects a plan's steps, notes and warnings, and the problems that stop it. */
export class PlanBuilder {
  readonly steps: ReplicateStep[] = []
  readonly notes: string[] = []
  readonly warnings: string[] = []
  readonly problems: string[] = []

  add(...steps: ReplicateStep[]): void {
    this.steps.push(...steps)
  }

  /** The plan; throws the refusal when a problem was found. */
  build(command: string): ReplicatePlan {
    if (this.problems.length > 0) throw refuse(command, this.problems)
    return { steps: this.steps, notes: this.notes, warnings: this.warnings }
  }
}

/** Milliseconds of an ISO time ('' or invalid: NaN). */
export const timeOf = (iso: string): number => Date.parse(iso)

export const HOUR_MS = 3_600_000
