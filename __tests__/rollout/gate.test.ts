import {
  clearSince,
  describeSpec,
  evaluateGate,
  missingAlarmsMessage,
  needsHistory,
  parseAlarmSpecs
} from '../../src/rollout/gate.js'
import { parseTransition } from '../../src/aws/cloudwatch-alarms.js'
import type { AlarmReading, AlarmStatus } from '../../src/rollout/types.js'

const NOW = new Date('2026-05-02T09:00:00.000Z')
const ago = (minutes: number): Date => new Date(NOW.getTime() - minutes * 60_000)
const HOUR = 3_600_000

const alarm = (state: AlarmStatus['state'], sinceMinutesAgo: number): AlarmStatus => ({
  name: 'www-5xx',
  type: 'metric',
  region: 'us-east-1',
  state,
  reason: 'Threshold Crossed',
  since: ago(sinceMinutesAgo)
})

describe('rollback-alarms', () => {
  it('tells names, prefixes and ARNs apart, and drops duplicates', () => {
    expect(parseAlarmSpecs('a, b*, a, arn:aws:cloudwatch:us-east-1:123456789012:alarm:c*')).toEqual(
      {
        ok: true,
        value: [
          { kind: 'name', name: 'a', region: undefined },
          { kind: 'prefix', prefix: 'b', region: undefined },
          { kind: 'prefix', prefix: 'c', region: 'us-east-1' }
        ]
      }
    )
  })

  it('reads GovCloud and China ARNs', () => {
    const r = parseAlarmSpecs('arn:aws-us-gov:cloudwatch:us-gov-west-1:123456789012:alarm:x')
    expect(r).toEqual({ ok: true, value: [{ kind: 'name', name: 'x', region: 'us-gov-west-1' }] })
  })

  it('names a missing alarm with its region and the fix', () => {
    const message = missingAlarmsMessage(
      [
        { kind: 'name', name: 'www-5xx', region: undefined },
        { kind: 'prefix', prefix: 'api-', region: 'eu-west-1' }
      ],
      'us-east-1'
    )
    expect(message).toContain("no CloudWatch alarm is named 'www-5xx' in us-east-1")
    expect(message).toContain("no CloudWatch alarm name starts with 'api-' in eu-west-1")
    expect(message).toContain('case-sensitive')
    expect(describeSpec({ kind: 'prefix', prefix: 'api-', region: 'eu-west-1' })).toBe(
      'api-* (eu-west-1)'
    )
  })
})

describe('bake-time: since when an alarm has been out of ALARM', () => {
  it('an alarm in ALARM is not clear', () => {
    expect(clearSince(alarm('ALARM', 5), [], HOUR, NOW)).toBeUndefined()
  })

  it('an alarm whose last change is older than bake-time needs no history', () => {
    expect(needsHistory(alarm('OK', 120), HOUR, NOW)).toBe(false)
    expect(clearSince(alarm('OK', 120), undefined, HOUR, NOW)).toEqual(ago(120))
  })

  it('the last exit from ALARM inside the window counts', () => {
    const history = [
      { at: ago(50), from: 'OK' as const, to: 'ALARM' as const },
      { at: ago(40), from: 'ALARM' as const, to: 'INSUFFICIENT_DATA' as const },
      { at: ago(10), from: 'INSUFFICIENT_DATA' as const, to: 'OK' as const }
    ]
    expect(needsHistory(alarm('OK', 10), HOUR, NOW)).toBe(true)
    expect(clearSince(alarm('OK', 10), history, HOUR, NOW)).toEqual(ago(40))
  })

  it('changes between OK and INSUFFICIENT_DATA only: clear for the whole window', () => {
    const history = [{ at: ago(10), from: 'INSUFFICIENT_DATA' as const, to: 'OK' as const }]
    expect(clearSince(alarm('OK', 10), history, HOUR, NOW)).toEqual(ago(60))
  })

  it('unreadable or incomplete history: only the last change can be trusted', () => {
    expect(clearSince(alarm('OK', 10), undefined, HOUR, NOW)).toEqual(ago(10))
    expect(clearSince(alarm('OK', 10), [], HOUR, NOW)).toEqual(ago(10))
  })

  it('reads HistoryData, or the summary when HistoryData is not JSON', () => {
    const data = JSON.stringify({
      version: '1.0',
      oldState: { stateValue: 'ALARM' },
      newState: { stateValue: 'OK' }
    })
    expect(parseTransition(NOW, data, undefined)).toEqual({ at: NOW, from: 'ALARM', to: 'OK' })
    expect(parseTransition(NOW, 'x', 'Alarm updated from OK to ALARM')).toEqual({
      at: NOW,
      from: 'OK',
      to: 'ALARM'
    })
  })
})

describe('the verdict', () => {
  const reading = (
    state: AlarmStatus['state'],
    clearMinutesAgo: number | undefined,
    name = 'a'
  ): AlarmReading => ({
    ...alarm(state, clearMinutesAgo ?? 1),
    name,
    clearSince: clearMinutesAgo === undefined ? undefined : ago(clearMinutesAgo)
  })

  it('fires on any alarm in ALARM', () => {
    const v = evaluateGate([reading('OK', 500), reading('ALARM', undefined, 'b')], 0, NOW)
    expect(v.kind).toBe('fire')
    if (v.kind === 'fire') expect(v.firing.map((a) => a.name)).toEqual(['b'])
  })

  it('waits for the alarm that left ALARM last', () => {
    const v = evaluateGate([reading('OK', 30), reading('OK', 50, 'b')], HOUR, NOW)
    expect(v).toMatchObject({ kind: 'bake', until: new Date(NOW.getTime() + 30 * 60_000) })
  })

  it('passes without bake-time, and once baked', () => {
    expect(evaluateGate([reading('OK', 1)], 0, NOW).kind).toBe('pass')
    expect(evaluateGate([reading('INSUFFICIENT_DATA', 61)], HOUR, NOW).kind).toBe('pass')
  })
})
