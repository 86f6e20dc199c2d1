/**
 * The rollout vocabulary: what a ramp is, the state a rollout keeps on the router's tags, what
 * the alarm gate observed, and what one run decides. Plain data only; ramp.ts parses, tags.ts
 * encodes the state, gate.ts judges the alarms and decide.ts turns all of it into a decision.
 * Nothing here touches the network or the clock: callers pass `now`.
 */
import type { AlarmQuery, AlarmStatus } from '../aws/cloudwatch-alarms.js'
import type { Weights } from '../inputs.js'

/** A ramp as the operator wrote it: green percentages, one way, ending at 100 (or 0). */
export interface Ramp {
  /** Green percent of each step, strictly increasing to 100 or strictly decreasing to 0. */
  steps: number[]
  /** The least time traffic stays at a step before the next (ramp-interval). */
  intervalMs: number
}

/** The two distributions a rollout moves traffic between. */
export interface Pair {
  blue: string
  green: string
}

/** Who and what changed the rollout last (recorded on the tags, named in the summary). */
export interface RunInfo {
  /** The workflow run's URL. */
  url: string | undefined
  /** The GitHub login that started the run (GITHUB_ACTOR). */
  actor: string | undefined
}

/**
 * A stop put on the ramp: by the alarm gate (rolled back, held), or by a publish outside the
 * ramp that changed the traffic (stopped; the run and actor of that publish are the state's).
 */
export interface RolloutMark {
  kind: 'rolled-back' | 'held' | 'stopped'
  at: Date
  /** The alarm that stopped it (as far as tag characters allow); empty for `stopped`. */
  alarm: string
}

/** Where a rollout stands: what the router's tags record between runs. */
export interface RolloutState {
  ramp: Ramp
  pair: Pair
  /** Index (0-based) of the step in force. */
  step: number
  /** When that step was reached (the run's clock when it decided the step). */
  stepAt: Date
  startedAt: Date
  mark: RolloutMark | undefined
  /** The run that last changed the rollout. */
  run: RunInfo
  /** The GitHub deployment that records this rollout, once one was created. */
  deployment: number | undefined
}

/** What the router's tags say about a rollout. */
export type StoredRollout =
  | { kind: 'none' }
  | { kind: 'ok'; state: RolloutState }
  /** Tags that someone edited or that a newer release wrote: the tag and why it is unreadable. */
  | { kind: 'invalid'; tag: string; value: string; error: string }

// ---------------------------------------------------------------------------------------------
// Alarms

export type { AlarmStateValue, AlarmStatus, AlarmTransition } from '../aws/cloudwatch-alarms.js'

/** How the operator named the alarms that gate a rollout (rollback-alarms). */
export type AlarmSpec = AlarmQuery

/** An alarm with the time since which it has certainly been out of ALARM (for bake-time). */
export interface AlarmReading extends AlarmStatus {
  /** Undefined while the alarm is in ALARM. */
  clearSince: Date | undefined
}

export type OnAlarm = 'rollback' | 'hold'

export interface GatePolicy {
  onAlarm: OnAlarm
  /** How long every alarm must have been out of ALARM before a step (0: only now). */
  bakeTimeMs: number
}

/** The alarm gate's verdict for this run. */
export type GateVerdict =
  /** No alarms gate this rollout. */
  | { kind: 'none' }
  | { kind: 'pass'; alarms: AlarmReading[] }
  /** No alarm is in ALARM, but some left it less than bake-time ago. */
  | { kind: 'bake'; until: Date; pending: AlarmReading[]; alarms: AlarmReading[] }
  | { kind: 'fire'; firing: AlarmReading[]; alarms: AlarmReading[] }

// ---------------------------------------------------------------------------------------------
// The decision of one ramp run

export interface RampRunInput {
  ramp: Ramp
  /** ramp-restart: replace a different or rolled-back ramp of this pair. */
  restart: boolean
  pair: Pair
  /** Traffic between this run's blue and green now (what the last finished publish left). */
  current: Weights
  stored: StoredRollout
  gate: GateVerdict
  policy: GatePolicy
  now: Date
  run: RunInfo
}

/** Why a step is taken. */
export type StepReason =
  /** The first step of a new ramp. */
  | 'start'
  /** A new ramp whose step is already in force: recorded, traffic unchanged. */
  | 'join'
  /** The interval (and bake-time) passed. */
  | 'advance'
  /** A run died after changing traffic to this step but before recording it. */
  | 'finish'

/** What one ramp run does, before the outputs and the explanation are attached. */
export type RampAction =
  /** Publish `weights` (an ordinary publish), then record `record`. */
  | {
      kind: 'step'
      reason: StepReason
      weights: Weights
      record: RolloutState
      /** Index of the step before (undefined for a new ramp). */
      from: number | undefined
      /** Set when ramp-restart replaced a stored ramp. */
      replaced: RolloutState | undefined
    }
  /**
   * Nothing to publish yet. `record` may differ from the stored state (a hold that ended, a new
   * ramp-interval) and is then written; it is undefined for a ramp that has not started.
   */
  | {
      kind: 'wait'
      waitingFor: 'interval' | 'bake'
      dueAt: Date
      record: RolloutState | undefined
    }
  /**
   * The ramp reached its last step, was rolled back, or a publish outside it stopped it: left
   * alone.
   */
  | { kind: 'finished'; outcome: 'complete' | 'rolled-back' | 'stopped'; record: RolloutState }
  /**
   * An alarm is in ALARM (`alarm`), or a previous run recorded a rollback but died before the
   * traffic was all blue (`finish`): publish 1:0, record the rolled-back mark, fail the job.
   */
  | {
      kind: 'rollback'
      reason: 'alarm' | 'finish'
      weights: Weights
      record: RolloutState
      firing: AlarmReading[]
    }
  /** An alarm is in ALARM and on-alarm is hold: keep the ratio, record the mark, fail the job. */
  | { kind: 'hold'; record: RolloutState; firing: AlarmReading[] }
  /** A ramp that has not started does not start while an alarm is in ALARM: fail the job. */
  | { kind: 'blocked'; firing: AlarmReading[] }
  /** Refused without a change: a different ramp under way, traffic changed outside the ramp. */
  | { kind: 'refuse'; message: string }

/** The action's ramp outputs (empty strings where a value does not apply). */
export interface RampOutputs {
  /** 1-based number of the step in force after this run ('0' before the first). */
  'ramp-step': string
  /** Green percent of the next step. */
  'ramp-next': string
  /** When the next step is due (ISO 8601). */
  'ramp-due-at': string
}

export type RampDecision = RampAction & {
  outputs: RampOutputs
  /** One line for the log and the job summary. */
  summary: string
  /** Whether the job must fail (an alarm stopped the ramp, or the run was refused). */
  fails: boolean
}

/** A GitHub deployment status state, as the deployments API names them. */
export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'inactive'
