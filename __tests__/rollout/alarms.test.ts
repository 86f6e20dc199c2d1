/**
 * CloudWatch error paths the emulator cannot produce (aws-sdk-client-mock): without
 * cloudwatch:DescribeAlarmHistory, bake-time counts from the last state change instead (a step
 * can only wait longer); any other error is not swallowed. The calls carry both AlarmTypes.
 */
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand
} from '@aws-sdk/client-cloudwatch'
import { mockClient } from 'aws-sdk-client-mock'
import { alarmHistory, readAlarms } from '../../src/aws/cloudwatch-alarms.js'
import { readAlarmReadings } from '../../src/rollout/gate.js'
import type { AlarmStatus } from '../../src/rollout/types.js'

const cwMock = mockClient(CloudWatchClient)
const cw = new CloudWatchClient({ region: 'us-east-1' })
const NOW = new Date('2026-05-02T09:00:00.000Z')
const recent: AlarmStatus = {
  name: 'www-5xx',
  type: 'metric',
  region: 'us-east-1',
  state: 'OK',
  reason: 'back to normal',
  since: new Date(NOW.getTime() - 10 * 60_000)
}

beforeEach(() => cwMock.reset())

test('asks for metric and composite alarms, and reads StateTransitionedTimestamp first', async () => {
  const transitioned = new Date('2026-05-01T08:00:00.000Z')
  cwMock.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      {
        AlarmName: 'www-5xx',
        StateValue: 'OK',
        StateReason: 'r',
        StateTransitionedTimestamp: transitioned,
        StateUpdatedTimestamp: new Date('2026-05-01T09:00:00.000Z')
      }
    ],
    CompositeAlarms: [
      { AlarmName: 'www-any', StateValue: 'ALARM', StateUpdatedTimestamp: transitioned }
    ]
  })
  const { alarms } = await readAlarms(() => cw, 'us-east-1', [
    { kind: 'name', name: 'www-5xx', region: undefined },
    { kind: 'name', name: 'www-any', region: undefined }
  ])
  expect(cwMock.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({
    AlarmNames: ['www-5xx', 'www-any'],
    AlarmTypes: ['MetricAlarm', 'CompositeAlarm']
  })
  expect(alarms.map((a) => [a.name, a.type, a.since])).toEqual([
    ['www-5xx', 'metric', transitioned],
    ['www-any', 'composite', transitioned]
  ])
})

test('reads alarms in the region of their ARN with that region client', async () => {
  cwMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] })
  const regions: string[] = []
  await readAlarms(
    (region) => {
      regions.push(region)
      return cw
    },
    'eu-west-1',
    [
      { kind: 'name', name: 'api', region: undefined },
      { kind: 'name', name: 'cf-5xx', region: 'us-east-1' }
    ]
  )
  expect(regions).toEqual(['eu-west-1', 'us-east-1'])
})

test('without DescribeAlarmHistory permission, bake-time counts from the last state change', async () => {
  cwMock
    .on(DescribeAlarmHistoryCommand)
    .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }))
  const { readings, historyDenied } = await readAlarmReadings(
    alarmHistory(() => cw),
    [recent, recent],
    3_600_000,
    NOW
  )
  expect(historyDenied).toBe(true)
  expect(readings.map((r) => r.clearSince)).toEqual([recent.since, recent.since])
  expect(cwMock.commandCalls(DescribeAlarmHistoryCommand)).toHaveLength(1) // not asked again
})

test('other history errors are not swallowed', async () => {
  cwMock
    .on(DescribeAlarmHistoryCommand)
    .rejects(Object.assign(new Error('boom'), { name: 'InternalServiceFault' }))
  await expect(
    readAlarmReadings(
      alarmHistory(() => cw),
      [recent],
      3_600_000,
      NOW
    )
  ).rejects.toThrow('boom')
})
