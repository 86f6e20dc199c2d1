/**
 * Issue 3's journeys against the in-memory AWS model (DESIGN.md 6, layer 2): every step runs
 * publish() through the real SDK clients, the zero-downtime invariant of DESIGN.md 2 is checked
 * after EVERY mutating call, the step must end in its target state, and re-running it with the
 * same inputs must make zero mutating calls. Mutating-call counts per step go to
 * build/model-counts.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { RawInputs } from '../../src/inputs.js'
import { describeRun, installMocks, runPublish, type Mocks } from './model/harness.js'
import {
  freshWorld,
  JOURNEYS,
  reportProblems,
  runStep,
  targetProblems,
  type StepRun
} from './model/journeys.js'
import { specBefore } from './model/serving.js'
import {
  APEX,
  deepTags,
  deepWorld,
  environmentConfig,
  HOSTS,
  PROD,
  QA,
  ref,
  STAGE,
  summarise,
  type World
} from './model/world.js'

let world: World
let mocks: Mocks
const runs: StepRun[] = []

beforeAll(() => {
  mocks = installMocks(() => world.model)
})
afterAll(() => {
  mocks.restore()
  if (runs.length > 0) writeCounts(runs)
})

describe.each(JOURNEYS)('journey $name', (journey) => {
  const done: StepRun[] = []
  beforeAll(() => {
    world = freshWorld(journey)
  })

  // Steps run in order on one world: each test is the next step.
  test.each(journey.steps.map((step, i) => ({ step, i, label: `${i + 1}. ${step.name}` })))(
    'step $label: invariant after every call, target state, idempotent re-run',
    async ({ step, i }) => {
      expect(done).toHaveLength(i) // the previous steps ran (a failed one stops the journey)
      const run = await runStep(world, mocks, journey.name, step)
      runs.push(run)
      const { result, rerun } = run
      const account = `\n--- run ---\n${describeRun(result)}\n--- re-run ---\n${describeRun(rerun)}`

      expect({ error: result.error, unimplemented: result.unimplemented, account }).toEqual({
        error: undefined,
        unimplemented: [],
        account
      })
      expect(result.wrongRegion).toEqual([])
      // DESIGN 2's invariant (outage, wrong environment, DNS) and, beyond its letter, the
      // router's 302 targets: while the router answers D, B1 and G2 are served and resolve.
      expect(result.violations.length === 0 ? 'invariant held' : account).toBe('invariant held')
      expect(targetProblems(world, step)).toEqual([])
      expect(reportProblems(world, step, result)).toEqual([])
      expect(rerun.report.changed).toBe(rerun.calls.some((c) => c.outcome === 'ok'))
      expect(rerun.error).toBeUndefined()
      const allowed = new Set(step.rerunMay ?? [])
      const extra = rerun.calls.filter((c) => !allowed.has(c.command))
      expect(extra.length === 0 ? 'zero mutating calls' : account).toBe('zero mutating calls')
      done.push(run)
    }
  )
})

describe('a ratio change inside the split state', () => {
  // Issue 3's target: one new edge version and one router update (plus the router's tags,
  // where DESIGN 2 keeps the weights), and nothing else.
  test('makes 1 UpdateFunctionCode, 1 PublishVersion, 1 UpdateDistribution (+ at most 1 TagResource)', async () => {
    world = deepWorld()
    const raw: RawInputs = { 'domain-name': HOSTS.domain, blue: ref(STAGE), green: ref(PROD) }
    const first = await runPublish(world.model, mocks, { ...raw, ratio: '9:1' })
    expect(first.error).toBeUndefined()
    const change = await runPublish(
      world.model,
      mocks,
      { ...raw, ratio: '1:1' },
      {
        spec: specBefore(world.model, HOSTS, 'router', { blueEnv: STAGE.name, greenEnv: PROD.name })
      }
    )
    const count = (command: string): number =>
      change.calls.filter((c) => c.command === command).length
    expect({
      error: change.error,
      violations: change.violations.length,
      UpdateFunctionCode: count('UpdateFunctionCode'),
      PublishVersion: count('PublishVersion'),
      UpdateDistribution: count('UpdateDistribution'),
      TagResource: count('TagResource') <= 1,
      total: change.calls.length - count('TagResource')
    }).toEqual({
      error: undefined,
      violations: 0,
      UpdateFunctionCode: 1,
      PublishVersion: 1,
      UpdateDistribution: 1,
      TagResource: true,
      total: 3
    })
  })
})

describe('refusals change nothing', () => {
  const nineToOne: RawInputs = {
    'domain-name': HOSTS.domain,
    blue: ref(STAGE),
    green: ref(PROD),
    ratio: '9:1'
  }

  async function refused(raw: RawInputs, message: RegExp): Promise<void> {
    const before = JSON.stringify(summarise(world))
    const result = await runPublish(world.model, mocks, raw, {
      spec: specBefore(world.model, HOSTS, 'router')
    })
    expect(result.error).toBeInstanceOf(Error)
    expect(result.error instanceof Error ? result.error.message : '').toMatch(message)
    expect(result.calls).toEqual([])
    expect(JSON.stringify(summarise(world))).toBe(before)
  }

  test("the wildcard held by a distribution other than blue: the seed's message", async () => {
    world = deepWorld()
    const cert = world.model.addCertificate(APEX, [`*.${APEX}`])
    world.model.addDistribution(environmentConfig(QA, [`*.${APEX}`], cert), deepTags(QA))
    await refused(nineToOne, /wildcarded SSL/)
  })

  test('green lacks G2 and update-green-alias is not set', async () => {
    world = deepWorld()
    const green = world.model.distribution(world.ids.prod ?? '')
    green.config = { ...green.config, Aliases: { Quantity: 0, Items: [] } }
    green.deployed = green.config
    await refused(nineToOne, /update-green-alias/)
  })

  test("blue's certificate does not cover the wildcard", async () => {
    world = deepWorld()
    const narrow = world.model.addCertificate(HOSTS.domain, [])
    const blue = world.model.distribution(world.ids.stage ?? '')
    blue.config = {
      ...blue.config,
      ViewerCertificate: { ACMCertificateArn: narrow, SSLSupportMethod: 'sni-only' }
    }
    blue.deployed = blue.config
    await refused(nineToOne, /certificate/)
  })

  test('cleanup before cleanup-min-age has passed since the full switch', async () => {
    world = deepWorld()
    const zeroOne = { ...nineToOne, ratio: '0:1' }
    for (const raw of [nineToOne, zeroOne]) {
      const r = await runPublish(world.model, mocks, raw)
      expect(r.error).toBeUndefined()
    }
    world.model.advance(3_600_000)
    await refused({ ...zeroOne, cleanup: 'true' }, /cleanup/)
  })
})

function writeCounts(all: StepRun[]): void {
  const journeys: Record<string, unknown[]> = {}
  for (const r of all) {
    const byCommand: Record<string, number> = {}
    for (const c of r.result.calls) byCommand[c.command] = (byCommand[c.command] ?? 0) + 1
    ;(journeys[r.journey] ??= []).push({
      step: r.step.name,
      mutatingCalls: r.result.calls.length,
      accepted: r.result.calls.filter((c) => c.outcome === 'ok').length,
      byCommand,
      rerunMutatingCalls: r.rerun.calls.length,
      calls: r.result.calls.map((c) => `${c.command} ${c.target} ${c.detail}`)
    })
  }
  mkdirSync('build', { recursive: true })
  writeFileSync('build/model-counts.json', `${JSON.stringify({ journeys }, null, 2)}\n`)
}

describe('real accounts, on the model', () => {
  const nineToOne: RawInputs = {
    'domain-name': HOSTS.domain,
    blue: ref(STAGE),
    green: ref(PROD),
    ratio: '9:1'
  }
  const fixture = (name: string): string =>
    readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

  test('the dry run lists every AWS change: role, its policy, function, version, router; and makes none', async () => {
    world = deepWorld()
    const result = await runPublish(world.model, mocks, { ...nineToOne, 'dry-run': 'true' })
    expect(result.error).toBeUndefined()
    expect(result.calls).toEqual([])
    const rows = result.report.plan.map((r) => r.description)
    for (const want of [
      /^Blue distribution: add \*\.deep\.mg, drop www\.deep\.mg$/,
      /^IAM: create the role bluegreen-edge-router/,
      /^IAM: attach AWSLambdaBasicExecutionRole/,
      /^Lambda@Edge router: create the function/,
      /^Lambda@Edge router: publish a version for 9:1$/,
      /^Route53 \(deep\.mg\): www1\.deep\.mg A → blue/,
      /^Wait until Route53 answers the records of www1\.deep\.mg/,
      /^Router: create holding www\.deep\.mg/
    ]) {
      expect(
        rows.some((r) => want.test(r))
          ? 'listed'
          : `missing ${String(want)} in ${JSON.stringify(rows)}`
      ).toBe('listed')
    }
  })

  test('IAM server certificates are read from their PEM: one that covers the names works, one that does not is refused', async () => {
    world = deepWorld()
    const wide = world.model.addServerCertificate('deep-mg', fixture('iam-deep-mg.pem'))
    const green = world.model.distribution(world.ids.prod ?? '')
    green.config = {
      ...green.config,
      ViewerCertificate: { IAMCertificateId: wide, SSLSupportMethod: 'sni-only' }
    }
    green.deployed = green.config
    world.originals.set(green.id, structuredClone(green.config))
    const ok = await runPublish(world.model, mocks, { ...nineToOne, ratio: '0:1' })
    expect(ok.error).toBeUndefined()
    const allProd = {
      name: '0:1',
      raw: {},
      target: PROD.name,
      blueHost: PROD.name,
      greenHost: PROD.name,
      router: false
    }
    expect(targetProblems(world, allProd)).toEqual([])

    world = deepWorld()
    const narrow = world.model.addServerCertificate('www', fixture('iam-www-only.pem'))
    const blue = world.model.distribution(world.ids.stage ?? '')
    blue.config = {
      ...blue.config,
      ViewerCertificate: { IAMCertificateId: narrow, SSLSupportMethod: 'sni-only' }
    }
    blue.deployed = blue.config
    const refused = await runPublish(world.model, mocks, nineToOne)
    expect(refused.calls).toEqual([])
    expect(refused.error instanceof Error ? refused.error.message : '').toMatch(
      /certificate of the blue distribution .* \(IAM server certificate .*\) does not cover \*\.deep\.mg/
    )
  })

  test('B1 in its own (delegated) hosted zone: its record goes into that zone', async () => {
    world = deepWorld()
    const sub = world.model.addZone(HOSTS.blue)
    const result = await runPublish(world.model, mocks, nineToOne, {
      spec: specBefore(world.model, HOSTS, 'router', { blueEnv: STAGE.name, greenEnv: PROD.name })
    })
    expect(result.error).toBeUndefined()
    expect(result.violations).toEqual([])
    const inZone = (id: string) =>
      world.model.state.zones.get(id)?.records.map((r) => `${r.Type ?? ''} ${r.Name ?? ''}`) ?? []
    expect(inZone(sub)).toContain(`A ${HOSTS.blue}`)
    expect(inZone(world.zoneId)).not.toContain(`A ${HOSTS.blue}`)
    const again = await runPublish(world.model, mocks, nineToOne)
    expect(again.calls).toEqual([])
  })

  test('records at D beyond the first page (TXT, MX...) do not hide its A record', async () => {
    world = deepWorld({ pageSize: 2 })
    const zone = world.model.state.zones.get(world.zoneId)
    for (const type of ['MX', 'TXT', 'CAA'] as const) {
      zone?.records.unshift({
        Name: HOSTS.domain,
        Type: type,
        TTL: 300,
        ResourceRecords: [{ Value: '"x"' }]
      })
    }
    const first = await runPublish(world.model, mocks, { ...nineToOne, ratio: '0:1' })
    expect(first.error).toBeUndefined()
    const again = await runPublish(world.model, mocks, { ...nineToOne, ratio: '0:1' })
    expect(again.calls).toEqual([])
  })
})
