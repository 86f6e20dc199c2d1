/**
 * What a run did, as plain data. Commands fill it in as they go (so a failed run still reports
 * what it planned and what it changed); main.ts turns it into outputs and the job summary.
 */
import type { Weights } from './inputs.js'

export type StepStatus = 'planned' | 'done' | 'skipped' | 'failed'

/** One step of a plan: one mutating AWS call (or a wait barrier). */
export interface PlanRow {
  /** What the step does, for a person: "Blue distribution: add alias *.deep.mg, drop www.deep.mg". */
  description: string
  /** The AWS resource it touches (distribution id, record name, function ARN, table). */
  resource: string
  status: StepStatus
}

export interface DnsRow {
  name: string
  type: string
  /** The alias target (a CloudFront domain name) or record value. */
  target: string
  /** upserted / unchanged / deleted by this run; manual: the operator must create it. */
  status: 'upserted' | 'unchanged' | 'deleted' | 'manual' | 'planned'
}

export interface TableRow {
  blue: string
  green: string
  /** backfill / stream / stopped / ... */
  phase: string
  /** Signed percent as in `replicate status`: −100…−1 backfill, 0…100 stream phase. */
  progress: number | undefined
  note: string
}

export type PublishState = 'split' | 'all-blue' | 'all-green'

export interface Report {
  command: string
  dryRun: boolean
  /** Did this run mutate anything in AWS. */
  changed: boolean
  weights?: Weights
  state?: PublishState
  plan: PlanRow[]
  dns: DnsRow[]
  links: { label: string; url: string }[]
  tables: TableRow[]
  /** Output name → value, beyond `changed` (which is always set). */
  outputs: Record<string, string>
  warnings: string[]
  notes: string[]
  /** Why the run failed, one entry per problem (an InputError with three issues gives three). */
  errors: string[]
}

export function newReport(command: string, dryRun: boolean): Report {
  return {
    command,
    dryRun,
    changed: false,
    plan: [],
    dns: [],
    links: [],
    tables: [],
    outputs: {},
    warnings: [],
    notes: [],
    errors: []
  }
}
