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

/** What serves a hostname: a colour's distribution, the router's edge function, or another. */
export type Server = 'blue' | 'green' | 'router' | 'other'

/** The traffic of one side of a publish: the state and ratio, or why there is none. */
export interface Traffic {
  /** undefined: the domain is not served by blue, green or the router (or nothing serves it). */
  state: PublishState | undefined
  /** undefined with a split state: the router's tags record no ratio. */
  weights: Weights | undefined
  /** Who serves each hostname (undefined: nothing serves it). */
  hosts: Record<string, Server | undefined>
}

/**
 * publish's "now → planned" (a dry run, or a run that stopped before it finished) or
 * "before → after" (a run that carried its plan out).
 */
export interface Transition {
  done: boolean
  /** D, B1, G2 in that order, as the rows of the comparison. */
  names: { domain: string; blueHost: string; greenHost: string }
  /** The distribution ids, for "blue E1…" (the router's is its id once this run created it). */
  ids: { blue: string; green: string; router: string | undefined }
  before: Traffic
  after: Traffic
  /** Manual DNS phase 1: the router waits for the records the operator creates. */
  waitsForDns: boolean
}

/** `replicate` commands that read progress: the overall figure beside the per-pair rows. */
export interface ReplicationOverall {
  /** The signed percent of the `progress` output (see TableRow.progress). */
  progress: number
  /** Pairs (tables and buckets) found, and how many of them prepare has started on. */
  pairs: number
  prepared: number
  /** The pair the overall figure is of, once every pair is past its copy (the slowest). */
  slowest?: string
}

/** A ramp run, for the summary: what it decided and did, and the alarms it read. */
export interface RolloutReport {
  /** The decision in one line (names the alarm and its reason when one stopped the ramp). */
  summary: string
  /** What this run did about it: "Traffic is at 25 % green (3:1) now; …", "Nothing changed." */
  done: string
  alarms: { name: string; region: string; state: string; since: string; reason: string }[]
  /** Who last changed the rollout (this run when it did): run URL and GitHub login. */
  run: { url: string | undefined; actor: string | undefined }
  /** The GitHub deployment that records the rollout, when there is one. */
  deployment: string | undefined
}

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
  /** Set by a ramp run. */
  rollout?: RolloutReport
  /** Set by publish once it has read AWS and planned. */
  transition?: Transition
  /** Set by the replicate commands that report progress. */
  replication?: ReplicationOverall
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
