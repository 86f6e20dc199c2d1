/**
 * CloudWatch alarms for the rollout gate (read only): DescribeAlarms by names or by prefix, and
 * DescribeAlarmHistory for bake-time. What AWS documents and this module relies on:
 * - Without AlarmTypes, DescribeAlarms returns metric alarms only, even where composite alarms
 *   exist, so every call asks for both (composite alarms also need the permission on `*`).
 * - AlarmNames takes at most 100 names, and AlarmNamePrefix cannot be combined with it.
 * - A name that matches no alarm is simply absent from the answer: the caller must notice.
 * - StateTransitionedTimestamp is when StateValue last changed; StateUpdatedTimestamp also moves
 *   on EvaluationState changes, so it is only the fallback (it is never earlier).
 */
import {
  type CloudWatchClient,
  type CompositeAlarm,
  type MetricAlarm,
  paginateDescribeAlarmHistory,
  paginateDescribeAlarms
} from '@aws-sdk/client-cloudwatch'
import { isAccessDenied } from './errors.js'

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'

/** Which alarms to read: by name or by name prefix, in a region (undefined: the run's). */
export type AlarmQuery =
  | { kind: 'name'; name: string; region: string | undefined }
  | { kind: 'prefix'; prefix: string; region: string | undefined }

/** One CloudWatch alarm as DescribeAlarms reports it. */
export interface AlarmStatus {
  name: string
  type: 'metric' | 'composite'
  region: string
  state: AlarmStateValue
  reason: string
  /** When StateValue last changed (StateTransitionedTimestamp, else StateUpdatedTimestamp). */
  since: Date
}

/** A state change from DescribeAlarmHistory (HistoryItemType StateUpdate). */
export interface AlarmTransition {
  at: Date
  from: AlarmStateValue | undefined
  to: AlarmStateValue | undefined
}

/**
 * Reads an alarm's state changes between two times; undefined when the role may not read alarm
 * history (cloudwatch:DescribeAlarmHistory denied).
 */
export type AlarmHistory = (
  alarm: AlarmStatus,
  from: Date,
  to: Date
) => Promise<AlarmTransition[] | undefined>

/** DescribeAlarms' limit on AlarmNames. */
export const ALARM_NAMES_PER_CALL = 100
const BOTH_TYPES = ['MetricAlarm', 'CompositeAlarm'] as const

/** A CloudWatch client for a region (alarm ARNs may name another region than the run's). */
export type CloudWatchFor = (region: string) => CloudWatchClient

function status(
  alarm: MetricAlarm | CompositeAlarm,
  type: AlarmStatus['type'],
  region: string
): AlarmStatus | undefined {
  const state: AlarmStateValue | undefined = alarm.StateValue
  const since = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp
  if (alarm.AlarmName === undefined || state === undefined || since === undefined) return undefined
  return { name: alarm.AlarmName, type, region, state, reason: alarm.StateReason ?? '', since }
}

async function describe(
  cw: CloudWatchClient,
  region: string,
  filter: { AlarmNames: string[] } | { AlarmNamePrefix: string }
): Promise<AlarmStatus[]> {
  const found: AlarmStatus[] = []
  const pages = paginateDescribeAlarms(
    { client: cw, pageSize: 100 },
    { ...filter, AlarmTypes: [...BOTH_TYPES] }
  )
  for await (const page of pages) {
    for (const a of page.MetricAlarms ?? []) {
      const s = status(a, 'metric', region)
      if (s !== undefined) found.push(s)
    }
    for (const a of page.CompositeAlarms ?? []) {
      const s = status(a, 'composite', region)
      if (s !== undefined) found.push(s)
    }
  }
  return found
}

/** The alarms with these names (any number: asked 100 at a time); absent names are left out. */
export async function describeAlarmsByName(
  cw: CloudWatchClient,
  region: string,
  names: string[]
): Promise<AlarmStatus[]> {
  const found: AlarmStatus[] = []
  for (let i = 0; i < names.length; i += ALARM_NAMES_PER_CALL) {
    found.push(
      ...(await describe(cw, region, { AlarmNames: names.slice(i, i + ALARM_NAMES_PER_CALL) }))
    )
  }
  return found
}

/** Every alarm whose name starts with `prefix`, across all pages. */
export function describeAlarmsByPrefix(
  cw: CloudWatchClient,
  region: string,
  prefix: string
): Promise<AlarmStatus[]> {
  return describe(cw, region, { AlarmNamePrefix: prefix })
}

/**
 * The alarms `specs` name, each once, and the specs that found none (a named alarm that does
 * not exist, a prefix that matches nothing): the caller refuses those at preflight.
 */
export async function readAlarms(
  cloudwatchFor: CloudWatchFor,
  defaultRegion: string,
  specs: AlarmQuery[]
): Promise<{ alarms: AlarmStatus[]; missing: AlarmQuery[] }> {
  const byKey = new Map<string, AlarmStatus>()
  const missing: AlarmQuery[] = []
  const regionOf = (spec: AlarmQuery): string => spec.region ?? defaultRegion
  const regions = [...new Set(specs.map(regionOf))]
  for (const region of regions) {
    const cw = cloudwatchFor(region)
    const here = specs.filter((s) => regionOf(s) === region)
    const names = here.flatMap((s) => (s.kind === 'name' ? [s.name] : []))
    const named = await describeAlarmsByName(cw, region, names)
    for (const spec of here) {
      const matches =
        spec.kind === 'name'
          ? named.filter((a) => a.name === spec.name)
          : await describeAlarmsByPrefix(cw, region, spec.prefix)
      if (matches.length === 0) missing.push(spec)
      for (const a of matches) byKey.set(`${region}|${a.name}`, a)
    }
  }
  return { alarms: [...byKey.values()], missing }
}

/** The alarm's state changes between `from` and `to` (DescribeAlarmHistory, StateUpdate). */
export async function alarmTransitions(
  cw: CloudWatchClient,
  alarm: AlarmStatus,
  from: Date,
  to: Date
): Promise<AlarmTransition[]> {
  const out: AlarmTransition[] = []
  const pages = paginateDescribeAlarmHistory(
    { client: cw, pageSize: 100 },
    {
      AlarmName: alarm.name,
      AlarmTypes: [...BOTH_TYPES],
      HistoryItemType: 'StateUpdate',
      StartDate: from,
      EndDate: to,
      ScanBy: 'TimestampDescending'
    }
  )
  for await (const page of pages) {
    for (const item of page.AlarmHistoryItems ?? []) {
      if (item.Timestamp === undefined) continue
      out.push(parseTransition(item.Timestamp, item.HistoryData, item.HistorySummary))
    }
  }
  return out
}

/** DescribeAlarmHistory through the client of each alarm's region; undefined when denied. */
export function alarmHistory(cloudwatchFor: CloudWatchFor): AlarmHistory {
  return async (alarm, from, to) => {
    try {
      return await alarmTransitions(cloudwatchFor(alarm.region), alarm, from, to)
    } catch (error) {
      if (isAccessDenied(error)) return undefined
      throw error
    }
  }
}

/** Parses one DescribeAlarmHistory item's HistoryData (`{"oldState":{"stateValue":…},…}`). */
export function parseTransition(
  at: Date,
  historyData: string | undefined,
  summary: string | undefined
): AlarmTransition {
  const state = (v: unknown): AlarmTransition['from'] =>
    v === 'OK' || v === 'ALARM' || v === 'INSUFFICIENT_DATA' ? v : undefined
  try {
    const data = JSON.parse(historyData ?? '') as {
      oldState?: { stateValue?: unknown }
      newState?: { stateValue?: unknown }
    }
    return { at, from: state(data.oldState?.stateValue), to: state(data.newState?.stateValue) }
  } catch {
    // HistorySummary reads "Alarm updated from OK to ALARM".
    const m = /from (\w+) to (\w+)/.exec(summary ?? '')
    return { at, from: state(m?.[1]), to: state(m?.[2]) }
  }
}
