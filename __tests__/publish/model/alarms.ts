/**
 * CloudWatch alarms for the model, on the model's clock, as the CloudWatch API reference
 * describes DescribeAlarms and DescribeAlarmHistory (the same rules scripts/moto/
 * patches_cloudwatch.py teaches the emulator): without AlarmTypes only metric alarms are
 * returned; AlarmNames takes at most 100 names and not together with AlarmNamePrefix; pages of
 * MaxRecords (at most 100) with NextToken; a name that matches nothing is simply absent;
 * StateTransitionedTimestamp moves only when the state value changes, and every change is a
 * StateUpdate history item. A new alarm starts in INSUFFICIENT_DATA.
 */
import {
  type AlarmHistoryItem,
  CloudWatchServiceException,
  type CompositeAlarm,
  type DescribeAlarmHistoryCommandInput,
  type DescribeAlarmHistoryCommandOutput,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type MetricAlarm,
  type StateValue
} from '@aws-sdk/client-cloudwatch'

interface AlarmRecord {
  name: string
  type: 'MetricAlarm' | 'CompositeAlarm'
  state: StateValue
  reason: string
  updatedAt: number
  transitionedAt: number
  history: AlarmHistoryItem[]
}

const meta = { httpStatusCode: 200 }

function invalid(name: string, message: string): Error {
  return new CloudWatchServiceException({
    name,
    message,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 }
  })
}

export class AlarmBoard {
  private readonly alarms = new Map<string, AlarmRecord>()

  constructor(private readonly clock: () => number) {}

  /** PutMetricAlarm / PutCompositeAlarm: a new alarm, in INSUFFICIENT_DATA. */
  put(name: string, type: AlarmRecord['type'] = 'MetricAlarm'): void {
    const now = this.clock()
    this.alarms.set(name, {
      name,
      type,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      updatedAt: now,
      transitionedAt: now,
      history: []
    })
  }

  /** SetAlarmState, or CloudWatch evaluating the metric. */
  set(name: string, state: StateValue, reason = `set to ${state}`): void {
    const a = this.alarms.get(name)
    if (a === undefined) throw new Error(`no alarm ${name}`)
    const now = this.clock()
    if (a.state !== state) {
      a.history.push({
        AlarmName: name,
        AlarmType: a.type,
        Timestamp: new Date(now),
        HistoryItemType: 'StateUpdate',
        HistorySummary: `Alarm updated from ${a.state} to ${state}`,
        HistoryData: JSON.stringify({
          version: '1.0',
          oldState: { stateValue: a.state, stateReason: a.reason },
          newState: { stateValue: state, stateReason: reason }
        })
      })
      a.transitionedAt = now
    }
    a.state = state
    a.reason = reason
    a.updatedAt = now
  }

  describeAlarms(input: DescribeAlarmsCommandInput): DescribeAlarmsCommandOutput {
    const names = input.AlarmNames ?? []
    if (names.length > 0 && input.AlarmNamePrefix !== undefined) {
      throw invalid(
        'InvalidParameterCombination',
        'AlarmNamePrefix and AlarmNames cannot be specified together'
      )
    }
    if (names.length > 100) {
      throw invalid(
        'ValidationError',
        "1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100"
      )
    }
    const types = input.AlarmTypes ?? ['MetricAlarm']
    const matching = [...this.alarms.values()]
      .filter((a) => types.includes(a.type))
      .filter((a) => (names.length > 0 ? names.includes(a.name) : true))
      .filter((a) => a.name.startsWith(input.AlarmNamePrefix ?? ''))
      .sort((a, b) => a.name.localeCompare(b.name))
    const size = Math.min(input.MaxRecords ?? 50, 100)
    const start = Number(input.NextToken ?? '0')
    const page = matching.slice(start, start + size)
    const next = start + size < matching.length ? String(start + size) : undefined
    const view = (a: AlarmRecord) => ({
      AlarmName: a.name,
      StateValue: a.state,
      StateReason: a.reason,
      StateUpdatedTimestamp: new Date(a.updatedAt),
      StateTransitionedTimestamp: new Date(a.transitionedAt)
    })
    return {
      $metadata: meta,
      MetricAlarms: page.filter((a) => a.type === 'MetricAlarm').map((a): MetricAlarm => view(a)),
      CompositeAlarms: page
        .filter((a) => a.type === 'CompositeAlarm')
        .map((a): CompositeAlarm => view(a)),
      ...(next === undefined ? {} : { NextToken: next })
    }
  }

  describeAlarmHistory(input: DescribeAlarmHistoryCommandInput): DescribeAlarmHistoryCommandOutput {
    const types = input.AlarmTypes ?? ['MetricAlarm']
    const from = input.StartDate?.getTime() ?? -Infinity
    const to = input.EndDate?.getTime() ?? Infinity
    const items = [...this.alarms.values()]
      .filter((a) => input.AlarmName === undefined || a.name === input.AlarmName)
      .filter((a) => types.includes(a.type))
      .flatMap((a) => a.history)
      .filter(
        (h) => input.HistoryItemType === undefined || h.HistoryItemType === input.HistoryItemType
      )
      .filter((h) => {
        const t = h.Timestamp?.getTime() ?? 0
        return t >= from && t <= to
      })
      .sort((a, b) => {
        const d = (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0)
        return input.ScanBy === 'TimestampAscending' ? d : -d
      })
    const size = Math.min(input.MaxRecords ?? 100, 100)
    const start = Number(input.NextToken ?? '0')
    const next = start + size < items.length ? String(start + size) : undefined
    return {
      $metadata: meta,
      AlarmHistoryItems: items.slice(start, start + size),
      ...(next === undefined ? {} : { NextToken: next })
    }
  }
}
