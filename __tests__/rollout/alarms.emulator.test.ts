/**
 * The rollout gate's CloudWatch reads against the emulator (moto with
 * scripts/moto/patches_cloudwatch.py), and the patches' self-tests: DescribeAlarms honours
 * AlarmTypes (metric alarms only when omitted), pages, refuses more than 100 AlarmNames and
 * returns StateTransitionedTimestamp; DescribeAlarmHistory and PutCompositeAlarm exist; a new
 * alarm starts in INSUFFICIENT_DATA. A ramp then runs on a simulated clock with real alarms.
 */
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  type StateValue
} from '@aws-sdk/client-cloudwatch'
import {
  alarmHistory,
  alarmTransitions,
  describeAlarmsByName,
  readAlarms
} from '../../src/aws/cloudwatch-alarms.js'
import { readAlarmReadings } from '../../src/rollout/gate.js'
import { decideRamp } from '../../src/rollout/decide.js'
import { evaluateGate, missingAlarmsMessage } from '../../src/rollout/gate.js'
import { decodeRolloutTags, encodeRolloutTags } from '../../src/rollout/tags.js'
import type { AlarmSpec, GatePolicy, RampDecision } from '../../src/rollout/types.js'
import type { Weights } from '../../src/inputs.js'

const hasEmulator = (process.env.AWS_ENDPOINT_URL ?? '').startsWith('http://127.0.0.1:')
const describeEmulator = hasEmulator ? describe : describe.skip
const REGION = 'us-east-1'
const HOUR = 3_600_000

const cw = new CloudWatchClient({ region: REGION })
const calls: string[] = []
cw.middlewareStack.add(
  (next, context) => (args) => {
    calls.push(context.commandName ?? '?')
    return next(args)
  },
  { step: 'initialize', name: 'countCalls' }
)
const cloudwatchFor = (region: string): CloudWatchClient => {
  if (region !== REGION) throw new Error(`unexpected region ${region}`)
  return cw
}

async function metricAlarm(name: string): Promise<void> {
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/CloudFront',
      MetricName: '5xxErrorRate',
      Dimensions: [{ Name: 'DistributionId', Value: 'EROUTER' }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold'
    })
  )
}

const setState = (name: string, state: StateValue, reason = `set to ${state}`) =>
  cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: reason }))

describeEmulator('the emulator answers CloudWatch alarm calls as AWS does', () => {
  beforeAll(async () => {
    await metricAlarm('self-test-metric')
    await cw.send(
      new PutCompositeAlarmCommand({
        AlarmName: 'self-test-composite',
        AlarmRule: 'ALARM("self-test-metric")'
      })
    )
  })

  test('a new alarm starts in INSUFFICIENT_DATA', async () => {
    const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['self-test-metric'] }))
    expect(out.MetricAlarms?.[0]?.StateValue).toBe('INSUFFICIENT_DATA')
  })

  test('without AlarmTypes only metric alarms are returned; with both, composite ones too', async () => {
    const names = ['self-test-metric', 'self-test-composite']
    const plain = await cw.send(new DescribeAlarmsCommand({ AlarmNames: names }))
    expect(plain.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['self-test-metric'])
    expect(plain.CompositeAlarms ?? []).toEqual([])
    const both = await cw.send(
      new DescribeAlarmsCommand({
        AlarmNames: names,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm']
      })
    )
    expect(both.CompositeAlarms?.map((a) => a.AlarmName)).toEqual(['self-test-composite'])
  })

  test('pages by MaxRecords with NextToken', async () => {
    const page = await cw.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: 'self-test-',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 1
      })
    )
    expect((page.MetricAlarms?.length ?? 0) + (page.CompositeAlarms?.length ?? 0)).toBe(1)
    expect(page.NextToken).toBeDefined()
  })

  test('more than 100 AlarmNames is a validation error', async () => {
    const names = Array.from({ length: 101 }, (_, i) => `n${i}`)
    const error: unknown = await cw
      .send(new DescribeAlarmsCommand({ AlarmNames: names }))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).name).toMatch(/^Validation/)
    expect((error as Error).message).toContain('less than or equal to 100')
  })

  test('StateTransitionedTimestamp moves only when the state value changes; history records each change', async () => {
    await setState('self-test-metric', 'OK')
    const first = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['self-test-metric'] })))
      .MetricAlarms?.[0]
    await new Promise((r) => setTimeout(r, 20))
    await setState('self-test-metric', 'OK', 'still OK')
    const second = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['self-test-metric'] })))
      .MetricAlarms?.[0]
    expect(second?.StateTransitionedTimestamp).toEqual(first?.StateTransitionedTimestamp)
    expect(second?.StateUpdatedTimestamp?.getTime()).toBeGreaterThan(
      first?.StateUpdatedTimestamp?.getTime() ?? Infinity
    )
    await setState('self-test-metric', 'ALARM')
    const history = await cw.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: 'self-test-metric',
        HistoryItemType: 'StateUpdate'
      })
    )
    expect(history.AlarmHistoryItems?.map((i) => i.HistorySummary)).toEqual([
      'Alarm updated from OK to ALARM',
      'Alarm updated from INSUFFICIENT_DATA to OK'
    ])
  })
})

describeEmulator('reading the alarms that gate a rollout', () => {
  beforeAll(async () => {
    for (let i = 0; i < 120; i++) await metricAlarm(`fleet-${String(i).padStart(3, '0')}`)
    await metricAlarm('www-5xx')
    await cw.send(
      new PutCompositeAlarmCommand({ AlarmName: 'www-health', AlarmRule: 'ALARM("www-5xx")' })
    )
  })
  afterAll(async () => {
    const names = Array.from({ length: 120 }, (_, i) => `fleet-${String(i).padStart(3, '0')}`)
    for (let i = 0; i < names.length; i += 100)
      await cw.send(new DeleteAlarmsCommand({ AlarmNames: names.slice(i, i + 100) }))
  })

  test('by name, more than 100 names (asked 100 at a time), metric and composite alarms', async () => {
    const names = [
      ...Array.from({ length: 120 }, (_, i) => `fleet-${String(i).padStart(3, '0')}`),
      'www-health'
    ]
    calls.length = 0
    const found = await describeAlarmsByName(cw, REGION, names)
    expect(found).toHaveLength(121)
    expect(found.find((a) => a.name === 'www-health')).toMatchObject({
      type: 'composite',
      state: 'INSUFFICIENT_DATA'
    })
    expect(calls.filter((c) => c === 'DescribeAlarmsCommand')).toHaveLength(2)
  })

  test('by prefix across pages', async () => {
    const { alarms, missing } = await readAlarms(cloudwatchFor, REGION, [
      { kind: 'prefix', prefix: 'fleet-', region: undefined }
    ])
    expect(alarms).toHaveLength(120)
    expect(missing).toEqual([])
  })

  test('a named alarm that does not exist, and a prefix that matches nothing, are reported missing', async () => {
    const specs: AlarmSpec[] = [
      { kind: 'name', name: 'www-5xx', region: undefined },
      { kind: 'name', name: 'www-5XX', region: undefined },
      { kind: 'prefix', prefix: 'nothing-', region: undefined }
    ]
    const { alarms, missing } = await readAlarms(cloudwatchFor, REGION, specs)
    expect(alarms.map((a) => a.name)).toEqual(['www-5xx'])
    expect(missing).toEqual(specs.slice(1))
    expect(missingAlarmsMessage(missing, REGION)).toContain(
      "no CloudWatch alarm is named 'www-5XX' in us-east-1"
    )
  })

  test('state, reason and the time of the last change', async () => {
    const before = Date.now()
    await setState('www-5xx', 'ALARM', 'Threshold Crossed: 1 datapoint [7.2] > 1')
    const { alarms } = await readAlarms(cloudwatchFor, REGION, [
      { kind: 'name', name: 'www-5xx', region: undefined }
    ])
    expect(alarms[0]).toMatchObject({
      state: 'ALARM',
      reason: 'Threshold Crossed: 1 datapoint [7.2] > 1',
      type: 'metric'
    })
    const [alarm] = alarms
    if (alarm === undefined) throw new Error('www-5xx not read')
    expect(alarm.since.getTime()).toBeGreaterThanOrEqual(before - 1000)
    const history = await alarmTransitions(
      cw,
      alarm,
      new Date(before - HOUR),
      new Date(Date.now() + 1000)
    )
    expect(history[0]).toMatchObject({ from: 'INSUFFICIENT_DATA', to: 'ALARM' })
  })
})

describeEmulator('a ramp on a simulated clock with real alarms', () => {
  const RAMP = { steps: [10, 25, 50, 100], intervalMs: 24 * HOUR }
  const spec: AlarmSpec[] = [{ kind: 'name', name: 'ramp-5xx', region: undefined }]
  let tags: Record<string, string> = {}
  let weights: Weights = { blue: 1, green: 0 }
  let start = 0

  beforeAll(async () => {
    await metricAlarm('ramp-5xx')
    await setState('ramp-5xx', 'OK')
    start = Date.now()
  })

  /** One scheduled run at `hours` on the simulated clock (the emulator's clock is real time). */
  async function run(
    hours: number,
    policy: GatePolicy = { onAlarm: 'rollback', bakeTimeMs: 0 }
  ): Promise<RampDecision> {
    const now = new Date(start + hours * HOUR)
    calls.length = 0
    const { alarms, missing } = await readAlarms(cloudwatchFor, REGION, spec)
    expect(missing).toEqual([])
    const { readings } = await readAlarmReadings(
      alarmHistory(cloudwatchFor),
      alarms,
      policy.bakeTimeMs,
      now
    )
    const stored = decodeRolloutTags(tags)
    const decision = decideRamp({
      ramp: RAMP,
      restart: false,
      pair: { blue: 'EBLUE', green: 'EGREEN' },
      current: weights,
      stored,
      gate: evaluateGate(readings, policy.bakeTimeMs, now),
      policy,
      now,
      run: { url: undefined, actor: undefined }
    })
    if (decision.kind === 'step' || decision.kind === 'rollback') weights = decision.weights
    if ('record' in decision && decision.record !== undefined)
      tags = { ...tags, ...encodeRolloutTags(decision.record) }
    return decision
  }

  test('advances a day apart, reads the alarm once per run, rolls back on ALARM and stays rolled back', async () => {
    expect((await run(0)).kind).toBe('step')
    expect(calls).toEqual(['DescribeAlarmsCommand'])
    expect((await run(5)).kind).toBe('wait')
    expect(calls).toEqual(['DescribeAlarmsCommand']) // a no-op run: one read
    expect(await run(24)).toMatchObject({ kind: 'step', weights: { blue: 3, green: 1 } })
    await setState('ramp-5xx', 'ALARM', 'Threshold Crossed')
    const rolled = await run(25)
    expect(rolled).toMatchObject({ kind: 'rollback', weights: { blue: 1, green: 0 }, fails: true })
    expect(rolled.summary).toContain('alarm ramp-5xx (us-east-1) is in ALARM')
    await setState('ramp-5xx', 'OK')
    expect(await run(72)).toMatchObject({ kind: 'finished', outcome: 'rolled-back' })
    expect(weights).toEqual({ blue: 1, green: 0 })
  })

  test('bake-time reads the history of an alarm that changed inside the window', async () => {
    tags = {}
    weights = { blue: 1, green: 0 }
    await setState('ramp-5xx', 'ALARM')
    await setState('ramp-5xx', 'OK')
    start = Date.now()
    const policy = { onAlarm: 'rollback' as const, bakeTimeMs: HOUR }
    const early = await run(0.5, policy)
    expect(early).toMatchObject({ kind: 'wait', waitingFor: 'bake' })
    expect(calls).toEqual(['DescribeAlarmsCommand', 'DescribeAlarmHistoryCommand'])
    expect(await run(1.01, policy)).toMatchObject({ kind: 'step', reason: 'start' })
    expect(calls).toEqual(['DescribeAlarmsCommand']) // the last change is older than bake-time
  })
})
