/**
 * The alarm gate, pure: parse `rollback-alarms`, work out since when each alarm has been out of
 * ALARM (bake-time), and judge a run: pass, wait for bake-time, or fire. The CloudWatch reads are
 * in src/aws/cloudwatch-alarms.ts; this module only sees their answers (the history reader is
 * passed in).
 *
 * bake-time follows AWS's own meaning (AppConfig, CodeDeploy): the alarms must have stayed out of
 * ALARM for that long. INSUFFICIENT_DATA is not ALARM; it neither stops a ramp nor vouches for it
 * beyond that, and the summary lists such alarms.
 */
import type { AlarmHistory } from '../aws/cloudwatch-alarms.js'
import type { AlarmReading, AlarmSpec, AlarmStatus, AlarmTransition, GateVerdict } from './types.js'

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string }

const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:alarm:(.+)$/
const CONTROL = /\p{Cc}/u

/**
 * `rollback-alarms`: alarm names, `prefix*` for every alarm whose name starts with prefix, or
 * alarm ARNs (for alarms in another region, such as CloudFront's metrics in us-east-1). One per
 * line (a name may then contain commas), or comma-separated on one line.
 */
export function parseAlarmSpecs(raw: string): Parsed<AlarmSpec[]> {
  const text = raw.trim()
  const entries = (text.includes('\n') ? text.split('\n') : text.split(','))
    .map((e) => e.trim())
    .filter((e) => e !== '' && !e.startsWith('#'))
  const specs: AlarmSpec[] = []
  const seen = new Set<string>()
  for (const entry of entries) {
    const arn = ALARM_ARN.exec(entry)
    const region = arn?.[1]
    const name = arn?.[2] ?? entry
    if (entry.startsWith('arn:') && arn === null) {
      return {
        ok: false,
        error: `'${entry}' is not a CloudWatch alarm ARN (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME)`
      }
    }
    if (name.length > 255 || CONTROL.test(name)) {
      return {
        ok: false,
        error: `'${name.slice(0, 40)}' is not an alarm name (1-255 characters, no control characters)`
      }
    }
    let spec: AlarmSpec
    if (name.endsWith('*')) {
      const prefix = name.slice(0, -1)
      if (prefix === '' || prefix.includes('*')) {
        return {
          ok: false,
          error: `'${entry}': a prefix needs a name part before one final *, such as www-prod-*`
        }
      }
      spec = { kind: 'prefix', prefix, region }
    } else {
      spec = { kind: 'name', name, region }
    }
    const key = `${spec.kind}|${region ?? ''}|${spec.kind === 'name' ? spec.name : spec.prefix}`
    if (!seen.has(key)) specs.push(spec)
    seen.add(key)
  }
  if (specs.length === 0)
    return {
      ok: false,
      error: 'names no alarm; give alarm names, a prefix such as www-prod-*, or ARNs'
    }
  return { ok: true, value: specs }
}

/** How a spec reads in messages: `www-5xx`, `www-prod-*`, `www-5xx (us-east-1)`. */
export function describeSpec(spec: AlarmSpec): string {
  const what = spec.kind === 'name' ? spec.name : `${spec.prefix}*`
  return spec.region === undefined ? what : `${what} (${spec.region})`
}

/** The preflight error for alarms that do not exist: a gate on nothing would be a silent pass. */
export function missingAlarmsMessage(missing: AlarmSpec[], defaultRegion: string): string {
  const lines = missing.map((spec) => {
    const region = spec.region ?? defaultRegion
    return spec.kind === 'name'
      ? `no CloudWatch alarm is named '${spec.name}' in ${region}`
      : `no CloudWatch alarm name starts with '${spec.prefix}' in ${region}`
  })
  return `rollback-alarms: ${lines.join('; ')}. Check the names (they are case-sensitive) and the region (the region input, or an alarm ARN for another region); an alarm that does not exist cannot stop a rollout.`
}

/** Does bake-time need this alarm's history? (It changed state inside the bake window.) */
export function needsHistory(alarm: AlarmStatus, bakeTimeMs: number, now: Date): boolean {
  return (
    alarm.state !== 'ALARM' && bakeTimeMs > 0 && alarm.since.getTime() > now.getTime() - bakeTimeMs
  )
}

/**
 * The time since which `alarm` has certainly been out of ALARM; undefined while it is in ALARM.
 * `history` holds its state changes from the start of the bake window to `now`, or is undefined
 * when it could not be read (then the last state change counts, which can only make a wait longer).
 */
export function clearSince(
  alarm: AlarmStatus,
  history: AlarmTransition[] | undefined,
  bakeTimeMs: number,
  now: Date
): Date | undefined {
  if (alarm.state === 'ALARM') return undefined
  if (!needsHistory(alarm, bakeTimeMs, now) || history === undefined) return alarm.since
  const windowStart = now.getTime() - bakeTimeMs
  const inWindow = history.filter((t) => t.at.getTime() >= windowStart && t.at <= now)
  // The last state change lies inside the window, so the history must show it; when it does not,
  // the history is incomplete and only the last change can be trusted.
  if (inWindow.length === 0) return alarm.since
  const exits = inWindow.filter((t) => t.from === 'ALARM').map((t) => t.at.getTime())
  return new Date(exits.length === 0 ? windowStart : Math.max(...exits))
}

/**
 * Each alarm with the time since which it has been out of ALARM, reading the history only of
 * those that changed state within bake-time. Without cloudwatch:DescribeAlarmHistory (the reader
 * answers undefined) the last state change counts instead (a step can then only wait longer,
 * never sooner), and the history is not asked for again.
 */
export async function readAlarmReadings(
  history: AlarmHistory,
  alarms: AlarmStatus[],
  bakeTimeMs: number,
  now: Date
): Promise<{ readings: AlarmReading[]; historyDenied: boolean }> {
  let historyDenied = false
  const readings: AlarmReading[] = []
  for (const alarm of alarms) {
    let transitions: AlarmTransition[] | undefined
    if (needsHistory(alarm, bakeTimeMs, now) && !historyDenied) {
      transitions = await history(alarm, new Date(now.getTime() - bakeTimeMs), now)
      historyDenied = transitions === undefined
    }
    readings.push({ ...alarm, clearSince: clearSince(alarm, transitions, bakeTimeMs, now) })
  }
  return { readings, historyDenied }
}

/** The gate's verdict from every alarm's reading. */
export function evaluateGate(alarms: AlarmReading[], bakeTimeMs: number, now: Date): GateVerdict {
  const firing = alarms.filter((a) => a.state === 'ALARM')
  if (firing.length > 0) return { kind: 'fire', firing, alarms }
  const baked = now.getTime() - bakeTimeMs
  const pending = alarms.filter((a) => (a.clearSince?.getTime() ?? Infinity) > baked)
  if (bakeTimeMs > 0 && pending.length > 0) {
    const until = Math.max(
      ...pending.map((a) => (a.clearSince?.getTime() ?? now.getTime()) + bakeTimeMs)
    )
    return { kind: 'bake', until: new Date(until), pending, alarms }
  }
  return { kind: 'pass', alarms }
}

/** `alarm www-5xx (us-east-1) is in ALARM since 2026-05-01T09:00:00.000Z: Threshold Crossed: …` */
export function describeFiring(firing: AlarmReading[]): string {
  return firing
    .map(
      (a) => `alarm ${a.name} (${a.region}) is in ALARM since ${a.since.toISOString()}: ${a.reason}`
    )
    .join('; ')
}
