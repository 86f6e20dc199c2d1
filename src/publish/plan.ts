/**
 * The publish planner, pure: observed state + request → ordered steps with wait barriers.
 *
 * How it keeps the zero-downtime invariant (DESIGN.md 2) without a hand-written order per
 * transition:
 * 1. The aliases we manage (D, W, B1, G2) and the router's mode form a small abstract state.
 *    A state is *safe* when every hostname served before the run is served by exactly one
 *    matching alias (exact beats wildcard; two exact holders of one name would be ambiguous),
 *    by a colour allowed for it (its colour before the run or in the target), and, while the
 *    router's edge function serves D, B1 is blue and G2 is green (the 302s land right).
 * 2. A breadth-first search over single-distribution updates (each alias set must be covered by
 *    that distribution's certificate; an alias is held by one distribution at most) finds the
 *    shortest path of safe states from the observed state to the target.
 * 3. Steps are grouped into batches that may reach the edges in any order: a batch is kept only
 *    when every mix of "already applied / not yet" of its steps is safe; a wait barrier
 *    (Deployed) closes each batch. So a step that removes coverage always waits for the step
 *    that adds the replacement.
 * Every run plans from what it observes, so a run that died halfway is finished by the next.
 */
import { BlueGreenError } from '../errors.js'
import { type DnsMode, formatRatio, type Weights } from '../inputs.js'
import type { PublishState } from '../report.js'
import { covers } from '../aws/acm.js'

export type Colour = 'blue' | 'green'
export type DistKey = 'blue' | 'green' | 'router'

/**
 * What the router distribution does: `edge` = the desired edge version on every behaviour of a
 * clone of blue; `edge-stale` = an edge version, but not the desired one (or a stale clone);
 * `pass-blue` / `pass-green` = a clone of that side without the edge function; `other` = none of
 * these (hand-edited).
 */
export type RouterMode = 'edge' | 'edge-stale' | 'pass-blue' | 'pass-green' | 'other'
/** Modes the planner can put the router into. */
export type TargetRouterMode = 'edge' | 'pass-blue' | 'pass-green'

export interface DistFacts {
  id: string
  /** dxxxx.cloudfront.net */
  domainName: string
  enabled: boolean
  /** Every alias it holds, lower case (ours and others'). */
  aliases: string[]
  /** Names its certificate covers (empty: the default *.cloudfront.net certificate). */
  certNames: string[]
  /** Human name of the certificate, for messages. */
  certificate: string
  ipv6: boolean
  deployed: boolean
}

export interface RouterFacts extends DistFacts {
  mode: RouterMode
  tags: Record<string, string>
}

export interface Names {
  /** D */
  domain: string
  /** A */
  apex: string
  /** W = *.A */
  wildcard: string
  /** B1 */
  blueHost: string
  /** G2 */
  greenHost: string
}

export interface ObservedRecord {
  name: string
  type: string
  /** Alias target DNS name (lower case, no trailing dot); undefined for plain records. */
  aliasTarget: string | undefined
}

export interface Observed {
  names: Names
  blue: DistFacts
  green: DistFacts
  router: RouterFacts | undefined
  /** Distributions other than blue/green/router holding any of D, W, B1, G2. */
  others: { id: string; aliases: string[] }[]
  /** route53 when the zone was found and readable; manual otherwise. */
  dnsMode: 'route53' | 'manual'
  /** Records at D, B1, G2 (route53 mode). */
  records: ObservedRecord[]
  /** Does the edge function exist (read only when cleanup is asked). */
  edgeFunctionExists: boolean
}

export interface PlanRequest {
  weights: Weights
  dns: DnsMode
  cleanup: boolean
  cleanupMinAgeMs: number
  /** Did the operator allow adding G2 to green (update-green-alias, or Y at the prompt)? */
  greenAliasConsent: boolean
  /** Wait for the last change to be Deployed. Intermediate barriers are always kept. */
  wait: boolean
  now: Date
}

export interface WantedRecord {
  name: string
  type: 'A' | 'AAAA'
  /** The distribution the record points at (its domain is known only once it exists). */
  dist: DistKey
}

interface StepBase {
  description: string
  resource: string
}

export type Step = StepBase &
  (
    | { kind: 'edge-version' }
    | { kind: 'update'; dist: 'blue' | 'green'; aliases: string[] }
    | { kind: 'router-create'; aliases: string[]; mode: TargetRouterMode }
    /** `keep`: only the aliases change, on the router's current config. */
    | {
        kind: 'router-update'
        aliases: string[]
        mode: TargetRouterMode | 'keep'
        enabled: boolean
      }
    | { kind: 'wait'; dists: DistKey[] }
    | { kind: 'dns'; records: WantedRecord[] }
    | { kind: 'router-tags'; switched: boolean }
    | { kind: 'router-disable' }
    | { kind: 'router-delete' }
    | { kind: 'edge-delete' }
  )

export interface Plan {
  state: PublishState
  steps: Step[]
  /** Every record the target needs (for the report; manual DNS prints these). */
  records: WantedRecord[]
  dnsMode: 'route53' | 'manual'
  warnings: string[]
}

export const ROUTER_TAGS = {
  domain: 'bluegreen:domain',
  blue: 'bluegreen:blue',
  green: 'bluegreen:green',
  weights: 'bluegreen:weights',
  switchedAt: 'bluegreen:switched-at',
  runUrl: 'bluegreen:run-url',
  updatedAt: 'bluegreen:updated-at'
} as const

/** The seed's message when the wildcard is held elsewhere (with the distribution named). */
export function wildcardHeldMessage(wildcard: string, holder: string): string {
  return `${wildcard} is held by CloudFront distribution ${holder}. In order to avoid DNS lags and unexpected behavior, bluegreen publish requires wildcarded SSL (e.g. ${wildcard}) during blue-green deployment process. Please release it from other CloudFront distribution (${holder}) and try again.`
}

export const CLEANUP_WARNING =
  'It is HIGHLY recommended to use cleanup only a couple of hours/days after ratio 0:1 (or 1:0) was executed, because it may create DNS lags or other unexpected behavior.'

export function stateOf(weights: Weights): PublishState {
  if (weights.blue > 0 && weights.green > 0) return 'split'
  return weights.blue > 0 ? 'all-blue' : 'all-green'
}

// ---------------------------------------------------------------------------------------------
// The abstract state the search runs over.

interface RouterAbs {
  aliases: string[]
  mode: RouterMode
  enabled: boolean
}

interface Abs {
  blue: string[]
  green: string[]
  router: RouterAbs | undefined
}

type ServedBy = Colour | 'router' | 'other'

interface Target {
  abs: Abs
  /** Colour that serves each host in the target. */
  colours: Record<string, ServedBy>
  routerMode: TargetRouterMode | undefined
}

function sorted(list: Iterable<string>): string[] {
  return [...new Set(list)].sort()
}

function key(s: Abs): string {
  return JSON.stringify(s)
}

function managedOf(names: Names): string[] {
  return [names.domain, names.wildcard, names.blueHost, names.greenHost]
}

function modeColour(mode: RouterMode): ServedBy {
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
  }
}

function holders(s: Abs): { dist: DistKey; aliases: string[]; enabled: boolean }[] {
  const out: { dist: DistKey; aliases: string[]; enabled: boolean }[] = [
    { dist: 'blue', aliases: s.blue, enabled: true },
    { dist: 'green', aliases: s.green, enabled: true }
  ]
  if (s.router !== undefined) {
    out.push({ dist: 'router', aliases: s.router.aliases, enabled: s.router.enabled })
  }
  return out
}

interface Env {
  names: Names
  enabled: Record<'blue' | 'green', boolean>
}

/** Which colour serves `host` in state `s` (undefined: nobody; 'ambiguous': two exact). */
function servedBy(s: Abs, host: string, env: Env): ServedBy | 'ambiguous' | undefined {
  const live = holders(s).filter((h) => (h.dist === 'router' ? h.enabled : env.enabled[h.dist]))
  const exact = live.filter((h) => h.aliases.includes(host))
  const colourOf = (dist: DistKey): ServedBy =>
    dist === 'router' ? modeColour(s.router?.mode ?? 'other') : dist
  if (exact.length > 1) return 'ambiguous'
  const first = exact[0]
  if (first !== undefined) return colourOf(first.dist)
  const wild = live.filter((h) => h.aliases.includes(env.names.wildcard))
  if (wild.length > 1) return 'ambiguous'
  const w = wild[0]
  return w === undefined ? undefined : colourOf(w.dist)
}

/** No name held by two distributions (the control plane's CNAMEAlreadyExists). */
function exclusive(s: Abs): boolean {
  const seen = new Set<string>()
  for (const h of holders(s)) {
    for (const a of h.aliases) {
      if (seen.has(a)) return false
      seen.add(a)
    }
  }
  return true
}

interface Safety {
  env: Env
  hosts: string[]
  /** Hosts served before the run: they must stay served. */
  mustServe: Set<string>
  allowed: Record<string, Set<ServedBy>>
}

function safe(s: Abs, sf: Safety): boolean {
  const { names } = sf.env
  const colour: Record<string, ServedBy | 'ambiguous' | undefined> = {}
  for (const h of sf.hosts) {
    const c = servedBy(s, h, sf.env)
    colour[h] = c
    if (c === 'ambiguous') return false
    if (c === undefined) {
      if (sf.mustServe.has(h)) return false
      continue
    }
    if (!(sf.allowed[h]?.has(c) ?? false)) return false
  }
  if (colour[names.domain] === 'router') {
    if (colour[names.blueHost] !== 'blue' || colour[names.greenHost] !== 'green') return false
  }
  return true
}

function subsets(items: string[]): string[][] {
  const out: string[][] = []
  for (let mask = 0; mask < 1 << items.length; mask++) {
    out.push(sorted(items.filter((_, i) => (mask & (1 << i)) !== 0)))
  }
  return out
}

interface Move {
  dist: DistKey
  /** Router creation (the router was absent). */
  create: boolean
  next: Abs
}

interface SearchInput {
  start: Abs
  target: Target
  safety: Safety
  /** Can `dist` (router: in `mode`) hold every name of `aliases`? */
  canHold: (dist: DistKey, aliases: string[], mode: RouterMode | undefined) => boolean
  managed: string[]
}

function movesFrom(s: Abs, input: SearchInput): Move[] {
  const out: Move[] = []
  const all = subsets(input.managed)
  const { target } = input
  // Router first (its mode decides what D means), then green, then blue: the search keeps the
  // first shortest path it finds, so this order only breaks ties.
  const routerModes: RouterMode[] = []
  if (s.router === undefined) {
    if (target.routerMode !== undefined) routerModes.push(target.routerMode)
  } else {
    routerModes.push(s.router.mode)
    if (target.routerMode !== undefined && target.routerMode !== s.router.mode) {
      routerModes.push(target.routerMode)
    }
  }
  for (const mode of routerModes) {
    for (const aliases of subsets([input.safety.env.names.domain])) {
      if (!input.canHold('router', aliases, mode)) continue
      // A router without aliases serves nothing: its enabled flag is left as it is (cleanup
      // disables it); one that holds D is enabled.
      const enabled = aliases.length > 0 || (s.router?.enabled ?? true)
      const router: RouterAbs = { aliases, mode, enabled }
      if (s.router !== undefined && key({ ...s, router }) === key(s)) continue
      out.push({ dist: 'router', create: s.router === undefined, next: { ...s, router } })
    }
  }
  for (const dist of ['green', 'blue'] as const) {
    for (const aliases of all) {
      if (key({ ...s, [dist]: aliases }) === key(s)) continue
      if (!input.canHold(dist, aliases, undefined)) continue
      out.push({ dist, create: false, next: { ...s, [dist]: aliases } })
    }
  }
  return out
}

/** Shortest path of safe states; undefined when there is none. */
function search(input: SearchInput): Move[] | undefined {
  const goal = key(input.target.abs)
  const startKey = key(input.start)
  if (startKey === goal) return []
  const prev = new Map<string, { from: string; move: Move } | null>([[startKey, null]])
  let frontier: Abs[] = [input.start]
  while (frontier.length > 0) {
    const next: Abs[] = []
    for (const s of frontier) {
      for (const move of movesFrom(s, input)) {
        const k = key(move.next)
        if (prev.has(k)) continue
        if (!exclusive(move.next) || !safe(move.next, input.safety)) continue
        prev.set(k, { from: key(s), move })
        if (k === goal) {
          const path: Move[] = []
          let at: string = k
          for (let link = prev.get(at); link; link = prev.get(at)) {
            path.unshift(link.move)
            at = link.from
          }
          return path
        }
        next.push(move.next)
      }
    }
    frontier = next
  }
  return undefined
}

function applyMove(s: Abs, m: Move): Abs {
  return m.dist === 'router' ? { ...s, router: m.next.router } : { ...s, [m.dist]: m.next[m.dist] }
}

/**
 * Groups the path into batches whose steps may reach the edges in any order: a step joins the
 * current batch when it touches another distribution and every mix of applied / not applied
 * steps of the batch is safe (the start state itself is accepted as it is).
 */
function batches(start: Abs, path: Move[], safety: Safety): Move[][] {
  const out: Move[][] = []
  let base = start
  let batch: Move[] = []
  const apply = applyMove
  const mixesSafe = (moves: Move[]): boolean => {
    for (let mask = 1; mask < 1 << moves.length; mask++) {
      let s = base
      moves.forEach((m, i) => {
        if ((mask & (1 << i)) !== 0) s = apply(s, m)
      })
      if (key(s) !== key(start) && !safe(s, safety)) return false
    }
    return true
  }
  for (const move of path) {
    const candidate = [...batch, move]
    if (batch.length > 0 && (batch.some((m) => m.dist === move.dist) || !mixesSafe(candidate))) {
      out.push(batch)
      base = batch.reduce(apply, base)
      batch = [move]
    } else {
      batch = candidate
    }
  }
  if (batch.length > 0) out.push(batch)
  return out
}

// ---------------------------------------------------------------------------------------------

function managedAliases(aliases: string[], managed: string[]): string[] {
  return sorted(aliases.filter((a) => managed.includes(a)))
}

function targetOf(observed: Observed, state: PublishState): Target {
  const { names } = observed
  const D = names.domain
  const W = names.wildcard
  const B1 = names.blueHost
  const G2 = names.greenHost
  const existing = observed.router
  switch (state) {
    case 'split':
      return {
        abs: { blue: [W], green: [G2], router: { aliases: [D], mode: 'edge', enabled: true } },
        colours: { [D]: 'router', [B1]: 'blue', [G2]: 'green' },
        routerMode: 'edge'
      }
    case 'all-blue':
    case 'all-green': {
      const colour: Colour = state === 'all-blue' ? 'blue' : 'green'
      const mode: TargetRouterMode = state === 'all-blue' ? 'pass-blue' : 'pass-green'
      const active = sorted([D, W])
      return {
        abs: {
          blue: colour === 'blue' ? active : [],
          green: colour === 'green' ? active : [],
          router:
            existing === undefined ? undefined : { aliases: [], mode, enabled: existing.enabled }
        },
        colours: { [D]: colour, [B1]: colour, [G2]: colour },
        routerMode: existing === undefined ? undefined : mode
      }
    }
  }
}

function absOf(observed: Observed, managed: string[]): Abs {
  const r = observed.router
  return {
    blue: managedAliases(observed.blue.aliases, managed),
    green: managedAliases(observed.green.aliases, managed),
    router:
      r === undefined
        ? undefined
        : { aliases: managedAliases(r.aliases, managed), mode: r.mode, enabled: r.enabled }
  }
}

function certOf(observed: Observed, dist: DistKey, mode: RouterMode | undefined): DistFacts {
  if (dist !== 'router') return observed[dist]
  if (mode === 'edge' || mode === 'pass-blue') return observed.blue
  if (mode === 'pass-green') return observed.green
  return observed.router ?? observed.blue
}

function describeAliases(before: string[], after: string[]): string {
  const add = after.filter((a) => !before.includes(a))
  const drop = before.filter((a) => !after.includes(a))
  const parts = [
    add.length > 0 ? `add ${add.join(', ')}` : '',
    drop.length > 0 ? `drop ${drop.join(', ')}` : ''
  ].filter(Boolean)
  return parts.length > 0 ? parts.join(', ') : 'aliases unchanged'
}

const MODE_TEXT: Record<RouterMode, string> = {
  edge: 'edge function on (302 by ratio), origin = clone of blue',
  'edge-stale': 'edge function (older version)',
  'pass-blue': 'edge function off, pass-through to blue',
  'pass-green': 'edge function off, pass-through to green',
  other: 'unknown configuration'
}

/** Plans publish. Throws BlueGreenError (before anything is changed) on a failed preflight. */
export function plan(observed: Observed, request: PlanRequest): Plan {
  const { names } = observed
  const state = stateOf(request.weights)
  const managed = managedOf(names)
  const warnings: string[] = []
  const ids: Record<DistKey, string> = {
    blue: observed.blue.id,
    green: observed.green.id,
    router: observed.router?.id ?? '(new router)'
  }

  preflight(observed, request, state)

  const target = targetOf(observed, state)
  const start = absOf(observed, managed)
  const hosts = [names.domain, names.blueHost, names.greenHost]
  const env: Env = {
    names,
    enabled: { blue: observed.blue.enabled, green: observed.green.enabled }
  }
  const before = (h: string) => servedBy(start, h, env)
  const allowed: Record<string, Set<ServedBy>> = {}
  const mustServe = new Set<string>()
  for (const h of hosts) {
    const b = before(h)
    const set = new Set<ServedBy>()
    const t = target.colours[h]
    if (t !== undefined) set.add(t)
    if (b !== undefined && b !== 'ambiguous') {
      set.add(b)
      mustServe.add(h)
    }
    allowed[h] = set
  }
  const safety: Safety = { env, hosts, mustServe, allowed }

  const path = search({
    start,
    target,
    safety,
    managed,
    canHold: (dist, aliases, mode) => {
      const facts = certOf(observed, dist, mode)
      return aliases.every((a) => covers(facts.certNames, a))
    }
  })
  if (path === undefined) {
    throw new BlueGreenError(
      `No safe order of changes leads from the current aliases (blue ${ids.blue}: ${start.blue.join(', ') || 'none'}; green ${ids.green}: ${start.green.join(', ') || 'none'}; router: ${start.router?.aliases.join(', ') ?? 'none'}) to ${state} without leaving a hostname unserved. Check that both distributions are enabled and that their certificates cover ${names.wildcard}.`
    )
  }

  const steps: Step[] = []
  let current = start
  const groups = batches(start, path, safety)
  // A change still InProgress (of a run that died, or someone else's) may reach an edge after
  // ours: let it finish before planning on top of it.
  const unsettled = (['blue', 'green', 'router'] as const).filter((d) =>
    d === 'router'
      ? observed.router !== undefined && !observed.router.deployed
      : !observed[d].deployed
  )
  if (path.length > 0 && unsettled.length > 0) {
    steps.push({
      kind: 'wait',
      dists: unsettled,
      description: `Wait until ${unsettled.map((d) => `${d} ${ids[d]}`).join(' and ')} finish${unsettled.length > 1 ? '' : 'es'} an earlier change (Deployed)`,
      resource: unsettled.map((d) => ids[d]).join(', ')
    })
  }
  groups.forEach((group, gi) => {
    for (const move of group) {
      steps.push(...stepsOf(move, current, { observed, request, ids, managed, done: steps }))
      current = applyMove(current, move)
    }
    const last = gi === groups.length - 1
    if (!last || request.wait) {
      const dists = [...new Set(group.map((m) => m.dist))]
      steps.push({
        kind: 'wait',
        dists,
        description: `Wait until ${dists.map((d) => `${d} ${ids[d]}`).join(' and ')} ${dists.length > 1 ? 'are' : 'is'} Deployed`,
        resource: dists.map((d) => ids[d]).join(', ')
      })
    }
  })

  // DNS: what the target needs, and which of it differs from what Route53 holds. For a split,
  // the records of B1 and G2 go before the router's edge goes on: its 302s must land on names
  // that resolve.
  // Every other record follows the CloudFront changes (the order DESIGN.md lists; CloudFront
  // routes by Host, so a record only has to reach CloudFront, but a router this run creates
  // must exist before D can point at it).
  const records = wantedRecords(observed, state)
  const dnsMode = observed.dnsMode
  if (dnsMode === 'route53') {
    const exists = (r: WantedRecord) => r.dist !== 'router' || observed.router !== undefined
    const stale = records.filter(
      (r) =>
        !exists(r) ||
        !observed.records.some(
          (o) =>
            o.name === r.name && o.type === r.type && o.aliasTarget === domainOf(observed, r.dist)
        )
    )
    const dnsStep = (list: WantedRecord[]): Step => ({
      kind: 'dns',
      records: list,
      description: `Route53: ${list.map((r) => `${r.name} ${r.type} → ${r.dist}`).join('; ')}`,
      resource: list.map((r) => r.name).join(', ')
    })
    const first = (r: WantedRecord) => state === 'split' && r.dist !== 'router'
    const early = stale.filter(first)
    const late = stale.filter((r) => !first(r))
    if (early.length > 0) {
      // Just before the router starts sending 302s (its edge version, then its create or
      // update), when blue and green already hold B1 and G2 (a record should only point at a
      // distribution that holds its name); at once when the router already routes.
      const edgeOn = steps.findIndex(
        (s) =>
          s.kind === 'edge-version' ||
          ((s.kind === 'router-create' || s.kind === 'router-update') && s.mode === 'edge')
      )
      steps.splice(edgeOn === -1 ? 0 : edgeOn, 0, dnsStep(early))
    }
    if (late.length > 0) steps.push(dnsStep(late))
  }

  // Router tags: the run's record of weights, sides, and the time of the last full switch
  // (a created router gets them at creation). Tags that do not describe the target (a run died
  // between its last change and its TagResource) are rewritten; the switch time is then "now",
  // later than the real switch, so cleanup-min-age errs on the safe side.
  const router = observed.router
  const changedCloudFront = steps.some((s) => s.kind === 'update' || s.kind === 'router-update')
  const tagsCurrent = router !== undefined && routerTagsDescribe(router, observed, request, state)
  const switched = state !== 'split' && (path.length > 0 || !tagsCurrent)
  if (router !== undefined && !request.cleanup && (changedCloudFront || !tagsCurrent)) {
    steps.push({
      kind: 'router-tags',
      switched,
      description: `Router: record ${formatRatio(request.weights)}${switched ? ' and the time of the full switch' : ''} in its tags`,
      resource: ids.router
    })
  }

  if (request.cleanup) {
    steps.push(...cleanupSteps(observed, request, state, path.length > 0, ids))
    warnings.push(CLEANUP_WARNING)
    if (dnsMode === 'manual' && observed.router !== undefined) {
      warnings.push(
        `DNS is manual: make sure no record still points at the router's domain ${observed.router.domainName}; cleanup deletes that distribution.`
      )
    }
  }
  if (dnsMode === 'manual') {
    warnings.push(
      `DNS is manual: create the records listed under DNS (alias or CNAME to the CloudFront domain) in your DNS provider.`
    )
  }
  return { state, steps, records, dnsMode, warnings }
}

interface StepContext {
  observed: Observed
  request: PlanRequest
  ids: Record<DistKey, string>
  managed: string[]
  /** Steps planned so far (one edge version serves the whole run). */
  done: Step[]
}

/** The step(s) of one move: a distribution update, or a router change (after its edge version). */
function stepsOf(move: Move, current: Abs, c: StepContext): Step[] {
  if (move.dist !== 'router') {
    const facts = c.observed[move.dist]
    const unmanaged = facts.aliases.filter((a) => !c.managed.includes(a))
    const next = move.next[move.dist]
    return [
      {
        kind: 'update',
        dist: move.dist,
        aliases: sorted([...unmanaged, ...next]),
        description: `${move.dist === 'blue' ? 'Blue' : 'Green'} distribution: ${describeAliases(current[move.dist], next)}`,
        resource: facts.id
      }
    ]
  }
  const r = move.next.router
  if (r === undefined) return []
  const out: Step[] = []
  const modeChange = current.router === undefined || current.router.mode !== r.mode
  const mode: TargetRouterMode | 'keep' =
    r.mode === 'edge' || r.mode === 'pass-blue' || r.mode === 'pass-green'
      ? modeChange
        ? r.mode
        : 'keep'
      : 'keep'
  if (mode === 'edge' && !c.done.some((s) => s.kind === 'edge-version')) {
    out.push({
      kind: 'edge-version',
      description: `Lambda@Edge router: publish a version for ${c.request.weights.blue}:${c.request.weights.green}`,
      resource: 'edge function'
    })
  }
  const what = mode === 'keep' ? 'mode unchanged' : MODE_TEXT[mode]
  if (move.create) {
    out.push({
      kind: 'router-create',
      aliases: r.aliases,
      mode: mode === 'keep' ? 'edge' : mode,
      description: `Router: create holding ${r.aliases.join(', ') || 'no alias'}; ${what}`,
      resource: c.ids.router
    })
  } else {
    out.push({
      kind: 'router-update',
      enabled: r.enabled,
      aliases: r.aliases,
      mode,
      description: `Router: ${describeAliases(current.router?.aliases ?? [], r.aliases)}; ${what}`,
      resource: c.ids.router
    })
  }
  return out
}

/** Do the router's tags record this target (weights, sides, and for all-X the switch time)? */
function routerTagsDescribe(
  router: RouterFacts,
  observed: Observed,
  request: PlanRequest,
  state: PublishState
): boolean {
  const t = router.tags
  return (
    t[ROUTER_TAGS.weights] === formatRatio(request.weights) &&
    t[ROUTER_TAGS.blue] === observed.blue.id &&
    t[ROUTER_TAGS.green] === observed.green.id &&
    (state === 'split' || t[ROUTER_TAGS.switchedAt] !== undefined)
  )
}

function domainOf(observed: Observed, dist: DistKey): string | undefined {
  return dist === 'router' ? observed.router?.domainName : observed[dist].domainName
}

/** The records the target state needs: A (and AAAA with IPv6) aliases. */
export function wantedRecords(observed: Observed, state: PublishState): WantedRecord[] {
  const { names } = observed
  const pointsAt: [string, DistKey][] =
    state === 'split'
      ? [
          [names.domain, 'router'],
          [names.blueHost, 'blue'],
          [names.greenHost, 'green']
        ]
      : [names.domain, names.blueHost, names.greenHost].map((n) => [
          n,
          state === 'all-blue' ? 'blue' : 'green'
        ])
  const ipv6 = (dist: DistKey): boolean =>
    dist === 'router' ? (observed.router?.ipv6 ?? observed.blue.ipv6) : observed[dist].ipv6
  // An AAAA record already there is repointed even without IPv6 (CloudFront then answers no
  // address and clients use A): left alone, it would keep pointing at the old distribution,
  // possibly one that cleanup deletes.
  const hasAaaa = (name: string): boolean =>
    observed.records.some((r) => r.name === name && r.type === 'AAAA')
  const out: WantedRecord[] = []
  for (const [name, dist] of pointsAt) {
    out.push({ name, type: 'A', dist })
    if (ipv6(dist) || hasAaaa(name)) out.push({ name, type: 'AAAA', dist })
  }
  return out
}

function preflight(observed: Observed, request: PlanRequest, state: PublishState): void {
  const { names } = observed
  const problems: string[] = []
  for (const other of observed.others) {
    if (other.aliases.includes(names.wildcard)) {
      problems.push(wildcardHeldMessage(names.wildcard, other.id))
    }
    const exact = [names.domain, names.blueHost, names.greenHost].filter((h) =>
      other.aliases.includes(h)
    )
    if (exact.length > 0) {
      problems.push(
        `CloudFront distribution ${other.id} holds ${exact.join(', ')}, which publish moves between blue ${observed.blue.id} and green ${observed.green.id}: remove ${exact.length > 1 ? 'them' : 'it'} there, or pass that distribution as blue or green.`
      )
    }
  }
  // Certificates must cover what each distribution will hold.
  const t = targetOf(observed, state)
  for (const dist of ['blue', 'green'] as const) {
    const facts = observed[dist]
    const missing = t.abs[dist].filter((a) => !covers(facts.certNames, a))
    if (missing.length > 0) {
      problems.push(
        `The certificate of the ${dist} distribution ${facts.id} (${facts.certificate}) does not cover ${missing.join(', ')}, which it must hold for ${state}: attach an ACM certificate (us-east-1) for ${names.wildcard} and ${names.domain}.`
      )
    }
    if (!facts.enabled && t.abs[dist].length > 0) {
      problems.push(
        `The ${dist} distribution ${facts.id} is disabled but must serve ${t.abs[dist].join(', ')} for ${state}: enable it first.`
      )
    }
  }
  if (state === 'split' && !covers(observed.blue.certNames, names.domain)) {
    problems.push(
      `The router clones blue's certificate (${observed.blue.certificate}), which does not cover ${names.domain}: attach a certificate for ${names.wildcard} (it covers ${names.domain}) to blue ${observed.blue.id}.`
    )
  }
  // Green must serve G2 (the router sends green viewers there).
  if (state === 'split' && !request.greenAliasConsent) {
    const g = observed.green.aliases
    if (!g.includes(names.greenHost) && !g.includes(names.wildcard)) {
      problems.push(
        `The green distribution ${observed.green.id} does not hold ${names.greenHost}, where the router sends green viewers. Set \`update-green-alias: true\` to let publish add it (with the CLI: answer Y), or add the alias yourself.`
      )
    }
  }
  if (request.dns === 'route53' && observed.dnsMode !== 'route53') {
    problems.push(
      `dns: route53 needs the hosted zone of ${names.domain} in Route53 (readable by this role); none was found. Create it, or use dns: manual.`
    )
  }
  if (request.cleanup && state === 'split') {
    problems.push(
      `cleanup removes the router, which a split ratio needs: use cleanup with ratio 1:0 or 0:1 (after the full switch).`
    )
  }
  if (problems.length > 0) {
    throw new BlueGreenError(
      problems.length === 1 ? (problems[0] ?? '') : problems.map((p) => `- ${p}`).join('\n')
    )
  }
}

function cleanupSteps(
  observed: Observed,
  request: PlanRequest,
  state: PublishState,
  switching: boolean,
  ids: Record<DistKey, string>
): Step[] {
  const router = observed.router
  const steps: Step[] = []
  if (router !== undefined) {
    const at = routerTagsDescribe(router, observed, request, state)
      ? router.tags[ROUTER_TAGS.switchedAt]
      : undefined
    const since = switching ? request.now : at === undefined ? undefined : new Date(at)
    // No record (a run died before tagging): only a cleanup-min-age of 0 needs no time.
    const unknown = since === undefined || Number.isNaN(since.getTime())
    if (unknown && request.cleanupMinAgeMs > 0) {
      throw new BlueGreenError(
        `cleanup: router ${router.id} has no record of the full switch to ${state} (tag ${ROUTER_TAGS.switchedAt}). Run publish once without cleanup to record it, then again with cleanup after cleanup-min-age.`
      )
    }
    const age = unknown ? 0 : request.now.getTime() - since.getTime()
    if (!unknown && age < request.cleanupMinAgeMs) {
      const left = request.cleanupMinAgeMs - age
      throw new BlueGreenError(
        `cleanup refused: the full switch to ${state} was ${switching ? 'made by this run' : `at ${since.toISOString()}`}, ${formatMs(age)} ago; cleanup-min-age is ${formatMs(request.cleanupMinAgeMs)}, so ${formatMs(left)} are left. ${CLEANUP_WARNING} Re-run with cleanup after that, or lower cleanup-min-age.`
      )
    }
    if (router.enabled || switching) {
      steps.push({
        kind: 'router-disable',
        description: 'Router: disable (it holds no alias any more)',
        resource: ids.router
      })
    }
    if (router.enabled || switching || !router.deployed) {
      steps.push({
        kind: 'wait',
        dists: ['router'],
        description: `Wait until router ${ids.router} is Deployed (disabled)`,
        resource: ids.router
      })
    }
    steps.push({ kind: 'router-delete', description: 'Router: delete', resource: ids.router })
  }
  if (router !== undefined || observed.edgeFunctionExists) {
    steps.push({
      kind: 'edge-delete',
      description:
        'Lambda@Edge router: delete the function and its versions (best effort: replicas may keep it for hours; later runs retry)',
      resource: 'edge function'
    })
  }
  return steps
}

export function formatMs(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return [
    h > 0 ? `${h}h` : '',
    m > 0 ? `${m}m` : '',
    h === 0 && (sec > 0 || m === 0) ? `${sec}s` : ''
  ]
    .filter(Boolean)
    .join('')
}
