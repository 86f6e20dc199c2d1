/**
 * The journeys of issue 3, as data: each step is one publish run with its inputs, the
 * environment D must end on, and what every hostname must be served by afterwards. Shared by
 * journeys.test.ts (clean runs, re-runs, counts) and faults.test.ts (fault injection).
 */
import type { DistributionConfig } from '@aws-sdk/client-cloudfront'
import { unzipSync } from 'fflate'
import type { RawInputs } from '../../../src/inputs.js'
import { startDnsServer } from '../../helpers/dns-server.js'
import { publishRequest, RUN_URL, type Mocks, runPublish, type RunResult } from './harness.js'
import { CONCURRENT_EDIT, edgeFunctionOf, type ModelState } from './model.js'
import { dnsProblem, servedBy, specBefore, type InvariantSpec } from './serving.js'
import {
  addQa,
  deepWorld,
  HOSTS,
  PROD,
  QA,
  ref,
  STAGE,
  summarise,
  type World,
  type WorldSummary
} from './world.js'

export interface StepDef {
  name: string
  raw: RawInputs
  /** The environment D is served by once the step is done ('router' in the split state). */
  target: string
  /** What B1 and G2 are served by afterwards. */
  blueHost: string
  greenHost: string
  /** Whether a router distribution exists afterwards (undefined: either). */
  router: boolean | undefined
  /** Whether the edge function still exists afterwards (undefined: either). */
  edgeFunction?: boolean
  /**
   * Commands the re-run may still send (a best-effort delete that Lambda@Edge replicas block is
   * retried by later runs, DESIGN 2); any other mutating call in the re-run is a failure.
   */
  rerunMay?: string[]
  /** Runs before the step (time passing, a new environment appearing). */
  before?: (world: World) => void
}

export interface JourneyDef {
  name: string
  steps: StepDef[]
  /** The world it starts from (default: deepWorld()). */
  world?: () => World
}

const HOUR = 3_600_000

/**
 * The operator's outside DNS provider (manual DNS), as a DNS server on 127.0.0.1: publish asks
 * it whether B1 and G2 resolve; a journey step's `before` creates the records.
 */
export const outsideDns = await startDnsServer()
export const answersOutside = (host: string): boolean => outsideDns.has(host)
const base: RawInputs = { 'domain-name': HOSTS.domain }
const stageProd: RawInputs = { ...base, blue: ref(STAGE), green: ref(PROD) }
const prodQa: RawInputs = { ...base, blue: ref(PROD), green: ref(QA), 'update-green-alias': 'true' }
const manualDns: RawInputs = { ...stageProd, 'dns-resolvers': outsideDns.address }

const split = (ratio: string, raw = stageProd, blue = STAGE.name, green = PROD.name): StepDef => ({
  name: ratio,
  raw: { ...raw, ratio },
  target: 'router',
  blueHost: blue,
  greenHost: green,
  router: true
})
/** A full switch keeps the router (pass-through, awaiting cleanup) when there was one. */
const allGreen = (raw = stageProd, green = PROD.name, router?: boolean): StepDef => ({
  name: '0:1',
  raw: { ...raw, ratio: '0:1' },
  target: green,
  blueHost: green,
  greenHost: green,
  router
})
const allBlue = (raw = stageProd, blue = STAGE.name): StepDef => ({
  name: '1:0',
  raw: { ...raw, ratio: '1:0' },
  target: blue,
  blueHost: blue,
  greenHost: blue,
  router: undefined
})
/** Cleanup a day after the full switch (the default cleanup-min-age is 24h). */
const cleanup = (raw = stageProd, green = PROD.name): StepDef => ({
  name: 'cleanup',
  raw: { ...raw, ratio: '0:1', cleanup: 'true' },
  target: green,
  blueHost: green,
  greenHost: green,
  router: false,
  before: (world) => {
    world.model.advance(25 * HOUR)
  }
})

const noWait = (step: StepDef): StepDef => ({
  ...step,
  name: `${step.name} (wait: false)`,
  raw: { ...step.raw, wait: 'false' }
})

/**
 * A step of a random walk over stage (blue) and prod (green): any ratio, with or without
 * waiting, with or without cleanup (min-age 0s) at a full switch; green alias updates allowed.
 */
export function walkStep(ratio: string, options: { wait: boolean; cleanup: boolean }): StepDef {
  const raw: RawInputs = {
    ...stageProd,
    'update-green-alias': 'true',
    ...(options.wait ? {} : { wait: 'false' })
  }
  const step = ratio === '1:0' ? allBlue(raw) : ratio === '0:1' ? allGreen(raw) : split(ratio, raw)
  if (!options.cleanup || step.target === 'router') return step
  return {
    ...step,
    name: `${ratio} + cleanup`,
    raw: { ...step.raw, cleanup: 'true', 'cleanup-min-age': '0s' },
    router: false,
    rerunMay: ['DeleteFunction']
  }
}

export const JOURNEYS: JourneyDef[] = [
  {
    name: 'ramp: none → 9:1 → 1:1 → 1:9 → 0:1 → cleanup',
    steps: [split('9:1'), split('1:1'), split('1:9'), allGreen(), cleanup()]
  },
  { name: 'direct: none → 0:1', steps: [allGreen(stageProd, PROD.name, false)] },
  {
    name: 'rollback: 9:1 → 1:0 → 9:1',
    // After 1:0 green holds no alias; splitting again needs consent to give it G2 (DESIGN 2).
    steps: [split('9:1'), allBlue(), split('9:1', { ...stageProd, 'update-green-alias': 'true' })]
  },
  {
    name: 'next cycle: 9:1, 0:1, cleanup, then old green (prod) is blue and a fresh qa is green',
    steps: [
      split('9:1'),
      allGreen(),
      cleanup(),
      {
        ...split('9:1', prodQa, PROD.name, QA.name),
        before: (world) => {
          addQa(world)
        }
      },
      split('1:9', prodQa, PROD.name, QA.name),
      allGreen(prodQa, QA.name)
    ]
  },
  {
    // Each run returns without waiting for its last change: the next run starts while it is
    // still InProgress and must wait for it before anything that depends on it.
    name: 'no-wait ramp: 9:1 → 1:1 → 0:1 → 9:1, each with wait: false',
    steps: [
      noWait(split('9:1')),
      noWait(split('1:1')),
      noWait(allGreen()),
      noWait(split('9:1', { ...stageProd, 'update-green-alias': 'true' }))
    ]
  },
  {
    // cleanup-min-age 0s right after the switch: the router goes, but the edge function's
    // replicas linger (for an hour in the model) so its delete fails; a later run finishes it.
    name: 'early cleanup: 9:1 → 0:1 → cleanup (min-age 0s, replicas linger) → cleanup 2h later',
    steps: [
      split('9:1'),
      allGreen(),
      {
        ...allGreen(),
        name: 'cleanup (min-age 0s)',
        raw: { ...stageProd, ratio: '0:1', cleanup: 'true', 'cleanup-min-age': '0s' },
        router: false,
        edgeFunction: true,
        rerunMay: ['DeleteFunction']
      },
      {
        ...cleanup(),
        name: 'cleanup 2h later',
        raw: { ...stageProd, ratio: '0:1', cleanup: 'true', 'cleanup-min-age': '0s' },
        before: (world) => {
          world.model.advance(2 * HOUR)
        },
        edgeFunction: false
      }
    ]
  },
  {
    // cleanup in the very run that makes the full switch (cleanup-min-age 0s allows it).
    name: 'switch and cleanup in one run: 9:1 → 0:1 + cleanup (min-age 0s)',
    steps: [
      split('9:1'),
      {
        ...allGreen(),
        name: '0:1 + cleanup (min-age 0s)',
        raw: { ...stageProd, ratio: '0:1', cleanup: 'true', 'cleanup-min-age': '0s' },
        router: false,
        rerunMay: ['DeleteFunction']
      }
    ]
  },
  {
    // Blue as real accounts have it (a viewer-response CloudFront Function, its own
    // origin-request Lambda@Edge, an S3 origin behind OAC, several behaviours): the router is
    // built from scratch and falls back through blue's CloudFront domain, so it is accepted, its
    // fallback is served by blue with all of blue's behaviour, and blue keeps everything but its
    // aliases (checked after every step).
    name: 'blue as real accounts have it: none → 9:1 → 1:1 → 0:1 → cleanup',
    world: () => deepWorld({}, { realBlue: true }),
    steps: [split('9:1'), split('1:1'), allGreen(), cleanup()]
  },
  {
    // No hosted zone for deep.mg: dns auto falls back to manual, in two phases. Phase 1 makes
    // only the router-free changes (blue takes W) and prints the B1/G2 records; a re-run while
    // they do not resolve changes nothing; once the operator made them, phase 2 puts the router
    // in front of D.
    name: 'manual DNS (no zone): 9:1 phase 1 → records made → 9:1 phase 2 → 0:1',
    world: () => {
      outsideDns.clear()
      return deepWorld({}, { zone: false })
    },
    steps: [
      {
        ...split('9:1', manualDns),
        name: '9:1, B1/G2 not resolving (phase 1)',
        target: STAGE.name,
        router: false
      },
      {
        ...split('9:1', manualDns),
        name: '9:1 after the operator created the records (phase 2)',
        before: (world) => {
          const domain = (env: string): string =>
            world.model.distribution(world.ids[env] ?? '').domainName
          outsideDns.set(HOSTS.blue, { cname: domain(STAGE.name) })
          outsideDns.set(HOSTS.green, { cname: domain(PROD.name) })
        }
      },
      allGreen(manualDns)
    ]
  }
]

/** The environment names of the step's blue and green (`stage:abcd1234` → stage). */
export function envsOf(step: StepDef): { blueEnv: string; greenEnv: string } {
  const name = (ref: string | undefined): string => (ref ?? '').split(':')[0] ?? ''
  return { blueEnv: name(step.raw.blue), greenEnv: name(step.raw.green) }
}

export interface StepRun {
  journey: string
  step: StepDef
  /** The world before the step (after `before`), to replay it with faults. */
  before: ModelState
  /** The outside DNS provider's records before the step (manual DNS). */
  dnsBefore: ReturnType<typeof outsideDns.snapshot>
  /** The world as the step saw it (its environments' original configs as they were then). */
  world: World
  spec: InvariantSpec
  result: RunResult
  rerun: RunResult
  after: WorldSummary
}

/** Runs `before`, then the step with the invariant checked, then the same step again. */
export async function runStep(
  world: World,
  mocks: Mocks,
  journey: string,
  step: StepDef
): Promise<StepRun> {
  step.before?.(world)
  const before = world.model.snapshot()
  const dnsBefore = outsideDns.snapshot()
  const spec = {
    ...specBefore(world.model, HOSTS, step.target, envsOf(step)),
    outsideDns: answersOutside
  }
  const result = await runPublish(world.model, mocks, step.raw, { spec })
  const rerun = await runPublish(world.model, mocks, step.raw, {
    spec: {
      ...specBefore(world.model, HOSTS, step.target, envsOf(step)),
      outsideDns: answersOutside
    }
  })
  const seen: World = { ...world, ids: { ...world.ids }, originals: new Map(world.originals) }
  return {
    journey,
    step,
    before,
    dnsBefore,
    world: seen,
    spec,
    result,
    rerun,
    after: summarise(world)
  }
}

/**
 * What is wrong with the world after a step (empty: it is the step's target), once every change
 * has reached the edges (a `wait: false` run leaves its last change InProgress).
 */
export function targetProblems(world: World, step: StepDef): string[] {
  const saved = world.model.snapshot()
  world.model.deployAll()
  try {
    return settledProblems(world, step)
  } finally {
    world.model.restore(saved)
  }
}

function settledProblems(world: World, step: StepDef): string[] {
  const problems: string[] = []
  const expect = (host: string, env: string): void => {
    const got = [...servedBy(world.model, host)]
    if (got.length !== 1 || got[0] !== env) {
      problems.push(`${host} is served by ${got.join(' | ')}; expected ${env}`)
    }
    const dns = dnsProblem(world.model, host)
    if (dns !== undefined) problems.push(dns)
  }
  expect(HOSTS.domain, step.target)
  expect(HOSTS.blue, step.blueHost)
  expect(HOSTS.green, step.greenHost)
  problems.push(...routerProblems(world, step))
  problems.push(...clobbered(world))
  const functions = world.model.state.functions.size
  if (step.edgeFunction !== undefined && step.edgeFunction !== functions > 0) {
    problems.push(
      `expected ${step.edgeFunction ? 'the edge function to remain' : 'no edge function'}, found ${functions}`
    )
  }
  const routers = summarise(world).distributions.filter((d) => d.role === 'router')
  if (step.router !== undefined && step.router !== routers.length > 0) {
    problems.push(
      `expected ${step.router ? 'a router' : 'no router'}, found ${routers.length}: ${JSON.stringify(routers)}`
    )
  }
  return problems
}

export function freshWorld(journey: JourneyDef): World {
  return journey.world?.() ?? deepWorld()
}

/**
 * While the router answers D: every cache behaviour carries the same edge version (one without
 * it would bypass the ratio), and the config.json in that version's zip has the step's weights
 * and the B1 / G2 hosts.
 */
function routerProblems(world: World, step: StepDef): string[] {
  if (step.target !== 'router') return []
  const request = publishRequest(step.raw)
  const problems: string[] = []
  for (const d of world.model.state.distributions.values()) {
    const arn = edgeFunctionOf(d.config)
    if (arn === undefined) continue
    const behaviours = [d.config.DefaultCacheBehavior, ...(d.config.CacheBehaviors?.Items ?? [])]
    const missing = behaviours.filter(
      (b) =>
        !(b?.LambdaFunctionAssociations?.Items ?? []).some(
          (a) => a.LambdaFunctionARN === arn && a.EventType === 'viewer-request'
        )
    )
    if (missing.length > 0) {
      problems.push(`router ${d.id}: ${missing.length} behaviour(s) lack ${arn}`)
    }
    // DESIGN 2: the state lives in the router's tags (weights, run URL among them).
    const values = d.tags.map((t) => t.Value)
    for (const want of [`${request.weights.blue}:${request.weights.green}`, RUN_URL]) {
      if (!values.includes(want)) problems.push(`router ${d.id}: no tag carries ${want}`)
    }
    const code = world.model.functionCode(arn)
    const file = code === undefined ? undefined : unzipSync(code)['config.json']
    if (file === undefined) {
      problems.push(`router ${d.id}: ${arn} has no config.json`)
      continue
    }
    const config: unknown = JSON.parse(new TextDecoder().decode(file))
    const want = {
      blueHost: request.blueHostname,
      greenHost: request.greenHostname,
      weights: request.weights
    }
    if (
      typeof config !== 'object' ||
      config === null ||
      JSON.stringify({
        blueHost: 'blueHost' in config ? config.blueHost : undefined,
        greenHost: 'greenHost' in config ? config.greenHost : undefined,
        weights: 'weights' in config ? config.weights : undefined
      }) !== JSON.stringify(want)
    ) {
      problems.push(
        `router ${d.id}: config.json ${JSON.stringify(config)} does not carry ${JSON.stringify(want)}`
      )
    }
  }
  return problems
}

/**
 * Publish may move the environments' aliases and nothing else: every other setting of blue's
 * and green's distributions stays as their owners left it (a concurrent edit of the Comment,
 * injected by the faults, is someone else's and may stay too).
 */
function clobbered(world: World): string[] {
  const problems: string[] = []
  const rest = (c: DistributionConfig): string =>
    JSON.stringify({
      ...c,
      Aliases: undefined,
      Comment: (c.Comment ?? '').split(CONCURRENT_EDIT).join('')
    })
  for (const [id, original] of world.originals) {
    const d = world.model.state.distributions.get(id)
    if (d === undefined) {
      problems.push(`environment distribution ${id} was deleted`)
    } else if (rest(d.config) !== rest(original)) {
      problems.push(
        `publish changed more than the aliases of ${id}:\n  now ${rest(d.config)}\n  was ${rest(original)}`
      )
    }
  }
  return problems
}

/** What the run told the operator: `changed`, the state, and DNS rows that match the world. */
export function reportProblems(world: World, step: StepDef, run: RunResult): string[] {
  const problems: string[] = []
  const { report } = run
  const mutated = run.calls.some((c) => c.outcome === 'ok')
  if (report.changed !== mutated) {
    problems.push(
      `output changed=${report.changed}, but the run made ${run.calls.filter((c) => c.outcome === 'ok').length} accepted mutating calls`
    )
  }
  const w = publishRequest(step.raw).weights
  const state = w.blue > 0 && w.green > 0 ? 'split' : w.blue > 0 ? 'all-blue' : 'all-green'
  if (report.outputs.state !== state)
    problems.push(`output state=${report.outputs.state ?? '(none)'}; expected ${state}`)
  const zoned = world.model.state.zones.size > 0
  for (const row of report.dns) {
    const d = world.model.distributionByDomain(row.target)
    if (d === undefined) {
      problems.push(`DNS row ${row.name} ${row.type} → ${row.target}: no such distribution`)
      continue
    }
    if (!zoned) {
      if (row.status !== 'manual')
        problems.push(`DNS row ${row.name} ${row.type} is ${row.status}; expected manual (no zone)`)
      continue
    }
    const record = world.model.zoneRecords().find((r) => r.Name === row.name && r.Type === row.type)
    if (record?.AliasTarget?.DNSName !== `${d.domainName}.`) {
      problems.push(
        `DNS row ${row.name} ${row.type} → ${row.target}, but the zone has ${record?.AliasTarget?.DNSName ?? 'no such record'}`
      )
    }
  }
  return problems
}
