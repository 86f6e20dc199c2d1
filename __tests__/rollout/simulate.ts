/**
 * A simulated world for ramp runs: the router's tags (every run decodes them and writes what it
 * decided, so the tag encoding carries the rollout from run to run), the traffic in force, and
 * CloudWatch alarms with their state history. A run is one scheduled workflow run: read, gate,
 * decide, publish, record. Time is whatever clock the test passes.
 */
import { formatRatio, type Weights } from '../../src/inputs.js'
import { decideRamp } from '../../src/rollout/decide.js'
import { clearSince, evaluateGate } from '../../src/rollout/gate.js'
import { decodeRolloutTags, encodeRolloutTags, sameRollout } from '../../src/rollout/tags.js'
import type {
  AlarmReading,
  AlarmStateValue,
  AlarmTransition,
  GatePolicy,
  GateVerdict,
  Pair,
  Ramp,
  RampDecision
} from '../../src/rollout/types.js'

export const HOUR = 3_600_000
export const DAY = 24 * HOUR
export const T0 = new Date('2026-05-01T09:00:00.000Z')
export const at = (ms: number): Date => new Date(T0.getTime() + ms)

interface Alarm {
  state: AlarmStateValue
  since: Date
  reason: string
  history: AlarmTransition[]
}

export interface RunOptions {
  ramp: Ramp
  now: Date
  restart?: boolean
  pair?: Pair
  policy?: Partial<GatePolicy>
  /** The run dies after publishing, before it records the step. */
  killAfterPublish?: boolean
  runId?: number
}

export class World {
  tags: Record<string, string> = { 'bluegreen:domain': 'www.deep.mg' }
  weights: Weights
  readonly alarms = new Map<string, Alarm>()
  publishes = 0
  tagWrites = 0
  log: { at: Date; decision: RampDecision }[] = []

  constructor(weights: Weights = { blue: 1, green: 0 }) {
    this.weights = weights
  }

  setAlarm(name: string, state: AlarmStateValue, now: Date, reason = `set to ${state}`): void {
    const old = this.alarms.get(name)
    if (old === undefined) {
      this.alarms.set(name, { state, since: now, reason, history: [] })
      return
    }
    if (old.state !== state) {
      old.history.push({ at: now, from: old.state, to: state })
      old.since = now
    }
    old.state = state
    old.reason = reason
  }

  gate(now: Date, bakeTimeMs: number): GateVerdict {
    if (this.alarms.size === 0) return { kind: 'none' }
    const readings: AlarmReading[] = [...this.alarms].map(([name, a]) => {
      const status = {
        name,
        type: 'metric' as const,
        region: 'us-east-1',
        state: a.state,
        reason: a.reason,
        since: a.since
      }
      return { ...status, clearSince: clearSince(status, a.history, bakeTimeMs, now) }
    })
    return evaluateGate(readings, bakeTimeMs, now)
  }

  /** One run of the workflow. */
  run(options: RunOptions): RampDecision {
    const policy: GatePolicy = { onAlarm: 'rollback', bakeTimeMs: 0, ...options.policy }
    const stored = decodeRolloutTags(this.tags)
    const decision = decideRamp({
      ramp: options.ramp,
      restart: options.restart ?? false,
      pair: options.pair ?? { blue: 'EBLUE', green: 'EGREEN' },
      current: this.weights,
      stored,
      gate: this.gate(options.now, policy.bakeTimeMs),
      policy,
      now: options.now,
      run: {
        url: `https://github.com/deep/site/actions/runs/${options.runId ?? 1}`,
        actor: 'octocat'
      }
    })
    this.log.push({ at: options.now, decision })
    if (decision.kind === 'step' || decision.kind === 'rollback') {
      if (formatRatio(decision.weights) !== formatRatio(this.weights)) this.publishes += 1
      this.weights = decision.weights
      if (options.killAfterPublish === true) return decision
    }
    const record = 'record' in decision ? decision.record : undefined
    if (record !== undefined && (stored.kind !== 'ok' || !sameRollout(stored.state, record))) {
      this.tags = { ...this.tags, ...encodeRolloutTags(record) }
      this.tagWrites += 1
    }
    return decision
  }

  /** Runs every `everyMs` from `from` (inclusive) to `to` (exclusive). */
  cron(
    options: Omit<RunOptions, 'now'> & {
      from: number
      to: number
      everyMs?: number
      jitterMs?: (i: number) => number
    }
  ): RampDecision[] {
    const out: RampDecision[] = []
    const every = options.everyMs ?? HOUR
    for (let t = options.from, i = 0; t < options.to; t += every, i++) {
      out.push(this.run({ ...options, now: at(t + (options.jitterMs?.(i) ?? 0)), runId: i + 1 }))
    }
    return out
  }

  green(): number {
    return Math.round((this.weights.green * 10000) / (this.weights.blue + this.weights.green)) / 100
  }
}

export const count = (decisions: RampDecision[], kind: RampDecision['kind']): number =>
  decisions.filter((d) => d.kind === kind).length
