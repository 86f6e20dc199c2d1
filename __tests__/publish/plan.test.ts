/**
 * The planner, with plain data. Each plan is replayed by an independent simulator of CloudFront
 * (not the planner's own safety check): after every mutating step, every mix of "deployed / not
 * yet" of the distributions changed since the last barrier must keep the invariant of DESIGN.md
 * 2, the control plane must accept the step (one holder per alias, certificate coverage), and the
 * plan must end in the target state.
 */
import fc from 'fast-check'
import { strFromU8, unzipSync } from 'fflate'
import { validateConfig } from '../../edge/config.js'
import { BlueGreenError } from '../../src/errors.js'
import { edgeFunctionName } from '../../src/publish/discover.js'
import { buildEdgePackage } from '../../src/publish/edge-package.js'
import { CLEANUP_WARNING, plan } from '../../src/publish/plan.js'
import { linksOf, nameNewRouter, transitionOf } from '../../src/publish/transition.js'
import { newReport } from '../../src/report.js'
import type {
  DistFacts,
  DistKey,
  EdgeFacts,
  Observed,
  PlanRequest,
  RouterFacts,
  RouterMode,
  Step
} from '../../src/publish/types.js'

const D = 'www.deep.mg'
const W = '*.deep.mg'
const B1 = 'www1.deep.mg'
const G2 = 'www2.deep.mg'
const names = { domain: D, apex: 'deep.mg', wildcard: W, blueHost: B1, greenHost: G2 }
const WILDCARD_CERT = ['deep.mg', W]
const NOW = new Date('2026-06-01T12:00:00Z')

function dist(id: string, aliases: string[], extra: Partial<DistFacts> = {}): DistFacts {
  return {
    id,
    domainName: `${id.toLowerCase()}.cloudfront.net`,
    enabled: true,
    aliases,
    certNames: WILDCARD_CERT,
    certificate: `arn:aws:acm:us-east-1:1:certificate/${id}`,
    ipv6: false,
    deployed: true,
    continuousDeployment: 'none',
    connectionMode: 'direct',
    ...extra
  }
}

/** The edge function as a finished earlier split leaves it: code for another ratio. */
const EDGE: EdgeFacts = {
  functionName: 'bluegreen-router-www-deep-mg',
  roleName: 'bluegreen-edge-router',
  roleArn: 'arn:aws:iam::1:role/bluegreen-edge-router',
  rolePolicyAttached: true,
  fn: { runtime: 'nodejs22.x', codeSha256: 'old', state: 'Active', lastUpdateStatus: 'Successful' },
  desiredVersionArn: undefined
}

function router(
  aliases: string[],
  mode: RouterMode,
  extra: Partial<RouterFacts> = {}
): RouterFacts {
  return { ...dist('R', aliases), mode, tags: {}, ...extra }
}

function observed(parts: {
  blue: string[]
  green: string[]
  router?: RouterFacts
  extra?: Partial<Observed>
}): Observed {
  return {
    names,
    blue: dist('B', parts.blue),
    green: dist('G', parts.green),
    router: parts.router,
    others: [],
    dnsMode: 'manual',
    records: [],
    edgeFunctionExists: parts.router !== undefined,
    edge: EDGE,
    // Manual DNS checks B1/G2: here they resolve (phase 2), unless a test says otherwise.
    resolution: [
      { host: B1, resolves: true, detail: 'CNAME b.cloudfront.net' },
      { host: G2, resolves: true, detail: 'CNAME g.cloudfront.net' }
    ],
    ...parts.extra
  }
}

function request(ratio: string, extra: Partial<PlanRequest> = {}): PlanRequest {
  const [blue = 0, green = 0] = ratio.split(':').map(Number)
  return {
    weights: { blue, green },
    dns: 'auto',
    cleanup: false,
    cleanupMinAgeMs: 24 * 3_600_000,
    greenAliasConsent: false,
    wait: true,
    waitTimeoutMs: 30 * 60_000,
    now: NOW,
    desiredEdge: {
      sha256: 'new',
      description: `bluegreen-router ${ratio} abc`,
      runtime: 'nodejs22.x'
    },
    ...extra
  }
}

// ---------------------------------------------------------------------------------------------
// An independent simulator: configs as the control plane has them, and as edges may see them.

type Serves = 'blue' | 'green' | 'router' | 'other'
interface Config {
  exists: boolean
  aliases: string[]
  enabled: boolean
  serves: Serves
  certNames: string[]
}
type Configs = Record<DistKey, Config>

function servesOf(mode: RouterMode | 'keep', previous: Serves): Serves {
  switch (mode) {
    case 'edge':
    case 'edge-stale':
      return 'router'
    case 'pass-blue':
      return 'blue'
    case 'pass-green':
      return 'green'
    case 'other':
      return 'other'
    case 'keep':
      return previous
  }
}

function initialConfigs(o: Observed): Configs {
  const r = o.router
  return {
    blue: {
      exists: true,
      aliases: o.blue.aliases,
      enabled: o.blue.enabled,
      serves: 'blue',
      certNames: o.blue.certNames
    },
    green: {
      exists: true,
      aliases: o.green.aliases,
      enabled: o.green.enabled,
      serves: 'green',
      certNames: o.green.certNames
    },
    router: {
      exists: r !== undefined,
      aliases: r?.aliases ?? [],
      enabled: r?.enabled ?? false,
      serves: servesOf(r?.mode ?? 'other', 'other'),
      certNames: r?.certNames ?? []
    }
  }
}

/** Who serves `host` when edges see `view` (exact alias beats the wildcard). */
function servedBy(view: Configs, host: string): Serves | 'nobody' | 'ambiguous' {
  const live = Object.values<Config>(view).filter((c) => c.exists && c.enabled)
  const exact = live.filter((c) => c.aliases.includes(host))
  if (exact.length > 1) return 'ambiguous'
  if (exact[0] !== undefined) return exact[0].serves
  const wild = live.filter((c) => c.aliases.includes(`*.${host.slice(host.indexOf('.') + 1)}`))
  if (wild.length > 1) return 'ambiguous'
  return wild[0]?.serves ?? 'nobody'
}

function covered(certNames: string[], alias: string): boolean {
  return certNames.some(
    (n) =>
      n === alias ||
      (n.startsWith('*.') &&
        !alias.startsWith('*.') &&
        alias.slice(alias.indexOf('.') + 1) === n.slice(2))
  )
}

interface Replay {
  problems: string[]
  final: Configs
}

const TARGET_SERVES: Record<string, Record<string, Serves>> = {
  split: { [D]: 'router', [B1]: 'blue', [G2]: 'green' },
  'all-blue': { [D]: 'blue', [B1]: 'blue', [G2]: 'blue' },
  'all-green': { [D]: 'green', [B1]: 'green', [G2]: 'green' }
}

/** Replays `steps`, checking the invariant in every edge view after every step. */
function replay(o: Observed, steps: Step[], state: string): Replay {
  const problems: string[] = []
  const initial = initialConfigs(o)
  const deployed = initialConfigs(o)
  const latest = initialConfigs(o)
  const pending = new Set<DistKey>()
  const before: Record<string, Serves | 'nobody' | 'ambiguous'> = {}
  for (const h of [D, B1, G2]) before[h] = servedBy(deployed, h)
  // A router rebuilt in a mode carries blue's certificate; `keep` keeps its own.
  const sourceCert = (mode: RouterMode | 'keep'): string[] =>
    mode === 'keep' ? latest.router.certNames : o.blue.certNames

  steps.forEach((step, i) => {
    const at = `step ${i + 1} (${step.kind}: ${step.description})`
    const change = (key: DistKey, next: Partial<Config>) => {
      latest[key] = { ...latest[key], ...next }
      pending.add(key)
    }
    switch (step.kind) {
      case 'update':
        change(step.dist, { aliases: step.aliases })
        break
      case 'router-create':
        if (latest.router.exists) problems.push(`${at}: creates a second router`)
        change('router', {
          exists: true,
          aliases: step.aliases,
          enabled: true,
          serves: servesOf(step.mode, 'other'),
          certNames: sourceCert(step.mode)
        })
        break
      case 'router-update':
        change('router', {
          aliases: step.aliases,
          enabled: step.enabled,
          serves: servesOf(step.mode, latest.router.serves),
          certNames: sourceCert(step.mode)
        })
        break
      case 'router-disable':
        change('router', { enabled: false })
        break
      case 'router-delete':
        if (latest.router.enabled || pending.has('router')) {
          problems.push(`${at}: deletes a router that is not disabled and Deployed`)
        }
        change('router', { exists: false, aliases: [] })
        break
      case 'wait':
        for (const d of step.dists) {
          deployed[d] = latest[d]
          pending.delete(d)
        }
        return
      default:
        return
    }
    // Control plane: one holder per alias; every alias covered by the certificate.
    const seen = new Map<string, DistKey>()
    for (const key of ['blue', 'green', 'router'] as const) {
      const c = latest[key]
      if (!c.exists) continue
      for (const a of c.aliases) {
        if (seen.has(a))
          problems.push(`${at}: CNAMEAlreadyExists ${a} on ${key} and ${seen.get(a)}`)
        seen.set(a, key)
        if (!covered(c.certNames, a))
          problems.push(`${at}: ${key}'s certificate does not cover ${a}`)
      }
    }
    // Edges: every mix of deployed / latest of the pending distributions.
    const keys = [...pending]
    for (let mask = 0; mask < 1 << keys.length; mask++) {
      const view = { ...deployed }
      keys.forEach((k, j) => {
        if ((mask & (1 << j)) !== 0) view[k] = latest[k]
      })
      // A view equal to the state before the run is not the plan's doing.
      if (JSON.stringify(view) === JSON.stringify(initial)) continue
      const label = keys.map((k, j) => `${k}:${(mask & (1 << j)) !== 0 ? 'new' : 'old'}`).join(' ')
      const served: Record<string, string> = {}
      for (const h of [D, B1, G2]) {
        const s = servedBy(view, h)
        served[h] = s
        if (s === 'ambiguous') problems.push(`${at} [${label}]: ${h} held exactly twice`)
        if (s === 'nobody' && before[h] !== 'nobody')
          problems.push(`${at} [${label}]: ${h} not served`)
        const allowed = [before[h], TARGET_SERVES[state]?.[h]]
        if (s !== 'nobody' && s !== 'ambiguous' && !allowed.includes(s)) {
          problems.push(`${at} [${label}]: ${h} served by ${s}, allowed ${allowed.join('/')}`)
        }
      }
      if (served[D] === 'router' && (served[B1] !== 'blue' || served[G2] !== 'green')) {
        problems.push(
          `${at} [${label}]: the router 302s to ${B1}=${served[B1]} / ${G2}=${served[G2]}`
        )
      }
    }
  })
  return { problems, final: latest }
}

function finalProblems(final: Configs, state: string): string[] {
  const out: string[] = []
  for (const h of [D, B1, G2]) {
    const s = servedBy(final, h)
    if (s !== TARGET_SERVES[state]?.[h]) out.push(`${h} ends served by ${s}`)
  }
  return out
}

function check(o: Observed, ratio: string, extra: Partial<PlanRequest> = {}) {
  const r = request(ratio, { greenAliasConsent: true, ...extra })
  const p = plan(o, r)
  const { problems, final } = replay(o, p.steps, p.state)
  return {
    p,
    problems: [...problems, ...finalProblems(final, p.state)],
    kinds: p.steps.map((s) => s.kind)
  }
}

// ---------------------------------------------------------------------------------------------

/** Router tags as a finished run leaves them. */
const TAGS = (ratio: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'bluegreen:domain': D,
  'bluegreen:blue': 'B',
  'bluegreen:green': 'G',
  'bluegreen:weights': ratio,
  ...extra
})
const SWITCHED = { 'bluegreen:switched-at': '2026-05-01T00:00:00.000Z' }
const NONE = () => observed({ blue: [D], green: [G2] })
const SPLIT = (mode: RouterMode = 'edge') =>
  observed({ blue: [W], green: [G2], router: router([D], mode, { tags: TAGS('9:1') }) })
const ALL_GREEN = () =>
  observed({
    blue: [],
    green: [D, W].sort(),
    router: router([], 'pass-green', { tags: TAGS('0:1', SWITCHED) })
  })

describe('step orders for each transition keep the invariant in every edge view', () => {
  test('none → split: blue swaps D for the wildcard, wait, then the router takes D (DESIGN order)', () => {
    const { kinds, problems, p } = check(NONE(), '9:1')
    expect(problems).toEqual([])
    expect(kinds).toEqual(['update', 'wait', 'edge-code', 'edge-version', 'router-create', 'wait'])
    expect(p.steps[0]).toMatchObject({ kind: 'update', dist: 'blue', aliases: [W] })
  })

  test('ratio change inside split: one edge version, one router update, one wait (plus tags)', () => {
    const { kinds, problems } = check(SPLIT('edge-stale'), '1:1')
    expect(problems).toEqual([])
    expect(kinds).toEqual(['edge-code', 'edge-version', 'router-update', 'wait', 'router-tags'])
  })

  test.each([
    ['split → all-green', () => SPLIT(), '0:1'],
    ['split → all-blue', () => SPLIT(), '1:0'],
    ['none → all-green (no router needed)', NONE, '0:1'],
    ['none → all-blue', NONE, '1:0'],
    ['all-green → split (rollback with the same sides)', ALL_GREEN, '1:1'],
    ['all-green → all-blue', ALL_GREEN, '1:0'],
    [
      'next cycle: old green (holds D and W) is blue, a fresh green holds G2',
      () => observed({ blue: [D, W].sort(), green: [G2] }),
      '9:1'
    ],
    ['a stale clone or hand-edited router → split', () => SPLIT('other'), '9:1']
  ])('%s', (_name, start, ratio) => {
    const { problems, p } = check(start(), ratio)
    expect(problems).toEqual([])
    expect(p.steps.length).toBeGreaterThan(0)
  })

  test('split → all-green ends with green holding D and W, blue nothing, the router nothing', () => {
    const { p } = check(SPLIT(), '0:1')
    const last = (d: 'blue' | 'green') =>
      p.steps.filter((s) => s.kind === 'update' && s.dist === d).at(-1)
    expect(last('green')).toMatchObject({ aliases: [W, D].sort() })
    expect(last('blue')).toMatchObject({ aliases: [] })
    expect(p.steps.find((s) => s.kind === 'router-update')).toMatchObject({
      aliases: [],
      mode: 'pass-green'
    })
    expect(p.steps.at(-1)).toMatchObject({
      kind: 'router-tags',
      tags: { 'bluegreen:switched-at': NOW.toISOString() }
    })
  })

  test('aliases publish does not manage stay on their distribution', () => {
    const o = observed({ blue: [D, 'static.deep.mg'], green: [G2] })
    const { p } = check(o, '9:1')
    expect(p.steps[0]).toMatchObject({
      kind: 'update',
      dist: 'blue',
      aliases: [W, 'static.deep.mg']
    })
  })

  test('any reachable start state: the plan keeps the invariant and ends in the target, or refuses', () => {
    const managed = [D, W, B1, G2]
    const arb = fc.record({
      owner: fc.array(fc.constantFrom('blue', 'green', 'router', 'none'), {
        minLength: 4,
        maxLength: 4
      }),
      router: fc.boolean(),
      mode: fc.constantFrom<RouterMode>('edge', 'edge-stale', 'pass-blue', 'pass-green', 'other'),
      ratio: fc.constantFrom('9:1', '1:1', '0:1', '1:0')
    })
    let planned = 0
    fc.assert(
      fc.property(arb, ({ owner, router: hasRouter, mode, ratio }) => {
        const held = (who: string) => managed.filter((_, i) => owner[i] === who)
        // The router only ever holds D.
        const routerAliases = hasRouter ? held('router').filter((a) => a === D) : []
        const extra = hasRouter ? held('router').filter((a) => a !== D) : held('router')
        const o = observed({
          blue: [...held('blue'), ...extra].sort(),
          green: held('green').sort(),
          ...(hasRouter ? { router: router(routerAliases, mode) } : {})
        })
        let result
        try {
          result = check(o, ratio)
        } catch (error) {
          expect(error).toBeInstanceOf(BlueGreenError)
          return
        }
        planned += 1
        expect(result.problems).toEqual([])
      }),
      { numRuns: 400, seed: 42 }
    )
    expect(planned).toBeGreaterThan(300)
  })
})

describe('idempotence and partial states', () => {
  test('target equal to the current state: no step at all', () => {
    expect(check(SPLIT('edge'), '9:1').kinds).toEqual([])
    expect(check(ALL_GREEN(), '0:1').kinds).toEqual([])
    expect(check(observed({ blue: [D, W].sort(), green: [] }), '1:0').kinds).toEqual([])
  })

  test('a run that died after blue took the wildcard is finished by the next run', () => {
    const { kinds, problems } = check(observed({ blue: [W], green: [G2] }), '9:1')
    expect(problems).toEqual([])
    expect(kinds).toEqual(['edge-code', 'edge-version', 'router-create', 'wait'])
  })

  test('a run that died before tagging: the next run only rewrites the tags, and cleanup does not trust an older switch time', () => {
    const o = ALL_GREEN()
    if (o.router) o.router.tags = TAGS('9:1', SWITCHED) // tags of the split before the switch
    const { p } = check(o, '0:1')
    expect(p.steps).toHaveLength(1)
    expect(p.steps[0]).toMatchObject({
      kind: 'router-tags',
      tags: { 'bluegreen:switched-at': NOW.toISOString() }
    })
    expect(() => plan(o, request('0:1', { cleanup: true }))).toThrow(/no record of the full switch/)
  })

  test('a change still InProgress is waited for before anything else', () => {
    const o = observed({ blue: [W], green: [G2] })
    o.blue = { ...o.blue, deployed: false }
    const { kinds } = check(o, '9:1')
    expect(kinds[0]).toBe('wait')
    expect(kinds.slice(1)).toEqual(['edge-code', 'edge-version', 'router-create', 'wait'])
  })

  test('wait: false drops only the last barrier', () => {
    const { kinds } = check(NONE(), '9:1', { wait: false })
    expect(kinds).toEqual(['update', 'wait', 'edge-code', 'edge-version', 'router-create'])
  })
})

describe('DNS', () => {
  const withZone = (o: Observed, records: Observed['records']): Observed => ({
    ...o,
    dnsMode: 'route53',
    zones: [D, B1, G2].map((host) => ({ host, zoneId: 'Z1', zoneName: 'deep.mg' })),
    resolution: undefined,
    records
  })

  test('B1 and G2 records once blue and green hold the names, before the edge goes on; D after the router exists', () => {
    const { p } = check(withZone(NONE(), []), '9:1')
    const dns = p.steps.filter((s) => s.kind === 'dns')
    // none → split: blue takes the wildcard (B1), the wait, then the records, then the edge.
    expect(p.steps.slice(0, 7).map((s) => s.kind)).toEqual([
      'update',
      'wait',
      'dns',
      'edge-code',
      'edge-version',
      'dns-sync',
      'router-create'
    ])
    expect(p.steps[0]).toMatchObject({ kind: 'update', dist: 'blue', aliases: [W] })
    expect(dns[0]).toMatchObject({
      records: [
        { name: B1, type: 'A', dist: 'blue' },
        { name: G2, type: 'A', dist: 'green' }
      ]
    })
    expect(p.steps.at(-1)).toMatchObject({
      kind: 'dns',
      records: [{ name: D, type: 'A', dist: 'router' }]
    })
    expect(p.steps.findIndex((s) => s.kind === 'router-create')).toBeLessThan(p.steps.length - 1)
  })

  test('records that already point right are left alone; AAAA only with IPv6', () => {
    const o = withZone(SPLIT(), [
      { name: D, type: 'A', aliasTarget: 'r.cloudfront.net' },
      { name: B1, type: 'A', aliasTarget: 'b.cloudfront.net' },
      { name: G2, type: 'A', aliasTarget: 'g.cloudfront.net' }
    ])
    expect(check(o, '9:1').kinds).toEqual([])
    o.green = { ...o.green, ipv6: true }
    const { p } = check(o, '9:1')
    expect(p.steps).toEqual([
      expect.objectContaining({ kind: 'dns', records: [{ name: G2, type: 'AAAA', dist: 'green' }] })
    ])
  })

  test('an AAAA record left from an IPv6 router is repointed, so cleanup cannot strand it', () => {
    const o = withZone(SPLIT(), [
      { name: D, type: 'A', aliasTarget: 'r.cloudfront.net' },
      { name: D, type: 'AAAA', aliasTarget: 'r.cloudfront.net' }
    ])
    const { p } = check(o, '0:1')
    const dns = p.steps.filter((s) => s.kind === 'dns').flatMap((s) => s.records)
    expect(dns).toContainEqual({ name: D, type: 'AAAA', dist: 'green' })
  })

  test('manual DNS lists every record the target needs and warns', () => {
    const { p } = check(NONE(), '0:1')
    expect(p.dnsMode).toBe('manual')
    // CNAMEs to the distribution's domain: what an outside DNS provider needs.
    expect(p.records.map((r) => `${r.name} ${r.type} ${r.dist}`)).toEqual([
      `${D} CNAME green`,
      `${B1} CNAME green`,
      `${G2} CNAME green`
    ])
    expect(p.steps.some((s) => s.kind === 'dns')).toBe(false)
    expect(p.warnings.join(' ')).toMatch(/manual/)
  })
})

describe('preflight refuses before any change, saying how to fix it', () => {
  const refuse = (o: Observed, r: PlanRequest): string => {
    try {
      plan(o, r)
    } catch (error) {
      expect(error).toBeInstanceOf(BlueGreenError)
      return (error as Error).message
    }
    throw new Error('plan did not refuse')
  }

  test('the wildcard held by another distribution: the seed’s message, naming it', () => {
    const o = observed({
      blue: [D],
      green: [G2],
      extra: { others: [{ id: 'EOTHER', aliases: [W], enabled: true }] }
    })
    const message = refuse(o, request('9:1', { greenAliasConsent: true }))
    expect(message).toContain(
      'In order to avoid DNS lags and unexpected behavior, bluegreen publish requires wildcarded SSL'
    )
    expect(message).toContain('Please release it from other CloudFront distribution')
    expect(message).toContain('EOTHER')
  })

  test('a certificate that does not cover the wildcard blue must hold', () => {
    const o = observed({ blue: [D], green: [G2] })
    o.blue = { ...o.blue, certNames: [D] }
    expect(refuse(o, request('9:1', { greenAliasConsent: true }))).toMatch(
      /certificate of the blue distribution B .* does not cover \*\.deep\.mg/
    )
  })

  test('the default CloudFront certificate covers none of the names', () => {
    const o = observed({ blue: [D], green: [] })
    o.green = { ...o.green, certNames: [] }
    expect(refuse(o, request('0:1'))).toMatch(/green distribution G .* does not cover/)
  })

  test('green without G2 and no consent: say update-green-alias', () => {
    const o = observed({ blue: [D], green: [] })
    expect(refuse(o, request('9:1'))).toMatch(/update-green-alias: true/)
    expect(() => plan(o, request('9:1', { greenAliasConsent: true }))).not.toThrow()
  })

  test('dns: route53 without a readable zone', () => {
    expect(refuse(NONE(), request('9:1', { dns: 'route53', greenAliasConsent: true }))).toMatch(
      /hosted zone/
    )
  })

  test('cleanup with a split ratio', () => {
    expect(refuse(SPLIT(), request('9:1', { cleanup: true }))).toMatch(/1:0 or 0:1/)
  })

  test('cleanup before cleanup-min-age: the time left', () => {
    const o = ALL_GREEN()
    if (o.router) {
      o.router.tags = TAGS('0:1', { 'bluegreen:switched-at': '2026-06-01T11:00:00.000Z' })
    }
    expect(refuse(o, request('0:1', { cleanup: true }))).toMatch(/1h ago.*23h are left/)
  })

  test('cleanup in the run that makes the switch is refused unless cleanup-min-age is 0', () => {
    expect(refuse(SPLIT(), request('0:1', { cleanup: true }))).toMatch(/made by this run/)
    const { problems, kinds } = check(SPLIT(), '0:1', { cleanup: true, cleanupMinAgeMs: 0 })
    expect(problems).toEqual([])
    expect(kinds.slice(-4)).toEqual(['router-disable', 'wait', 'router-delete', 'edge-delete'])
  })
})

describe('cleanup', () => {
  test('after cleanup-min-age: disable the router, wait, delete it, delete the function; warn', () => {
    const { p, problems } = check(ALL_GREEN(), '0:1', { cleanup: true })
    expect(problems).toEqual([])
    expect(p.steps.map((s) => s.kind)).toEqual([
      'router-disable',
      'wait',
      'router-delete',
      'edge-delete'
    ])
    expect(p.warnings).toContain(CLEANUP_WARNING)
  })

  test('a cleanup that died after disabling resumes without re-enabling the router', () => {
    const o = ALL_GREEN()
    if (o.router) o.router = { ...o.router, enabled: false }
    expect(check(o, '0:1', { cleanup: true }).kinds).toEqual(['router-delete', 'edge-delete'])
  })

  test('the function left by a cleanup whose delete failed is retried later', () => {
    const o = observed({ blue: [], green: [D, W].sort(), extra: { edgeFunctionExists: true } })
    expect(check(o, '0:1', { cleanup: true }).kinds).toEqual(['edge-delete'])
  })
})

describe('the edge package and names', () => {
  const code = 'exports.handler = async (e) => e.Records[0].cf.request\n'
  const build = (blue: number, green: number) =>
    buildEdgePackage({ code, blueHost: B1, greenHost: G2, weights: { blue, green } })

  test('the zip holds index.js and a config.json the handler accepts', () => {
    const pkg = build(9, 1)
    const files = unzipSync(pkg.zip)
    expect(Object.keys(files).sort()).toEqual(['config.json', 'index.js'])
    expect(strFromU8(files['index.js'] ?? new Uint8Array())).toBe(code)
    const config: unknown = JSON.parse(strFromU8(files['config.json'] ?? new Uint8Array()))
    expect(validateConfig(config)).toEqual({
      version: pkg.config.version,
      blueHost: B1,
      greenHost: G2,
      weights: { blue: 9, green: 1 },
      cookieName: 'bluegreen',
      cookieMaxAgeSeconds: 86400
    })
  })

  test('same inputs, same bytes (so a re-run recognises its version); new weights, new version', () => {
    expect(build(9, 1).zip).toEqual(build(9, 1).zip)
    expect(build(9, 1).description).toBe(build(9, 1).description)
    expect(build(1, 1).description).not.toBe(build(9, 1).description)
    expect(build(1, 1).config.version).not.toBe(build(9, 1).config.version)
  })

  test('function names follow the domain and stay within 64 characters', () => {
    expect(edgeFunctionName('www.deep.mg')).toBe('bluegreen-router-www-deep-mg')
    const long = `${'a'.repeat(60)}.example.com`
    expect(edgeFunctionName(long).length).toBeLessThanOrEqual(64)
    expect(edgeFunctionName(long)).not.toBe(edgeFunctionName(`${'a'.repeat(60)}.example.org`))
  })
})

describe('manual DNS in two phases', () => {
  const notResolving = (o: Observed, hosts = [B1, G2]): Observed => ({
    ...o,
    resolution: [B1, G2].map((host) => ({
      host,
      resolves: !hosts.includes(host),
      detail: hosts.includes(host) ? 'no such name (NXDOMAIN)' : 'CNAME x.cloudfront.net'
    }))
  })

  test('phase 1 (B1/G2 not resolving): blue takes W, no router, B1/G2 CNAMEs printed, a warning', () => {
    const { p, problems } = check(notResolving(NONE()), '9:1')
    expect(p.phase).toBe('records-first')
    expect(p.steps.map((s) => s.kind)).toEqual(['update', 'wait'])
    expect(p.steps[0]).toMatchObject({ dist: 'blue', aliases: [W] })
    expect(p.records.map((r) => `${r.name} ${r.type} ${r.dist}`)).toEqual([
      `${B1} CNAME blue`,
      `${G2} CNAME green`
    ])
    expect(p.warnings.join(' ')).toMatch(/www1\.deep\.mg: no such name.*re-run this publish/)
    // The replay's target is split, which phase 1 does not reach: only its own problems count.
    expect(problems.filter((x) => !x.includes('ends served by'))).toEqual([])
  })

  test('phase 1 again while one name still does not resolve: nothing to do, and it says which', () => {
    const { p } = check(notResolving(observed({ blue: [W], green: [G2] }), [B1]), '9:1')
    expect(p.steps).toEqual([])
    expect(p.warnings.join(' ')).toMatch(/www1\.deep\.mg: no such name/)
    expect(p.warnings.join(' ')).toMatch(/www2\.deep\.mg: resolves/)
  })

  test('phase 2 (both resolve): the router, then nothing more to wait for', () => {
    const { p, problems } = check(observed({ blue: [W], green: [G2] }), '9:1')
    expect(problems).toEqual([])
    expect(p.phase).toBe('complete')
    expect(p.steps.map((s) => s.kind)).toEqual([
      'edge-code',
      'edge-version',
      'router-create',
      'wait'
    ])
    expect(p.records.map((r) => `${r.name} ${r.type} ${r.dist}`)).toContain(`${D} CNAME router`)
  })

  test('from all-green, phase 1 keeps D on green and moves only W to blue', () => {
    const o = notResolving(
      observed({ blue: [], green: [D, W].sort(), router: router([], 'pass-green') })
    )
    const { p } = check(o, '1:1')
    const blue = p.steps.filter((s) => s.kind === 'update' && s.dist === 'blue')
    expect(blue.at(-1)).toMatchObject({ aliases: [W] })
    expect(p.steps.some((s) => s.kind.startsWith('router'))).toBe(false)
    expect(p.steps.filter((s) => s.kind === 'update' && s.dist === 'green').at(-1)).toMatchObject({
      aliases: [D, G2].sort()
    })
  })

  test('a router already answering D keeps answering (its records were made); a missing one is warned about', () => {
    const o = notResolving(SPLIT('edge-stale'), [G2])
    const { p } = check(o, '1:1')
    expect(p.phase).toBe('complete')
    expect(p.steps.some((s) => s.kind === 'router-update')).toBe(true)
    expect(p.warnings.join(' ')).toMatch(/www2\.deep\.mg does not resolve to CloudFront/)
  })
})

describe('the edge function: each change its own row, decided from what discover read', () => {
  const split = (edge: Partial<EdgeFacts>) =>
    check(observed({ blue: [W], green: [G2], extra: { edge: { ...EDGE, ...edge } } }), '9:1').kinds

  test('nothing there yet: role, its policy, function, version', () => {
    expect(split({ roleArn: undefined, rolePolicyAttached: false, fn: undefined })).toEqual([
      'edge-role',
      'edge-role-policy',
      'edge-function',
      'edge-version',
      'router-create',
      'wait'
    ])
  })

  test('a role without its logging policy (a run died between the two): the policy, then on', () => {
    expect(split({ rolePolicyAttached: false, fn: undefined }).slice(0, 2)).toEqual([
      'edge-role-policy',
      'edge-function'
    ])
  })

  test('a function an older release made on nodejs20.x: runtime first, then code', () => {
    const fn = { runtime: 'nodejs20.x', codeSha256: 'old', state: 'Active', lastUpdateStatus: '' }
    expect(split({ fn }).slice(0, 3)).toEqual(['edge-runtime', 'edge-code', 'edge-version'])
  })

  test('the code already uploaded (a run died before publishing): only the version', () => {
    const fn = { runtime: 'nodejs22.x', codeSha256: 'new', state: 'Active', lastUpdateStatus: '' }
    expect(split({ fn }).slice(0, 2)).toEqual(['edge-version', 'router-create'])
  })

  test('a version already carrying the package is reused: no edge row at all', () => {
    expect(split({ desiredVersionArn: 'arn:aws:lambda:us-east-1:1:function:f:3' })).toEqual([
      'router-create',
      'wait'
    ])
  })
})

describe('preflight: what real distributions carry', () => {
  const refuse = (o: Observed, r: PlanRequest = request('9:1', { greenAliasConsent: true })) => {
    try {
      plan(o, r)
    } catch (error) {
      expect(error).toBeInstanceOf(BlueGreenError)
      return (error as Error).message
    }
    throw new Error('plan did not refuse')
  }

  test.each([
    [
      'a continuous-deployment policy on blue',
      { continuousDeployment: 'primary' as const },
      /continuous-deployment policy attached.*Promote or discard/
    ],
    [
      'a staging distribution as blue',
      { continuousDeployment: 'staging' as const },
      /staging distribution.*primary/
    ],
    [
      'a multi-tenant distribution as blue',
      { connectionMode: 'tenant-only' },
      /multi-tenant.*ConnectionMode: tenant-only/
    ]
  ])('%s: refused, naming the setting and the fix', (_name, facts, message) => {
    const o = NONE()
    o.blue = { ...o.blue, ...facts }
    expect(refuse(o)).toMatch(message)
  })

  test('a disabled distribution holding G2 keeps it: refused, and the message says so', () => {
    const o = observed({
      blue: [D],
      green: [],
      extra: { others: [{ id: 'EOLD', aliases: [G2], enabled: false }] }
    })
    expect(refuse(o)).toMatch(
      /EOLD holds www2\.deep\.mg \(it is disabled, but a disabled distribution keeps its aliases/
    )
  })

  test('the planner treats a disabled holder as holding: a disabled green with G2 leaves G2 unserved, so green must be enabled', () => {
    const o = NONE()
    o.green = { ...o.green, enabled: false }
    expect(refuse(o)).toMatch(/green distribution G is disabled/)
  })

  test('routing-policy records (SetIdentifier) at D, B1 or G2 in Route53: refused', () => {
    const o: Observed = {
      ...NONE(),
      dnsMode: 'route53',
      zones: [D, B1, G2].map((host) => ({ host, zoneId: 'Z1', zoneName: 'deep.mg' })),
      records: [{ name: D, type: 'A', aliasTarget: 'b.cloudfront.net', setIdentifier: 'eu' }]
    }
    expect(refuse(o)).toMatch(/routing policy \(SetIdentifier "eu"/)
  })

  test('a name delegated to a zone this role cannot see: refused', () => {
    const o: Observed = {
      ...NONE(),
      dnsMode: 'route53',
      zones: [D, B1, G2].map((host) => ({ host, zoneId: 'Z1', zoneName: 'deep.mg' })),
      delegations: [{ host: B1, name: B1, zoneName: 'deep.mg' }]
    }
    expect(refuse(o)).toMatch(/www1\.deep\.mg is delegated: zone deep\.mg has NS records/)
  })

  test('B1 in a delegated sub-zone: its record is written into that zone, one change batch per zone', () => {
    const o: Observed = {
      ...NONE(),
      dnsMode: 'route53',
      resolution: undefined,
      zones: [
        { host: D, zoneId: 'Z1', zoneName: 'deep.mg' },
        { host: B1, zoneId: 'Z2', zoneName: 'www1.deep.mg' },
        { host: G2, zoneId: 'Z1', zoneName: 'deep.mg' }
      ]
    }
    const { p } = check(o, '9:1')
    const batches = p.steps.filter((s) => s.kind === 'dns')
    expect(batches.map((s) => [s.zoneId, s.records.map((r) => r.name)])).toEqual([
      ['Z2', [B1]],
      ['Z1', [G2]],
      ['Z1', [D]]
    ])
  })
})

describe("a ramp's record in the router's tags", () => {
  const RAMP_TAGS = {
    'bluegreen:ramp': '10 25 50 100',
    'bluegreen:ramp-step': '2',
    'bluegreen:ramp-mark': ''
  }

  test('rides in the same TagResource as the router tags, after every other step', () => {
    const { p, problems } = check(SPLIT('edge-stale'), '3:1', { rolloutTags: RAMP_TAGS })
    expect(problems).toEqual([])
    const tags = p.steps.filter((s) => s.kind === 'router-tags')
    expect(tags).toHaveLength(1)
    expect(p.steps.at(-1)).toMatchObject({
      kind: 'router-tags',
      tags: { 'bluegreen:weights': '3:1', ...RAMP_TAGS }
    })
  })

  test('a router this run creates gets it at the end, not at its creation', () => {
    const { p, kinds } = check(NONE(), '9:1', { rolloutTags: RAMP_TAGS })
    expect(kinds.at(-1)).toBe('router-tags')
    const create = p.steps.find((s) => s.kind === 'router-create')
    expect(create?.kind === 'router-create' ? create.tags : {}).not.toHaveProperty('bluegreen:ramp')
  })

  test('alone when only the record changed (a step already in force), and nothing when it is there', () => {
    expect(check(SPLIT(), '9:1', { rolloutTags: RAMP_TAGS }).kinds).toEqual(['router-tags'])
    const o = SPLIT()
    if (o.router !== undefined) o.router.tags = { ...o.router.tags, ...RAMP_TAGS }
    expect(check(o, '9:1', { rolloutTags: RAMP_TAGS }).kinds).toEqual([])
  })

  test('a rollback records itself first, before any change, and not when nothing changes', () => {
    const first = { ...RAMP_TAGS, 'bluegreen:ramp-mark': 'rolled-back' }
    const { p, problems } = check(SPLIT(), '1:0', { rolloutTags: first, rolloutFirst: first })
    expect(problems).toEqual([])
    expect(p.steps[0]).toMatchObject({ kind: 'router-tags', tags: first })
    expect(p.steps[0]?.description).toContain('before changing anything')
    expect(p.steps.at(-1)).toMatchObject({
      kind: 'router-tags',
      tags: { 'bluegreen:weights': '1:0' }
    })
    const allBlue = observed({
      blue: [D, W].sort(),
      green: [],
      router: router([], 'pass-blue', { tags: TAGS('1:0', SWITCHED) })
    })
    expect(check(allBlue, '1:0', { rolloutTags: first, rolloutFirst: first }).kinds).toEqual([
      'router-tags'
    ])
  })
})

describe('now → planned: who serves D, B1 and G2 before and after a plan', () => {
  const transition = (o: Observed, ratio: string, extra: Partial<PlanRequest> = {}) => {
    const r = request(ratio, { greenAliasConsent: true, ...extra })
    return transitionOf(o, plan(o, r), r.weights)
  }

  test('first split: all-blue with B1 unserved now; the router by 9:1, blue and green planned', () => {
    const t = transition(NONE(), '9:1')
    expect(t.before).toEqual({
      state: 'all-blue',
      weights: { blue: 1, green: 0 },
      hosts: { [D]: 'blue', [B1]: undefined, [G2]: 'green' }
    })
    expect(t.after).toEqual({
      state: 'split',
      weights: { blue: 9, green: 1 },
      hosts: { [D]: 'router', [B1]: 'blue', [G2]: 'green' }
    })
    expect(t.ids).toEqual({ blue: 'B', green: 'G', router: undefined })
    expect(t.waitsForDns).toBe(false)
  })

  test("a split at the ratio the router's tags record, to 0:1: green serves every name after", () => {
    const t = transition(SPLIT(), '0:1')
    expect(t.before).toMatchObject({ state: 'split', weights: { blue: 9, green: 1 } })
    expect(t.before.hosts).toEqual({ [D]: 'router', [B1]: 'blue', [G2]: 'green' })
    expect(t.after).toEqual({
      state: 'all-green',
      weights: { blue: 0, green: 1 },
      hosts: { [D]: 'green', [B1]: 'green', [G2]: 'green' }
    })
    expect(t.ids.router).toBe('R')
  })

  test("a router whose tags record another pair: split, ratio unknown (not another pair's ratio)", () => {
    const o = observed({
      blue: [W],
      green: [G2],
      router: router([D], 'edge', { tags: { ...TAGS('3:1'), 'bluegreen:blue': 'OTHER' } })
    })
    expect(transition(o, '1:1').before).toMatchObject({ state: 'split', weights: undefined })
  })

  test('manual DNS phase 1: D stays on blue, and the plan says the router waits for the records', () => {
    const o: Observed = {
      ...NONE(),
      resolution: [B1, G2].map((host) => ({ host, resolves: false, detail: 'NXDOMAIN' }))
    }
    const t = transition(o, '9:1')
    expect(t.waitsForDns).toBe(true)
    expect(t.after).toMatchObject({ state: 'all-blue', hosts: { [D]: 'blue', [B1]: 'blue' } })
  })

  test('links follow the state: after 0:1 the blue hostname says green serves it', () => {
    const t = transition(SPLIT(), '0:1')
    expect(linksOf(t.names, t.after).map((l) => l.label)).toEqual([
      `${D} (viewers, served by green)`,
      `${B1} (blue's hostname, served by green)`,
      `${G2} (green's hostname)`
    ])
    expect(linksOf(t.names, t.before).map((l) => l.label)).toEqual([
      `${D} (viewers, split 9:1 by the router)`,
      `${B1} (blue's hostname)`,
      `${G2} (green's hostname)`
    ])
    expect(linksOf(t.names, undefined).map((l) => l.label)).toEqual([
      `${D} (viewers)`,
      `${B1} (blue's hostname)`,
      `${G2} (green's hostname)`
    ])
  })

  test('once the router is created, its rows and DNS rows name its real id and domain', () => {
    const o = NONE()
    const p = plan(o, request('9:1', { greenAliasConsent: true }))
    const report = newReport('publish', false)
    report.plan = p.steps.map((s) => ({
      description: s.description,
      resource: s.resource,
      status: 'planned'
    }))
    report.dns = [
      { name: D, type: 'CNAME', target: '(the router this run creates)', status: 'planned' }
    ]
    report.transition = transitionOf(o, p, { blue: 9, green: 1 })
    expect(report.plan.map((r) => r.resource)).toContain('(new router)')
    nameNewRouter(report, 0, { id: 'E2ROUTER', domainName: 'd9.cloudfront.net' })
    const text = JSON.stringify(report.plan)
    expect(text).not.toContain('(new router)')
    expect(report.plan.map((r) => r.resource)).toContain('E2ROUTER')
    expect(report.dns[0]?.target).toBe('d9.cloudfront.net')
    expect(report.transition.ids.router).toBe('E2ROUTER')
  })
})
