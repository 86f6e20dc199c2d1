/**
 * One ramp run's decision, pure: the rollout stored on the router's tags, the traffic in force,
 * the alarm gate and the clock in; at most one step (or a rollback) out. No runner is held
 * between steps: a scheduled workflow calls this on every run, and a run that is early changes
 * nothing and says when the next step is due.
 *
 * The rules:
 * - A new ramp starts at its first step at or beyond the current traffic (a step already in
 *   force is recorded as reached now, without a change).
 * - A step advances once ramp-interval has passed since the step in force was reached, and,
 *   with bake-time, once every alarm has been out of ALARM that long.
 * - An alarm in ALARM on any run of a ramp under way rolls it back to 1:0 (or holds it); a ramp
 *   that has not started does not start. A finished ramp (last step, rolled back, or stopped by
 *   a publish outside it) is left alone.
 * - Another ramp for the same blue and green while one is under way is refused unless
 *   ramp-restart; traffic that changed without a stop mark (tags edited by hand, an older
 *   release) is refused the same way.
 * - A run that died after publishing a step but before recording it is finished by the next; a
 *   rollback is recorded before it starts, so one that died halfway is finished by the next run
 *   even once the alarm has cleared.
 */
import { formatRatio, type Weights } from '../inputs.js'
import { describeFiring } from './gate.js'
import {
  compareGreen,
  formatDuration,
  formatSteps,
  percentWeights,
  rampsUp,
  sameWeights
} from './ramp.js'
import type {
  AlarmReading,
  DeploymentState,
  Pair,
  RampAction,
  RampDecision,
  RampOutputs,
  RampRunInput,
  RolloutState
} from './types.js'

export const ALL_BLUE: Weights = { blue: 1, green: 0 }

export function decideRamp(input: RampRunInput): RampDecision {
  return explain(input, act(input))
}

function act(input: RampRunInput): RampAction {
  const { ramp, pair, current, now, gate, policy, stored } = input
  let active: RolloutState | undefined
  let replaced: RolloutState | undefined
  if (stored.kind === 'invalid') {
    if (!input.restart) {
      return refuse(
        `The router's rollout tags are unreadable (${stored.tag} = "${stored.value}": ${stored.error}). Set ramp-restart: true to start this ramp again from the current traffic (${greenText(current)}).`
      )
    }
  } else if (stored.kind === 'ok' && samePair(stored.state.pair, pair)) {
    active = stored.state
  }

  if (active !== undefined) {
    const same = sameSteps(active.ramp.steps, ramp.steps)
    const over = isOver(active)
    // ramp-restart left on in a schedule must not reset a ramp that is under way as recorded.
    if (input.restart && !(same && !over && !drifted(active, current))) {
      replaced = active
      active = undefined
    } else if (!same && !over) {
      return refuse(
        `A ramp ${formatSteps(active.ramp.steps)} is under way for these environments (step ${active.step + 1} of ${active.ramp.steps.length}, ${active.ramp.steps[active.step] ?? 0} % green since ${active.stepAt.toISOString()}${active.run.url === undefined ? '' : `, run ${active.run.url}`}); this run asks for ${formatSteps(ramp.steps)}. Give the same ramp, or set ramp-restart: true to replace it (the new ramp continues from the current ${greenText(current)}).`
      )
    } else if (!same) {
      // The stored ramp is over (finished or rolled back): this one is new.
      active = undefined
    }
  }

  return active === undefined
    ? startRamp(input, replaced)
    : continueRamp(input, { ...active, ramp: { ...active.ramp, intervalMs: ramp.intervalMs } })

  function startRamp(run: RampRunInput, old: RolloutState | undefined): RampAction {
    if (gate.kind === 'fire') return { kind: 'blocked', firing: gate.firing }
    const up = rampsUp(ramp.steps)
    const index = ramp.steps.findIndex((s) =>
      up ? compareGreen(current, s) <= 0 : compareGreen(current, s) >= 0
    )
    const at = Math.max(index, 0)
    const target = ramp.steps[at] ?? 0
    const record: RolloutState = {
      ramp,
      pair,
      step: at,
      stepAt: now,
      startedAt: now,
      mark: undefined,
      run: run.run,
      deployment: undefined
    }
    if (compareGreen(current, target) === 0) {
      if (at === ramp.steps.length - 1) return { kind: 'finished', outcome: 'complete', record }
      return {
        kind: 'step',
        reason: 'join',
        weights: current,
        record,
        from: undefined,
        replaced: old
      }
    }
    if (gate.kind === 'bake' && gate.until > now) {
      return { kind: 'wait', waitingFor: 'bake', dueAt: gate.until, record: undefined }
    }
    return {
      kind: 'step',
      reason: 'start',
      weights: percentWeights(target),
      record,
      from: undefined,
      replaced: old
    }
  }

  function continueRamp(run: RampRunInput, state: RolloutState): RampAction {
    if (state.mark?.kind === 'rolled-back') {
      if (sameWeights(current, ALL_BLUE)) {
        return { kind: 'finished', outcome: 'rolled-back', record: state }
      }
      // Recorded before the rollback began, so the traffic is not all blue yet: a run died.
      return { kind: 'rollback', reason: 'finish', weights: ALL_BLUE, record: state, firing: [] }
    }
    if (state.mark?.kind === 'stopped') {
      return { kind: 'finished', outcome: 'stopped', record: state }
    }
    const last = state.ramp.steps.length - 1
    if (state.step >= last && state.mark === undefined) {
      return { kind: 'finished', outcome: 'complete', record: state }
    }
    if (gate.kind === 'fire') return stopped(state, gate.firing)

    const inForce = percentWeights(state.ramp.steps[state.step] ?? 0)
    const next = state.ramp.steps[state.step + 1]
    const base: RolloutState =
      state.mark === undefined ? state : { ...state, mark: undefined, run: run.run }
    if (!sameWeights(current, inForce)) {
      if (next !== undefined && sameWeights(current, percentWeights(next))) {
        return advance(base, 'finish')
      }
      return refuse(
        `Traffic is at ${greenText(current)} (${formatRatio(current)}), but the ramp ${formatSteps(state.ramp.steps)} left it at ${state.ramp.steps[state.step] ?? 0} % (step ${state.step + 1}, ${state.stepAt.toISOString()}): a publish outside the ramp changed it. Set ramp-restart: true to continue the ramp from the current traffic, or remove ramp from the workflow to stop it.`
      )
    }
    const due = new Date(state.stepAt.getTime() + state.ramp.intervalMs)
    const bakeUntil = gate.kind === 'bake' ? gate.until : undefined
    if (now < due) {
      const bakeLater = bakeUntil !== undefined && bakeUntil > due
      return {
        kind: 'wait',
        waitingFor: bakeLater ? 'bake' : 'interval',
        dueAt: bakeLater ? bakeUntil : due,
        record: base
      }
    }
    if (bakeUntil !== undefined && bakeUntil > now) {
      return { kind: 'wait', waitingFor: 'bake', dueAt: bakeUntil, record: base }
    }
    return advance(base, 'advance')

    function advance(from: RolloutState, reason: 'advance' | 'finish'): RampAction {
      const step = from.step + 1
      return {
        kind: 'step',
        reason,
        weights: percentWeights(from.ramp.steps[step] ?? 0),
        record: { ...from, step, stepAt: now, mark: undefined, run: run.run },
        from: from.step,
        replaced: undefined
      }
    }
  }

  function stopped(state: RolloutState, firing: AlarmReading[]): RampAction {
    const alarm = firing[0]?.name ?? ''
    if (policy.onAlarm === 'rollback') {
      return {
        kind: 'rollback',
        reason: 'alarm',
        weights: ALL_BLUE,
        record: { ...state, mark: { kind: 'rolled-back', at: now, alarm }, run: input.run },
        firing
      }
    }
    const record =
      state.mark?.kind === 'held'
        ? state
        : { ...state, mark: { kind: 'held' as const, at: now, alarm }, run: input.run }
    return { kind: 'hold', record, firing }
  }
}

function refuse(message: string): RampAction {
  return { kind: 'refuse', message }
}

/** Has traffic left the step in force (other than for the next step, a run that died)? */
function drifted(state: RolloutState, current: Weights): boolean {
  const at = state.ramp.steps[state.step] ?? 0
  const next = state.ramp.steps[state.step + 1]
  return (
    !sameWeights(current, percentWeights(at)) &&
    (next === undefined || !sameWeights(current, percentWeights(next)))
  )
}

/** Is the stored ramp over: rolled back, or at its last step with no mark? */
function isOver(state: RolloutState): boolean {
  return (
    state.mark?.kind === 'rolled-back' ||
    state.mark?.kind === 'stopped' ||
    (state.step >= state.ramp.steps.length - 1 && state.mark === undefined)
  )
}

function samePair(a: Pair, b: Pair): boolean {
  return a.blue === b.blue && a.green === b.green
}

function sameSteps(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i])
}

function greenText(w: Weights): string {
  const pct = Math.round((w.green * 10000) / (w.blue + w.green)) / 100
  return `${pct} % green`
}

// ---------------------------------------------------------------------------------------------
// Outputs and the one-line explanation

function explain(input: RampRunInput, action: RampAction): RampDecision {
  const { ramp } = input
  const name = `Ramp ${formatSteps(ramp.steps)} every ${formatDuration(ramp.intervalMs)}`
  const outputs = (state: RolloutState | undefined, due: Date | undefined): RampOutputs => {
    const next = state === undefined ? undefined : state.ramp.steps[state.step + 1]
    return {
      'ramp-step': state === undefined ? '0' : String(state.step + 1),
      'ramp-next': next === undefined ? '' : String(next),
      'ramp-due-at': due === undefined || next === undefined ? '' : due.toISOString()
    }
  }
  const at = (s: RolloutState): string =>
    `step ${s.step + 1} of ${s.ramp.steps.length} (${s.ramp.steps[s.step] ?? 0} % green)`
  const dueOf = (s: RolloutState): Date => new Date(s.stepAt.getTime() + s.ramp.intervalMs)
  const none: RampOutputs = { 'ramp-step': '', 'ramp-next': '', 'ramp-due-at': '' }

  switch (action.kind) {
    case 'step': {
      const r = action.record
      const next = r.ramp.steps[r.step + 1]
      const verb = {
        start: 'starts at',
        join: 'joins at the traffic in force,',
        advance: 'advances to',
        finish: 'finishes the step a previous run began:'
      }[action.reason]
      const tail =
        next === undefined ? 'the last step.' : `next ${next} % due at ${dueOf(r).toISOString()}.`
      return {
        ...action,
        outputs: outputs(r, dueOf(r)),
        summary: `${name} ${verb} ${at(r)}; ${tail}`,
        fails: false
      }
    }
    case 'wait': {
      const r = action.record
      const why =
        action.waitingFor === 'bake'
          ? 'alarms have not been out of ALARM for bake-time yet'
          : 'ramp-interval has not passed'
      const out =
        r === undefined
          ? {
              ...none,
              'ramp-step': '0',
              'ramp-next': String(firstTarget(input)),
              'ramp-due-at': action.dueAt.toISOString()
            }
          : outputs(r, action.dueAt)
      return {
        ...action,
        outputs: out,
        summary: `${name}: ${r === undefined ? 'not started' : at(r)}; ${why}: the next step is due at ${action.dueAt.toISOString()}. Nothing changed.`,
        fails: false
      }
    }
    case 'finished': {
      const r = action.record
      const mark = r.mark?.at.toISOString() ?? ''
      const by = [r.run.url === undefined ? '' : `run ${r.run.url}`, r.run.actor ?? '']
        .filter((s) => s !== '')
        .join(' by ')
      return {
        ...action,
        // Over, whatever step it stopped at: nothing comes next.
        outputs: { ...outputs(r, undefined), 'ramp-next': '' },
        summary: {
          complete: `${name} is complete (${at(r)}): nothing to do.`,
          'rolled-back': `${name} was rolled back to all blue at ${mark} (alarm ${r.mark?.alarm ?? ''}): nothing to do. Set ramp-restart: true to start it again.`,
          stopped: `${name} was stopped at ${mark} at ${at(r)} by a publish outside the ramp${by === '' ? '' : ` (${by})`} that set the traffic to ${greenText(input.current)}: nothing to do. Set ramp-restart: true to continue the ramp from the current traffic.`
        }[action.outcome],
        fails: false
      }
    }
    case 'rollback':
      return {
        ...action,
        outputs: { ...outputs(action.record, undefined), 'ramp-next': '' },
        summary:
          action.reason === 'alarm'
            ? `${name} rolled back to all blue (1:0) from ${at(action.record)}: ${describeFiring(action.firing)}.`
            : `${name} finishes the rollback to all blue (1:0) that a previous run began at ${action.record.mark?.at.toISOString() ?? ''} (alarm ${action.record.mark?.alarm ?? ''}); traffic was still at ${greenText(input.current)}.`,
        fails: true
      }
    case 'hold':
      return {
        ...action,
        outputs: outputs(action.record, undefined),
        summary: `${name} held at ${at(action.record)} (on-alarm: hold): ${describeFiring(action.firing)}.`,
        fails: true
      }
    case 'blocked':
      return {
        ...action,
        outputs: none,
        summary: `${name} does not start: ${describeFiring(action.firing)}.`,
        fails: true
      }
    case 'refuse':
      return { ...action, outputs: none, summary: action.message, fails: true }
  }
}

function firstTarget(input: RampRunInput): number {
  const up = rampsUp(input.ramp.steps)
  return (
    input.ramp.steps.find((s) =>
      up ? compareGreen(input.current, s) < 0 : compareGreen(input.current, s) > 0
    ) ?? 0
  )
}

// ---------------------------------------------------------------------------------------------
// GitHub deployment statuses

export interface DeploymentStatusUpdate {
  state: DeploymentState
  /** At most 140 characters, as the deployments API requires. */
  description: string
}

/** What a decision records on the rollout's GitHub deployment; undefined: nothing this run. */
export interface DeploymentPlan {
  /** Create a deployment first (a new ramp, or a ramp that has none yet). */
  create: boolean
  /** Posted before publishing. */
  start: DeploymentStatusUpdate | undefined
  /** Posted once the publish succeeded (and the tags were written). */
  done: DeploymentStatusUpdate
  /** Posted when the publish failed. */
  failed: DeploymentStatusUpdate
}

const short = (text: string): string => (text.length <= 140 ? text : `${text.slice(0, 139)}…`)

export function deploymentPlan(decision: RampDecision): DeploymentPlan | undefined {
  const failed = (what: string): DeploymentStatusUpdate => ({
    state: 'failure',
    description: short(`${what} failed; the next run retries`)
  })
  switch (decision.kind) {
    case 'step': {
      const r = decision.record
      const pct = r.ramp.steps[r.step] ?? 0
      const last = r.step === r.ramp.steps.length - 1
      return {
        create: r.deployment === undefined,
        start: {
          state: 'in_progress',
          description: short(
            `Moving to ${pct} % green (step ${r.step + 1} of ${r.ramp.steps.length})`
          )
        },
        done: last
          ? { state: 'success', description: short(`${pct} % green: ramp complete`) }
          : {
              state: 'in_progress',
              description: short(
                `${pct} % green (step ${r.step + 1} of ${r.ramp.steps.length}); next ${r.ramp.steps[r.step + 1] ?? ''} % due ${decision.outputs['ramp-due-at']}`
              )
            },
        failed: failed(`Step to ${pct} % green`)
      }
    }
    case 'rollback':
      return {
        create: decision.record.deployment === undefined,
        start: undefined,
        done: {
          state: 'inactive',
          description: short(
            `Rolled back to all blue: alarm ${decision.firing[0]?.name ?? decision.record.mark?.alarm ?? ''} in ALARM`
          )
        },
        failed: failed('Rollback to all blue')
      }
    case 'hold':
      return {
        create: decision.record.deployment === undefined,
        start: undefined,
        done: {
          state: 'failure',
          description: short(
            `Held at ${decision.record.ramp.steps[decision.record.step] ?? 0} % green: alarm ${decision.firing[0]?.name ?? ''} in ALARM`
          )
        },
        failed: failed('Hold')
      }
    case 'wait':
    case 'finished':
    case 'blocked':
    case 'refuse':
      return undefined
  }
}
