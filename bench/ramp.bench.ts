/**
 * A whole ramp under an hourly schedule, on the emulator, through the built action (not part of
 * `npm test`). Run: `npm run bench:ramp`. Every run is `node dist/index.js` through the recording
 * proxy; between two runs an hour passes for the ramp (its recorded times move back an hour, see
 * __tests__/helpers/ramp-clock.ts). It prints how many runs `10,25,50,100` with `ramp-interval:
 * 1d` takes from all blue to all green, how many change something and how many are no-ops, the
 * AWS calls of a no-op run and of each step, and the wall time of both kinds of run.
 */
import { CloudFrontClient } from '@aws-sdk/client-cloudfront'
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  SetAlarmStateCommand
} from '@aws-sdk/client-cloudwatch'
import { runAction } from '../__tests__/helpers/action.js'
import { emulatorEndpoint } from '../__tests__/helpers/emulator.js'
import { passTime } from '../__tests__/helpers/ramp-clock.js'
import { startRecordingProxy } from '../__tests__/helpers/recording-proxy.js'
import { createSite } from '../__tests__/helpers/site.js'

const REGION = 'us-east-1'
const D = 'www.deep.mg'
const HOURS = Number(process.env.BENCH_HOURS ?? 80)

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}

const counted = (calls: string[]): string =>
  [...new Map(calls.map((c) => [c, calls.filter((x) => x === c).length])).entries()]
    .map(([c, n]) => (n === 1 ? c : `${c} ×${n}`))
    .join(', ')

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

test(`a 10,25,50,100 ramp every 1d under an hourly schedule (${HOURS} runs)`, async () => {
  const cf = new CloudFrontClient({ region: REGION })
  const cw = new CloudWatchClient({ region: REGION })
  await createSite(D, REGION)
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: 'www-5xx',
      Namespace: 'AWS/CloudFront',
      MetricName: '5xxErrorRate',
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 3,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold'
    })
  )
  await cw.send(
    new SetAlarmStateCommand({ AlarmName: 'www-5xx', StateValue: 'OK', StateReason: 'bench' })
  )
  const proxy = await startRecordingProxy(emulatorEndpoint())
  const runs: { changed: boolean; next: string; calls: string[]; ms: number }[] = []
  try {
    for (let h = 0; h < HOURS; h++) {
      if (h > 0) await passTime(cf, D, 1)
      const from = proxy.calls.length
      const start = performance.now()
      const res = await runAction(
        {
          blue: 'stage:abcd1234',
          green: 'prod:wxyz0987',
          'domain-name': D,
          ramp: '10,25,50,100',
          'ramp-interval': '1d',
          'rollback-alarms': 'www-5xx',
          'wait-timeout': '2m'
        },
        { AWS_ENDPOINT_URL: proxy.endpoint }
      )
      const ms = performance.now() - start
      if (res.code !== 0) throw new Error(`run ${h + 1} failed:\n${res.stdout}`)
      runs.push({
        changed: res.outputs.changed === 'true',
        next: res.outputs['ramp-next'] ?? '',
        calls: proxy.calls.slice(from).map((c) => c.action),
        ms
      })
    }
  } finally {
    await proxy.close()
  }
  const done = runs.findIndex((r) => r.next === '') + 1
  const toEnd = runs.slice(0, done)
  const changing = toEnd.filter((r) => r.changed)
  const noops = toEnd.filter((r) => !r.changed)
  out(
    `runs from all blue to all green: ${done} (hours ${runs.flatMap((r, h) => (r.changed ? [h] : [])).join(', ')} changed traffic)`
  )
  out(
    `  change something: ${changing.length}; no-ops: ${noops.length}; after the end: ${runs.length - done} more runs, ${runs.slice(done).filter((r) => r.changed).length} of them changing anything`
  )
  const shapes = new Set(noops.map((r) => r.calls.join(' ')))
  out(
    `AWS calls of a no-op run: ${noops[0]?.calls.length ?? 0} (${counted(noops[0]?.calls ?? [])}); distinct call lists among no-ops: ${shapes.size}`
  )
  for (const [i, r] of changing.entries()) {
    out(
      `AWS calls of step ${i + 1}: ${r.calls.length}, of which mutating ${r.calls.filter((c) => /:(Create|Update|Delete|Put|Tag|Publish|Attach|Change)/.test(c)).length}`
    )
  }
  out(
    `wall time (node dist/index.js, median): no-op ${Math.round(median(noops.map((r) => r.ms)))} ms, step ${Math.round(median(changing.map((r) => r.ms)))} ms`
  )
  expect(done).toBeGreaterThan(0)
})
