/**
 * A ramp through the built action (`node dist/index.js`, as the runner calls it) against the
 * emulator, with real CloudWatch alarms (moto, patched by scripts/moto/patches_cloudwatch.py),
 * every AWS call recorded by the recording proxy, and a local stand-in for the GitHub API. A day
 * passes the way the action sees it: the step's time in the router's `bluegreen:ramp*` tags
 * moves back (the action reads no clock of its own but the runner's).
 */
import {
  CloudFrontClient,
  GetDistributionConfigCommand,
  ListDistributionsCommand
} from '@aws-sdk/client-cloudfront'
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  type StateValue
} from '@aws-sdk/client-cloudwatch'
import { LambdaClient, ListVersionsByFunctionCommand } from '@aws-sdk/client-lambda'
import { ROLLOUT_TAGS } from '../../src/rollout/tags.js'
import { runAction, type ActionRun } from '../helpers/action.js'
import { emulatorEndpoint } from '../helpers/emulator.js'
import { type GitHubStandIn, startGitHubStandIn } from '../helpers/github-standin.js'
import { passTime, routerOf } from '../helpers/ramp-clock.js'
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js'
import { createSite } from '../helpers/site.js'

const hasEmulator = (process.env.AWS_ENDPOINT_URL ?? '').startsWith('http://127.0.0.1:')
const describeEmulator = hasEmulator ? describe : describe.skip

const REGION = 'us-east-1'
const D = 'www.deep.mg'
const HOUR = 3_600_000
const ALARM = 'site-5xx'
const SHA = '0123456789abcdef0123456789abcdef01234567'

/** The mutating calls publish and a ramp can make (anything else the proxy records is a read). */
const MUTATING = /:(Create|Update|Delete|Put|Tag|Untag|Publish|Attach|Change|Set)/

describeEmulator('a ramp through the built action, on the emulator', () => {
  const cf = new CloudFrontClient({ region: REGION })
  const cw = new CloudWatchClient({ region: REGION })
  const lambda = new LambdaClient({ region: REGION })
  let proxy: RecordingProxy
  let github: GitHubStandIn
  let runs = 0
  let blueId = ''
  let greenId = ''

  beforeAll(async () => {
    ;({ blueId, greenId } = await createSite(D, REGION))
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: ALARM,
        Namespace: 'AWS/CloudFront',
        MetricName: '5xxErrorRate',
        Dimensions: [{ Name: 'DistributionId', Value: blueId }],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 3,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold'
      })
    )
    await alarm('OK', 'Threshold Crossed: no datapoints were greater than the threshold')
    proxy = await startRecordingProxy(emulatorEndpoint())
    github = await startGitHubStandIn()
  })
  afterAll(async () => {
    await proxy.close()
    await github.close()
  })

  async function alarm(state: StateValue, reason = `set to ${state}`): Promise<void> {
    await cw.send(
      new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: state, StateReason: reason })
    )
  }

  const inputs = (extra: Record<string, string> = {}) => ({
    blue: 'stage:abcd1234',
    green: 'prod:wxyz0987',
    'domain-name': D,
    ramp: '10,25,50,100',
    'ramp-interval': '1d',
    'rollback-alarms': ALARM,
    'update-green-alias': 'true',
    'github-token': 'ghs_emulator',
    'wait-timeout': '2m',
    ...extra
  })

  /** One workflow run of the ramp, through the proxy; its AWS calls are in `calls`. */
  async function ramp(
    extra: Record<string, string> = {},
    signal?: AbortSignal
  ): Promise<ActionRun & { calls: string[] }> {
    runs += 1
    const from = proxy.calls.length
    const res = await runAction(
      inputs(extra),
      {
        AWS_ENDPOINT_URL: proxy.endpoint,
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: 'deep/site',
        GITHUB_SHA: SHA,
        GITHUB_ACTOR: 'octocat',
        GITHUB_RUN_ID: String(5000 + runs),
        GITHUB_SERVER_URL: 'https://github.com'
      },
      signal
    )
    return { ...res, calls: proxy.calls.slice(from).map((c) => c.action) }
  }

  const router = () => routerOf(cf, D)
  const pass = (hours: number) => passTime(cf, D, hours)

  /** The ratio the router's edge version carries (its description), or who holds D. */
  async function configured(): Promise<string> {
    const r = await router()
    const config = await cf.send(new GetDistributionConfigCommand({ Id: r.id }))
    const arn =
      config.DistributionConfig?.DefaultCacheBehavior?.LambdaFunctionAssociations?.Items?.[0]
        ?.LambdaFunctionARN
    const holds = (config.DistributionConfig?.Aliases?.Items ?? []).includes(D)
    if (arn !== undefined && holds) {
      const versions = await lambda.send(
        new ListVersionsByFunctionCommand({ FunctionName: 'bluegreen-router-www-deep-mg' })
      )
      const v = versions.Versions?.find((x) => x.FunctionArn === arn)
      return /bluegreen-router (\d+:\d+)/.exec(v?.Description ?? '')?.[1] ?? `unknown ${arn}`
    }
    const list = await cf.send(new ListDistributionsCommand({}))
    const holder = list.DistributionList?.Items?.find((d) => d.Aliases?.Items?.includes(D))?.Id
    return holder === blueId ? '1:0' : holder === greenId ? '0:1' : `D on ${holder ?? 'nothing'}`
  }

  const failed = (res: ActionRun): string => (res.code === 0 ? '' : res.stdout.slice(-3000))

  test('the first run starts the ramp at 10 % and records a GitHub deployment of the commit', async () => {
    const res = await ramp()
    expect(failed(res)).toBe('')
    expect(res.outputs).toMatchObject({
      ratio: '9:1',
      state: 'split',
      changed: 'true',
      'ramp-step': '1',
      'ramp-next': '25'
    })
    expect(Date.parse(res.outputs['ramp-due-at'] ?? '') - Date.now()).toBeGreaterThan(23 * HOUR)
    const r = await router()
    expect(r.tags).toMatchObject({
      [ROLLOUT_TAGS.ramp]: '10 25 50 100',
      [ROLLOUT_TAGS.step]: '1',
      [ROLLOUT_TAGS.actor]: 'octocat',
      [ROLLOUT_TAGS.run]: `https://github.com/deep/site/actions/runs/${5000 + runs}`,
      [ROLLOUT_TAGS.deployment]: String(github.lastId()),
      'bluegreen:actor': 'octocat',
      'bluegreen:weights': '9:1'
    })
    expect(await configured()).toBe('9:1')
    const [create, ...statuses] = github.requests
    expect(create).toMatchObject({
      method: 'POST',
      path: '/repos/deep/site/deployments',
      authorization: 'token ghs_emulator',
      body: { ref: SHA, environment: 'production', auto_merge: false, required_contexts: [] }
    })
    expect(
      statuses.map((s) => [s.path, s.body.state, s.body.environment_url, s.body.log_url])
    ).toEqual([
      [
        `/repos/deep/site/deployments/${github.lastId()}/statuses`,
        'in_progress',
        `https://${D}`,
        r.tags[ROLLOUT_TAGS.run]
      ],
      [
        `/repos/deep/site/deployments/${github.lastId()}/statuses`,
        'in_progress',
        `https://${D}`,
        r.tags[ROLLOUT_TAGS.run]
      ]
    ])
    expect(res.summary).toContain('### Rollout')
    expect(res.summary).toContain(`by octocat`)
  })

  test('a run before the interval changes nothing, says when the next step is due, and only reads the distributions, three tags and the alarm', async () => {
    github.reset()
    const res = await ramp()
    expect(failed(res)).toBe('')
    expect(res.outputs).toMatchObject({
      changed: 'false',
      'ramp-step': '1',
      'ramp-next': '25',
      ratio: '9:1'
    })
    expect(res.calls).toEqual([
      'cloudfront:ListDistributions',
      'cloudfront:ListTagsForResource',
      'cloudfront:ListTagsForResource',
      'cloudfront:ListTagsForResource',
      'cloudwatch:DescribeAlarms'
    ])
    expect(github.requests).toEqual([])
    expect(res.summary).toContain('ramp-interval has not passed')
  })

  test('a day later (the step moved back a day in the tags) the next run takes the next step', async () => {
    await pass(24)
    const res = await ramp()
    expect(failed(res)).toBe('')
    expect(res.outputs).toMatchObject({
      ratio: '3:1',
      changed: 'true',
      'ramp-step': '2',
      'ramp-next': '50'
    })
    expect(await configured()).toBe('3:1')
    expect(github.requests.filter((r) => r.path.endsWith('/deployments'))).toEqual([])
  })

  test('a token that may not write deployments stops the step before any AWS change', async () => {
    await pass(24)
    github.answer = () => [403, { message: 'Resource not accessible by integration' }]
    const res = await ramp()
    github.reset()
    expect(res.code).not.toBe(0)
    expect(res.stdout).toContain('give the job permissions: deployments: write')
    expect(res.stdout).toContain('The ramp did not move; nothing was changed.')
    expect(res.calls.filter((c) => MUTATING.test(c))).toEqual([])
    expect(await configured()).toBe('3:1')
  })

  test('an alarm that does not exist fails the run before any change', async () => {
    await pass(24)
    const res = await ramp({ 'rollback-alarms': `${ALARM}\nsite-latency` })
    expect(res.code).not.toBe(0)
    expect(res.stdout).toContain("no CloudWatch alarm is named 'site-latency' in us-east-1")
    expect(res.calls.filter((c) => MUTATING.test(c))).toEqual([])
    expect(res.outputs.changed).toBe('false')
    expect(await configured()).toBe('3:1')
  })

  test('two runs at once (cron and a manual dispatch) take the step once and leave the tags true', async () => {
    const [a, b] = await Promise.all([ramp(), ramp()])
    const codes = [a, b].map((r) => r.code)
    expect(codes).toContain(0)
    const r = await router()
    expect(r.tags[ROLLOUT_TAGS.step]).toBe('3')
    expect(r.tags['bluegreen:weights']).toBe('1:1')
    expect(await configured()).toBe('1:1')
    const next = await ramp()
    expect(failed(next)).toBe('')
    expect(next.outputs).toMatchObject({ changed: 'false', 'ramp-step': '3' })
  })

  test('an alarm in ALARM rolls back to all blue, fails the job naming the alarm and its reason, and marks the deployment inactive', async () => {
    github.reset()
    await alarm('ALARM', 'Threshold Crossed: 3 datapoints [7.2, 6.1, 9.0] were greater than 5')
    const res = await ramp()
    expect(res.code).not.toBe(0)
    expect(res.outputs).toMatchObject({
      ratio: '1:0',
      state: 'all-blue',
      changed: 'true',
      'ramp-next': ''
    })
    expect(await configured()).toBe('1:0')
    expect(res.stdout).toContain(`::error::`)
    expect(res.stdout).toContain(`alarm ${ALARM} (${REGION}) is in ALARM since`)
    expect(res.summary).toContain(
      'Threshold Crossed: 3 datapoints [7.2, 6.1, 9.0] were greater than 5'
    )
    expect(res.summary).toContain('All traffic is on blue (1:0) now.')
    expect((await router()).tags[ROLLOUT_TAGS.mark]).toBe('rolled-back')
    expect(github.states()).toEqual(['inactive'])
    expect(github.requests[0]?.body.description).toBe(
      `Rolled back to all blue: alarm ${ALARM} in ALARM`
    )
  })

  test('once the alarm is OK again, the rolled-back ramp is left alone', async () => {
    await alarm('OK')
    await pass(48)
    const res = await ramp()
    expect(failed(res)).toBe('')
    expect(res.outputs).toMatchObject({ changed: 'false', ratio: '1:0', 'ramp-next': '' })
    expect(res.calls.filter((c) => MUTATING.test(c))).toEqual([])
    expect(res.summary).toContain('was rolled back to all blue')
  })

  test('a dry run with ramp-restart says where the ramp would start; the restart starts it, in a new deployment', async () => {
    github.reset()
    const dry = await ramp({ 'ramp-restart': 'true', 'dry-run': 'true' })
    expect(failed(dry)).toBe('')
    expect(dry.outputs).toMatchObject({
      changed: 'false',
      ratio: '9:1',
      'ramp-step': '1',
      'ramp-next': '25'
    })
    expect(dry.calls.filter((c) => MUTATING.test(c))).toEqual([])
    expect(github.requests).toEqual([])
    const res = await ramp({ 'ramp-restart': 'true' })
    expect(failed(res)).toBe('')
    expect(res.outputs).toMatchObject({ ratio: '9:1', changed: 'true', 'ramp-step': '1' })
    expect(await configured()).toBe('9:1')
    expect(github.requests.filter((r) => r.path.endsWith('/deployments'))).toHaveLength(1)
    expect((await router()).tags[ROLLOUT_TAGS.deployment]).toBe(String(github.lastId()))
  })

  test('a run killed in the middle of a step (its router change made, the answer not heard) is finished by the next run', async () => {
    await pass(24)
    const abort = new AbortController()
    const held = proxy.holdNext('cloudfront:UpdateDistribution')
    const run = ramp({}, abort.signal)
    await held
    abort.abort()
    const killed = await run
    proxy.release()
    expect(killed.code).not.toBe(0)
    expect(killed.calls.filter((c) => MUTATING.test(c))).toEqual(['cloudfront:UpdateDistribution'])
    expect((await router()).tags[ROLLOUT_TAGS.step]).toBe('1') // the step is not recorded
    expect(await configured()).toBe('3:1') // but the router already runs it
    const next = await ramp()
    expect(failed(next)).toBe('')
    expect(next.outputs).toMatchObject({ ratio: '3:1', 'ramp-step': '2' })
    expect(next.calls.filter((c) => MUTATING.test(c))).toEqual(['cloudfront:TagResource'])
    const after = await ramp()
    expect(after.outputs.changed).toBe('false')
  })

  test('on-alarm hold keeps the traffic and fails the job; the ramp resumes once the alarm is OK', async () => {
    github.reset()
    await alarm('ALARM', 'Threshold Crossed: latency')
    const held = await ramp({ 'on-alarm': 'hold' })
    expect(held.code).not.toBe(0)
    expect(held.summary).toContain('held at step 2 of 4 (25 % green) (on-alarm: hold)')
    expect(held.calls.filter((c) => MUTATING.test(c))).toEqual(['cloudfront:TagResource'])
    expect((await router()).tags[ROLLOUT_TAGS.mark]).toBe('held')
    expect(await configured()).toBe('3:1')
    expect(github.states()).toEqual(['failure'])
    const again = await ramp({ 'on-alarm': 'hold' })
    expect(again.code).not.toBe(0)
    expect(again.calls.filter((c) => MUTATING.test(c))).toEqual([])
    expect(github.states()).toEqual(['failure'])
    await alarm('OK')
    await pass(24)
    const resumed = await ramp({ 'on-alarm': 'hold' })
    expect(failed(resumed)).toBe('')
    expect(resumed.outputs).toMatchObject({ ratio: '1:1', 'ramp-step': '3' })
    expect((await router()).tags[ROLLOUT_TAGS.mark]).toBe('')
  })

  test('the last step completes the ramp (success), and a completed ramp is left alone even in ALARM', async () => {
    github.reset()
    await pass(24)
    const last = await ramp()
    expect(failed(last)).toBe('')
    expect(last.outputs).toMatchObject({
      ratio: '0:1',
      state: 'all-green',
      'ramp-step': '4',
      'ramp-next': ''
    })
    expect(await configured()).toBe('0:1')
    expect(github.states()).toEqual(['in_progress', 'success'])
    await alarm('ALARM', 'Threshold Crossed')
    await pass(48)
    const after = await ramp()
    expect(failed(after)).toBe('')
    expect(after.outputs).toMatchObject({ changed: 'false', ratio: '0:1', 'ramp-next': '' })
    expect(after.calls.filter((c) => MUTATING.test(c))).toEqual([])
    expect(after.summary).toContain('is complete')
  })
})
