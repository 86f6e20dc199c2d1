/**
 * Ramps on the in-memory model, through the real ramp run (src/publish/ramp.ts) and the real
 * publish under it, on the model's clock: an hourly cron drives a whole rollout, alarms roll it
 * back or hold it, a missing alarm stops a run before any change, a finished ramp is left alone,
 * a publish outside the ramp stops it, runs killed at any mutating call are finished by the next,
 * two overlapping runs end consistent, a dry run says what would happen. The invariant of
 * publish (every hostname served, D by an old or new environment) is checked after every
 * mutating call of every run.
 */
import { unzipSync } from 'fflate'
import { describeError } from '../../src/errors.js'
import { ROLLOUT_TAGS } from '../../src/rollout/tags.js'
import { type GitHubStandIn, startGitHubStandIn } from '../helpers/github-standin.js'
import { AlarmBoard } from './model/alarms.js'
import type { FaultKind } from './model/faults.js'
import {
  describeRun,
  GITHUB_RUN,
  installMocks,
  type Mocks,
  runPublish,
  runPublishInterleaved,
  type RunResult
} from './model/harness.js'
import { edgeFunctionOf } from './model/model.js'
import { servedBy, specBefore, type InvariantSpec } from './model/serving.js'
import { deepWorld, HOSTS, PROD, ref, STAGE, summarise, type World } from './model/world.js'

const HOUR = 3_600_000
const KILLS: FaultKind[] = ['lost-response', 'server', 'conflict']
const DAY = 24 * HOUR
const ALARM = 'www-5xx'

let world: World
let alarms: AlarmBoard
let mocks: Mocks
let github: GitHubStandIn
/** The model's clock when each test begins. */
let t0 = 0

beforeAll(async () => {
  mocks = installMocks(
    () => world.model,
    () => alarms
  )
  github = await startGitHubStandIn()
})
afterAll(async () => {
  mocks.restore()
  await github.close()
})
beforeEach(() => {
  world = deepWorld()
  alarms = new AlarmBoard(() => world.model.state.clock)
  alarms.put(ALARM)
  alarms.set(ALARM, 'OK', 'Threshold Crossed: 0 datapoints were greater than the threshold')
  t0 = world.model.state.clock
  github.reset()
})

const RAMP = {
  blue: ref(STAGE),
  green: ref(PROD),
  'domain-name': HOSTS.domain,
  ramp: '10,25,50,100',
  'ramp-interval': '1d',
  'rollback-alarms': ALARM,
  // A rollback leaves green without G2; a later restart (or a run overlapping a manual 1:0)
  // gives it back, as the cron-ramp example allows.
  'update-green-alias': 'true'
}

/** D may be served by blue, the router or green during a ramp (never by anything else). */
function rampSpec(): InvariantSpec {
  const spec = specBefore(world.model, HOSTS, 'router', {
    blueEnv: STAGE.name,
    greenEnv: PROD.name
  })
  return { ...spec, allowedForDomain: new Set(['router', STAGE.name, PROD.name]) }
}

/** Moves the model's clock to `ms` after the test began (never backwards: runs take time). */
function clockAt(ms: number): void {
  const target = t0 + ms
  if (world.model.state.clock < target) world.model.state.clock = target
}

/** One ramp run at `ms` after the test began. */
async function ramp(
  ms: number,
  extra: Record<string, string> = {},
  options: { faults?: [number, FaultKind][] } = {}
): Promise<RunResult & { commands: string[] }> {
  clockAt(ms)
  const result = await runPublish(
    world.model,
    mocks,
    { ...RAMP, ...extra },
    {
      spec: rampSpec(),
      runUrl: `https://github.com/deep/site/actions/runs/${String(ms)}`,
      ...(options.faults === undefined ? {} : { faults: options.faults })
    }
  )
  return { ...result, commands: mocks.commands() }
}

function routerTags(): Record<string, string> {
  const router = [...world.model.state.distributions.values()].find((d) =>
    d.tags.some((t) => t.Key === 'bluegreen:domain')
  )
  return Object.fromEntries((router?.tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
}

/** The traffic actually configured: the router's edge config, or who serves D. */
function trafficNow(): string {
  const saved = world.model.snapshot()
  world.model.deployAll()
  try {
    const d = [...servedBy(world.model, HOSTS.domain)]
    if (d.length !== 1) return `D served by ${d.join(' | ')}`
    if (d[0] === STAGE.name) return '1:0'
    if (d[0] === PROD.name) return '0:1'
    for (const dist of world.model.state.distributions.values()) {
      const arn = edgeFunctionOf(dist.config)
      const code = arn === undefined ? undefined : world.model.functionCode(arn)
      const file = code === undefined ? undefined : unzipSync(code)['config.json']
      if (file === undefined) continue
      const config = JSON.parse(new TextDecoder().decode(file)) as {
        weights: { blue: number; green: number }
      }
      return `${config.weights.blue}:${config.weights.green}`
    }
    return 'router without an edge config'
  } finally {
    world.model.restore(saved)
  }
}

const GREEN_OF: Record<string, string> = { '1:0': '0', '9:1': '10', '3:1': '25', '1:1': '50' }

/**
 * The router's tags tell the truth: the weights tag is the traffic configured, and a ramp
 * without a stop mark is at the step of that traffic.
 */
function consistency(): string[] {
  const tags = routerTags()
  const traffic = trafficNow()
  const problems: string[] = []
  if (tags['bluegreen:weights'] !== traffic) {
    problems.push(`tags say ${tags['bluegreen:weights'] ?? '(none)'}, traffic is ${traffic}`)
  }
  const steps = (tags[ROLLOUT_TAGS.ramp] ?? '').split(' ')
  const step = steps[Number(tags[ROLLOUT_TAGS.step] ?? '0') - 1]
  const green = traffic === '0:1' ? '100' : GREEN_OF[traffic]
  if ((tags[ROLLOUT_TAGS.mark] ?? '') === '' && step !== green) {
    problems.push(`the ramp records step ${step ?? '?'} % but traffic is ${traffic}`)
  }
  return problems
}

const ok = (r: RunResult): void => {
  if (r.error !== undefined || r.violations.length > 0 || r.unimplemented.length > 0) {
    throw new Error(describeRun(r))
  }
}

describe('an hourly cron drives a ramp', () => {
  test('10,25,50,100 every 1d: 73 runs from all blue to all green, 4 change traffic, 69 change nothing and only read the router, its tags and the alarms', async () => {
    const runs: (RunResult & { commands: string[] })[] = []
    for (let h = 0; h < 96; h++) {
      const r = await ramp(h * HOUR)
      ok(r)
      expect(consistency()).toEqual([])
      runs.push(r)
    }
    const changing = runs.flatMap((r, h) => (r.calls.length > 0 ? [h] : []))
    expect(changing).toEqual([0, 24, 48, 72])
    const last = runs.findIndex((r) => r.report.outputs['ramp-next'] === '')
    expect(last + 1).toBe(73)
    expect(runs.slice(0, 73).filter((r) => r.calls.length === 0)).toHaveLength(69)
    expect(runs.slice(73).every((r) => r.calls.length === 0)).toBe(true)
    expect(trafficNow()).toBe('0:1')
    expect(
      runs.map((r) => r.report.outputs['ramp-step']).filter((s, i, a) => s !== a[i - 1])
    ).toEqual(['1', '2', '3', '4'])

    // A run that only waits: the distributions' list (the model pages it by 2), the tags of the
    // router, blue and green (env:hash is checked against the ids the router records), and one
    // DescribeAlarms. No configs, certificates, functions or DNS.
    const noop = runs[5]
    expect(noop?.report.outputs).toMatchObject({
      'ramp-step': '1',
      'ramp-next': '25',
      'ramp-due-at': new Date(t0 + DAY).toISOString(),
      ratio: '9:1',
      state: 'split'
    })
    expect(noop?.report.changed).toBe(false)
    const distributions = world.model.state.distributions.size
    expect([...(noop?.commands ?? [])].sort()).toEqual(
      [
        ...Array<string>(Math.ceil(distributions / world.model.settings.pageSize)).fill(
          'ListDistributionsCommand'
        ),
        'ListTagsForResourceCommand',
        'ListTagsForResourceCommand',
        'ListTagsForResourceCommand',
        'DescribeAlarmsCommand'
      ].sort()
    )
  })
})

/** Runs the ramp hourly from `fromH` to `toH` (exclusive); every run must succeed. */
async function cron(fromH: number, toH: number, extra: Record<string, string> = {}) {
  const out: (RunResult & { commands: string[] })[] = []
  for (let h = fromH; h < toH; h++) {
    const r = await ramp(h * HOUR, extra)
    ok(r)
    out.push(r)
  }
  return out
}

describe('the alarm gate', () => {
  test('an alarm that does not exist stops the run before any change, naming it', async () => {
    const first = await ramp(0, { 'rollback-alarms': `${ALARM}, www-latency` })
    expect(first.calls).toEqual([])
    expect(describeError(first.error)).toContain(
      "rollback-alarms: no CloudWatch alarm is named 'www-latency' in eu-west-1"
    )
    // And on a run of a ramp under way, before the step that is due.
    ok(await ramp(HOUR))
    const due = await ramp(DAY + HOUR, { 'rollback-alarms': 'www-prod-*' })
    expect(due.calls).toEqual([])
    expect(describeError(due.error)).toContain("no CloudWatch alarm name starts with 'www-prod-'")
    expect(trafficNow()).toBe('9:1')
  })

  test('an alarm in ALARM rolls the ramp back to all blue, fails the job naming the alarm and its reason, and the ramp stays rolled back', async () => {
    await cron(0, 25)
    expect(trafficNow()).toBe('3:1')
    clockAt(26 * HOUR)
    alarms.set(ALARM, 'ALARM', 'Threshold Crossed: 1 datapoint [7.1] was greater than 5')
    const r = await ramp(26 * HOUR)
    expect(r.error).toBeUndefined()
    expect(r.violations).toEqual([])
    expect(trafficNow()).toBe('1:0')
    expect(r.report.errors).toHaveLength(1)
    expect(r.report.errors[0]).toContain(
      'rolled back to all blue (1:0) from step 2 of 4 (25 % green)'
    )
    expect(r.report.errors[0]).toContain(
      `alarm ${ALARM} (eu-west-1) is in ALARM since ${new Date(t0 + 26 * HOUR).toISOString()}: Threshold Crossed: 1 datapoint [7.1] was greater than 5`
    )
    expect(r.report.rollout?.done).toBe('All traffic is on blue (1:0) now.')
    expect(r.report.outputs).toMatchObject({ ratio: '1:0', 'ramp-next': '', state: 'all-blue' })
    // Recorded first, then moved: the first mutating call marks the ramp rolled back.
    expect(r.calls[0]).toMatchObject({ command: 'TagResource' })
    expect(r.calls[0]?.detail).toContain('bluegreen:ramp-mark=rolled-back')
    expect(routerTags()).toMatchObject({
      [ROLLOUT_TAGS.mark]: 'rolled-back',
      [ROLLOUT_TAGS.markAlarm]: ALARM,
      'bluegreen:weights': '1:0'
    })
    expect(consistency()).toEqual([])

    alarms.set(ALARM, 'OK', 'Threshold Crossed: no datapoints')
    const later = await cron(27, 4 * 24)
    expect(later.every((x) => x.calls.length === 0 && x.report.errors.length === 0)).toBe(true)
    expect(later.at(-1)?.report.rollout?.summary).toContain('was rolled back to all blue')
    expect(trafficNow()).toBe('1:0')
  })

  test('on-alarm hold keeps the traffic and fails every run in ALARM; the ramp resumes once the alarm clears', async () => {
    const hold = { 'on-alarm': 'hold' }
    await cron(0, 2, hold)
    alarms.set(ALARM, 'ALARM', 'Threshold Crossed')
    const held = [
      await ramp(3 * HOUR, hold),
      await ramp(4 * HOUR, hold),
      await ramp(DAY + HOUR, hold)
    ]
    expect(held.map((r) => r.calls.map((c) => c.command))).toEqual([['TagResource'], [], []])
    expect(held.every((r) => r.report.errors.some((e) => e.includes(`alarm ${ALARM}`)))).toBe(true)
    expect(routerTags()[ROLLOUT_TAGS.mark]).toBe('held')
    expect(trafficNow()).toBe('9:1')
    alarms.set(ALARM, 'OK')
    const resumed = await ramp(DAY + 2 * HOUR, hold)
    ok(resumed)
    expect(trafficNow()).toBe('3:1')
    expect(routerTags()[ROLLOUT_TAGS.mark]).toBe('')
  })

  test('a ramp does not start while an alarm is in ALARM', async () => {
    alarms.set(ALARM, 'ALARM', 'Threshold Crossed')
    const r = await ramp(0)
    expect(r.calls).toEqual([])
    expect(r.report.errors[0]).toContain('does not start')
    expect(trafficNow()).toBe('1:0')
  })

  test('bake-time: a step waits until the alarm has been out of ALARM that long', async () => {
    const bake = { 'bake-time': '2h' }
    await cron(0, 1, bake)
    clockAt(23 * HOUR)
    alarms.set(ALARM, 'ALARM')
    clockAt(23 * HOUR + 30 * 60_000)
    alarms.set(ALARM, 'OK')
    // Out of ALARM since 23:30, but the 24:00 run saw no ALARM: it waits for the bake.
    const early = await ramp(DAY, bake)
    expect(early.calls).toEqual([])
    expect(early.report.outputs['ramp-due-at']).toBe(new Date(t0 + DAY + 90 * 60_000).toISOString())
    expect(early.commands).toContain('DescribeAlarmHistoryCommand')
    ok(await ramp(DAY + 2 * HOUR, bake))
    expect(trafficNow()).toBe('3:1')
  })
})

describe('a finished ramp', () => {
  test('is left alone: no change even while an alarm is in ALARM, nor after cleanup removed the router', async () => {
    await cron(0, 73)
    expect(trafficNow()).toBe('0:1')
    alarms.set(ALARM, 'ALARM', 'Threshold Crossed')
    const after = await ramp(80 * HOUR)
    ok(after)
    expect(after.calls).toEqual([])
    expect(after.report.errors).toEqual([])
    expect(after.report.rollout?.summary).toContain('is complete')

    clockAt(100 * HOUR)
    const cleanup = await runPublish(world.model, mocks, {
      blue: RAMP.blue,
      green: RAMP.green,
      'domain-name': HOSTS.domain,
      ratio: '0:1',
      cleanup: 'true'
    })
    ok(cleanup)
    expect(summarise(world).distributions.some((d) => d.role === 'router')).toBe(false)
    alarms.set(ALARM, 'OK')
    const again = await ramp(101 * HOUR)
    ok(again)
    expect(again.calls).toEqual([])
    expect(again.report.outputs).toMatchObject({ 'ramp-step': '4', 'ramp-next': '', ratio: '0:1' })
  })
})

describe('a publish outside the ramp', () => {
  test('marks it stopped: later ramp runs change nothing and pass; ramp-restart continues from the traffic in force', async () => {
    await cron(0, 25)
    const manual = await runPublish(world.model, mocks, {
      blue: RAMP.blue,
      green: RAMP.green,
      'domain-name': HOSTS.domain,
      ratio: '1:1'
    })
    ok(manual)
    expect(manual.report.warnings.join('\n')).toContain('marks it stopped')
    expect(routerTags()).toMatchObject({
      [ROLLOUT_TAGS.mark]: 'stopped',
      [ROLLOUT_TAGS.actor]: GITHUB_RUN.actor,
      'bluegreen:weights': '1:1'
    })
    const stopped = await cron(26, 72)
    expect(stopped.every((r) => r.calls.length === 0 && r.report.errors.length === 0)).toBe(true)
    expect(stopped[0]?.report.rollout?.summary).toContain('was stopped')
    expect(trafficNow()).toBe('1:1')

    const restart = await ramp(72 * HOUR, { 'ramp-restart': 'true' })
    ok(restart)
    // 1:1 is the ramp's 50 % step: joined, recorded, traffic unchanged.
    expect(restart.calls.map((c) => c.command)).toEqual(['TagResource'])
    expect(routerTags()).toMatchObject({ [ROLLOUT_TAGS.step]: '3', [ROLLOUT_TAGS.mark]: '' })
    ok(await ramp(97 * HOUR))
    expect(trafficNow()).toBe('0:1')
  })

  test('that keeps the traffic does not stop it', async () => {
    await cron(0, 2)
    ok(
      await runPublish(world.model, mocks, {
        blue: RAMP.blue,
        green: RAMP.green,
        'domain-name': HOSTS.domain,
        ratio: '9:1'
      })
    )
    expect(routerTags()[ROLLOUT_TAGS.mark]).toBe('')
    ok(await ramp(DAY))
    expect(trafficNow()).toBe('3:1')
  })
})

describe('a dry run of a ramp', () => {
  test('says what the next step would be and when, and changes nothing', async () => {
    await cron(0, 1)
    const waiting = await ramp(5 * HOUR, { 'dry-run': 'true' })
    ok(waiting)
    expect(waiting.calls).toEqual([])
    expect(waiting.report.outputs).toMatchObject({
      'ramp-step': '1',
      'ramp-next': '25',
      'ramp-due-at': new Date(t0 + DAY).toISOString(),
      ratio: '9:1',
      state: 'split'
    })
    const due = await ramp(DAY, { 'dry-run': 'true' })
    ok(due)
    expect(due.calls).toEqual([])
    expect(due.report.plan.length).toBeGreaterThan(0)
    expect(due.report.plan.every((row) => row.status === 'planned')).toBe(true)
    expect(due.report.outputs).toMatchObject({ 'ramp-step': '2', 'ramp-next': '50', ratio: '3:1' })
    expect(due.report.rollout?.done).toContain(
      'Dry run: a real run would move the traffic to 25 % green'
    )
    expect(trafficNow()).toBe('9:1')
    // With an alarm in ALARM, the dry run says it would roll back, and does not fail.
    alarms.set(ALARM, 'ALARM', 'Threshold Crossed')
    const alarmed = await ramp(DAY, { 'dry-run': 'true' })
    expect(alarmed.calls).toEqual([])
    expect(alarmed.report.errors).toEqual([])
    expect(alarmed.report.outputs).toMatchObject({ ratio: '1:0', 'ramp-next': '' })
    expect(alarmed.report.warnings.join('\n')).toContain('a real run would fail')
  })
})

/** The world's end state by role, the traffic, and the ramp's step and mark (no times). */
function endState(): string {
  const tags = routerTags()
  return JSON.stringify({
    world: summarise(world),
    traffic: trafficNow(),
    step: tags[ROLLOUT_TAGS.step],
    mark: tags[ROLLOUT_TAGS.mark],
    weights: tags['bluegreen:weights']
  })
}

describe('runs that die', () => {
  const STEPS: [string, number, number][] = [
    // name, hours of cron before the step, the hour the step is due
    ['the first step (all blue to 10 %)', 0, 0],
    ['an advance (10 to 25 %)', 1, 24],
    ['the last step (50 to 100 %)', 49, 72]
  ]

  test.each(STEPS)(
    'a run killed at any mutating call of %s is finished by the next run',
    async (_name, before, due) => {
      await cron(0, before)
      const snapshot = world.model.snapshot()
      const clean = await ramp(due * HOUR)
      ok(clean)
      const want = endState()
      const n = clean.calls.length
      expect(n).toBeGreaterThan(0)
      const failures: string[] = []
      // Killed: applied with the answer lost (the run dies), refused, or another writer first.
      // (faults.test.ts puts every kind of fault on every call of plain publishes.)
      for (const kind of KILLS) {
        for (let k = 1; k <= n; k++) {
          world.model.restore(snapshot)
          const faulted = await ramp(due * HOUR, {}, { faults: [[k, kind]] })
          const next = await ramp(due * HOUR + HOUR)
          const third = await ramp(due * HOUR + 2 * HOUR)
          const problems = [
            ...faulted.violations.map((v) => `faulted run: ${v.kind} ${v.host}: ${v.problem}`),
            ...(next.error === undefined ? [] : [`the next run failed: ${describeRun(next, 4)}`]),
            ...next.violations.map((v) => `next run: ${v.kind} ${v.host}: ${v.problem}`),
            ...(third.calls.length === 0 ? [] : [`a third run made ${third.calls.length} calls`]),
            ...(endState() === want ? [] : [`ends as ${endState()}\n  not ${want}`]),
            ...consistency()
          ]
          if (problems.length > 0)
            failures.push(`${kind} at call ${k}/${n}: ${problems.join('; ')}`)
        }
      }
      expect(failures).toEqual([])
    }
  )

  test('a rollback killed at any mutating call is finished by the next run, even once the alarm has cleared', async () => {
    await cron(0, 25)
    const snapshot = world.model.snapshot()
    const alarmed = (): void => {
      alarms.set(ALARM, 'ALARM', 'Threshold Crossed')
    }
    alarmed()
    const clean = await ramp(26 * HOUR)
    expect(clean.error).toBeUndefined()
    expect(trafficNow()).toBe('1:0')
    const want = endState()
    const n = clean.calls.length
    const failures: string[] = []
    for (const kind of ['lost-response', 'server', 'throttle'] as const) {
      for (let k = 1; k <= n; k++) {
        world.model.restore(snapshot)
        alarmed()
        const faulted = await ramp(26 * HOUR, {}, { faults: [[k, kind]] })
        alarms.set(ALARM, 'OK')
        const next = await ramp(27 * HOUR)
        // Only a failed first call (the record of the rollback, refused before it was made)
        // leaves nothing changed: then the ramp goes on, as nothing was rolled back.
        const nothingDone = k === 1 && kind !== 'lost-response'
        const problems = [
          ...faulted.violations.map((v) => `faulted run: ${v.kind} ${v.host}: ${v.problem}`),
          ...next.violations.map((v) => `next run: ${v.kind} ${v.host}: ${v.problem}`),
          ...(nothingDone
            ? trafficNow() === '3:1'
              ? []
              : [`traffic ${trafficNow()} after a rollback that never started`]
            : endState() === want
              ? []
              : [`ends as ${endState()}\n  not ${want}`]),
          ...consistency()
        ]
        if (problems.length > 0) failures.push(`${kind} at call ${k}/${n}: ${problems.join('; ')}`)
      }
    }
    expect(failures).toEqual([])
  })
})

describe('two runs at once', () => {
  /** The ramp at 25 %, its next step due: the two runs overlap at `due`. */
  async function dueWorld(): Promise<number> {
    await cron(0, 25)
    clockAt(48 * HOUR)
    return 48 * HOUR
  }
  const plain = {
    blue: RAMP.blue,
    green: RAMP.green,
    'domain-name': HOSTS.domain,
    ratio: '1:0'
  }

  test.each([
    ['a cron ramp run held, a manual run of the same ramp', RAMP, RAMP],
    ['a cron ramp run held, a manual 1:0', RAMP, plain],
    ['a manual 1:0 held, a cron ramp run', plain, RAMP]
  ])(
    '%s: both finish, the state is consistent and the ramp moved at most one step',
    async (_name, first, second) => {
      await dueWorld()
      const snapshot = world.model.snapshot()
      const alone = await runPublish(world.model, mocks, first, { spec: rampSpec() })
      ok(alone)
      const n = alone.calls.length
      const failures: string[] = []
      for (let k = 1; k <= n; k++) {
        world.model.restore(snapshot)
        const together = await runPublishInterleaved(world.model, mocks, first, second, {
          holdAfter: k,
          spec: rampSpec()
        })
        const errors = together.errors.filter((e) => e !== undefined).map((e) => describeError(e))
        const traffic = trafficNow()
        const problems = [
          ...errors.map(
            (e) =>
              `a run failed: ${e}\n${together.calls.map((c, i) => `  ${i + 1}. ${c.command} ${c.target} ${c.detail} ${c.outcome} ${c.error ?? ''}`).join('\n')}`
          ),
          ...together.violations.map((v) => `${v.kind} ${v.host} after ${v.command}: ${v.problem}`),
          ...consistency(),
          // One ramp step at most (25 → 50), or the manual 1:0 with the ramp marked stopped.
          ...(traffic === '1:1' ||
          (traffic === '1:0' && routerTags()[ROLLOUT_TAGS.mark] === 'stopped')
            ? []
            : [`ends at ${traffic} (mark ${routerTags()[ROLLOUT_TAGS.mark] ?? '-'})`])
        ]
        // And the next scheduled run finds a consistent rollout to go on from.
        const next = await ramp(49 * HOUR)
        if (next.error !== undefined)
          problems.push(`the next ramp run failed: ${describeRun(next, 4)}`)
        if (next.calls.length > 0)
          problems.push(`the next ramp run still made ${next.calls.length} calls`)
        if (problems.length > 0) failures.push(`held after call ${k}/${n}: ${problems.join('; ')}`)
      }
      expect(failures).toEqual([])
    }
  )
})
