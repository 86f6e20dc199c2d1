/**
 * The search over alias moves, pure. How it keeps the zero-downtime invariant
 * without a hand-written order per transition:
 * 1. The aliases we manage (D, W, B1, G2) and the router's mode form a small abstract state.
 *    A state is *safe* when every hostname served before the run is served by exactly one
 *    matching alias (exact beats wildcard; two exact holders of one name would be ambiguous),
 *    by a colour allowed for it (its colour before the run or in the target), and, while the
 *    router's edge function serves D, B1 is blue and G2 is green (the 302s land right). A
 *    disabled distribution keeps its aliases (AWS serves nothing for them while it holds them):
 *    it wins the host match and the host is not served.
 * 2. A breadth-first search over single-distribution updates (each alias set must be covered by
 *    that distribution's certificate; an alias is held by one distribution at most) finds the
 *    shortest path of safe states from the observed state to the target.
 * 3. Steps are grouped into batches that may reach the edges in any order: a batch is kept only
 *    when every mix of "already applied / not yet" of its steps is safe; a wait barrier
 *    (Deployed) closes each batch. So a step that removes coverage always waits for the step
 *    that adds the replacement.
 */
import { covers } from './hostnames.js'
import type {
  Colour,
  DistFacts,
  DistKey,
  Names,
  Observed,
  PublishState,
  RouterMode,
  ServedBy,
  TargetRouterMode
} from './types.js'

export type { ServedBy } from './types.js'

export interface RouterAbs {
  aliases: string[]
  mode: RouterMode
  enabled: boolean
}

export interface Abs {
  blue: string[]
  green: string[]
  router: RouterAbs | undefined
}

export interface Target {
  abs: Abs
  /** Colour that serves each host in the target. */
  colours: Record<string, ServedBy>
  routerMode: TargetRouterMode | undefined
}

export interface Move {
  dist: DistKey
  /** Router creation (the router was absent). */
  create: boolean
  next: Abs
}

export function sorted(list: Iterable<string>): string[] {
  return [...new Set(list)].sort()
}

function key(s: Abs): string {
  return JSON.stringify(s)
}

export function managedOf(names: Names): string[] {
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

interface Holder {
  dist: DistKey
  aliases: string[]
  enabled: boolean
}

interface Env {
  names: Names
  enabled: Record<'blue' | 'green', boolean>
}

function holders(s: Abs, env: Env): Holder[] {
  const out: Holder[] = [
    { dist: 'blue', aliases: s.blue, enabled: env.enabled.blue },
    { dist: 'green', aliases: s.green, enabled: env.enabled.green }
  ]
  if (s.router !== undefined) {
    out.push({ dist: 'router', aliases: s.router.aliases, enabled: s.router.enabled })
  }
  return out
}

/**
 * Which colour serves `host` in state `s` (undefined: nobody, or a disabled holder wins;
 * 'ambiguous': two exact holders).
 */
function servedBy(s: Abs, host: string, env: Env): ServedBy | 'ambiguous' | undefined {
  const all = holders(s, env)
  const colourOf = (h: Holder): ServedBy | undefined =>
    !h.enabled ? undefined : h.dist === 'router' ? modeColour(s.router?.mode ?? 'other') : h.dist
  const exact = all.filter((h) => h.aliases.includes(host))
  if (exact.length > 1) return 'ambiguous'
  const first = exact[0]
  if (first !== undefined) return colourOf(first)
  const wild = all.filter((h) => h.aliases.includes(env.names.wildcard))
  if (wild.length > 1) return 'ambiguous'
  const w = wild[0]
  return w === undefined ? undefined : colourOf(w)
}

/** No name held by two distributions (the control plane's CNAMEAlreadyExists). */
function exclusive(s: Abs): boolean {
  const seen = new Set<string>()
  for (const list of [s.blue, s.green, s.router?.aliases ?? []]) {
    for (const a of list) {
      if (seen.has(a)) return false
      seen.add(a)
    }
  }
  return true
}

export interface Safety {
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
    if (target.routerMode !== undefined && target.abs.router !== undefined) {
      routerModes.push(target.routerMode)
    }
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
export function search(input: SearchInput): Move[] | undefined {
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

export function applyMove(s: Abs, m: Move): Abs {
  return m.dist === 'router' ? { ...s, router: m.next.router } : { ...s, [m.dist]: m.next[m.dist] }
}

/**
 * Groups the path into batches whose steps may reach the edges in any order: a step joins the
 * current batch when it touches another distribution and every mix of applied / not applied
 * steps of the batch is safe (the start state itself is accepted as it is).
 */
export function batches(start: Abs, path: Move[], safety: Safety): Move[][] {
  const out: Move[][] = []
  let base = start
  let batch: Move[] = []
  const mixesSafe = (moves: Move[]): boolean => {
    for (let mask = 1; mask < 1 << moves.length; mask++) {
      let s = base
      moves.forEach((m, i) => {
        if ((mask & (1 << i)) !== 0) s = applyMove(s, m)
      })
      if (key(s) !== key(start) && !safe(s, safety)) return false
    }
    return true
  }
  for (const move of path) {
    const candidate = [...batch, move]
    if (batch.length > 0 && (batch.some((m) => m.dist === move.dist) || !mixesSafe(candidate))) {
      out.push(batch)
      base = batch.reduce(applyMove, base)
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

/**
 * The abstract target. `recordsFirst` (manual DNS, split asked, B1/G2 not resolving yet): the
 * router-free state closest to split: blue takes W, green G2, D stays where it is served now
 * (green keeps an exact D; otherwise D reaches blue through W); the router, if any, is not
 * touched.
 */
export function targetOf(observed: Observed, state: PublishState, recordsFirst: boolean): Target {
  const { names } = observed
  const D = names.domain
  const W = names.wildcard
  const B1 = names.blueHost
  const G2 = names.greenHost
  const existing = observed.router
  const managed = managedOf(names)
  if (state === 'split' && recordsFirst) {
    const start = absOf(observed, managed)
    const greenKeepsD = start.green.includes(D)
    const routerKeepsD = start.router?.aliases.includes(D) === true
    return {
      abs: {
        blue: [W],
        green: sorted(greenKeepsD ? [D, G2] : [G2]),
        router: start.router
      },
      colours: {
        [D]: greenKeepsD
          ? 'green'
          : routerKeepsD
            ? modeColour(start.router?.mode ?? 'other')
            : 'blue',
        [B1]: 'blue',
        [G2]: 'green'
      },
      routerMode: undefined
    }
  }
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

export function absOf(observed: Observed, managed: string[]): Abs {
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

/**
 * The certificate that will be on `dist`: a router keeping its mode keeps its config (aliases
 * change only); a router rebuilt in another mode carries blue's certificate.
 */
function certOf(observed: Observed, dist: DistKey, mode: RouterMode | undefined): DistFacts {
  if (dist !== 'router') return observed[dist]
  const r = observed.router
  if (r !== undefined && mode === r.mode) return r
  return observed.blue
}

export interface AliasPlan {
  start: Abs
  target: Target
  path: Move[]
  groups: Move[][]
  safety: Safety
}

/** Who serves D, B1 and G2 in what discover read (two exact holders: nobody can tell). */
export function servingOf(observed: Observed): Record<string, ServedBy | undefined> {
  const { names } = observed
  const start = absOf(observed, managedOf(names))
  const env: Env = {
    names,
    enabled: { blue: observed.blue.enabled, green: observed.green.enabled }
  }
  return Object.fromEntries(
    [names.domain, names.blueHost, names.greenHost].map((h) => {
      const by = servedBy(start, h, env)
      return [h, by === 'ambiguous' ? undefined : by]
    })
  )
}

/** The shortest safe path to the target; undefined when there is none. */
export function planAliases(
  observed: Observed,
  state: PublishState,
  recordsFirst: boolean
): AliasPlan | { start: Abs; target: Target; path: undefined } {
  const { names } = observed
  const managed = managedOf(names)
  const target = targetOf(observed, state, recordsFirst)
  const start = absOf(observed, managed)
  const hosts = [names.domain, names.blueHost, names.greenHost]
  const env: Env = {
    names,
    enabled: { blue: observed.blue.enabled, green: observed.green.enabled }
  }
  const allowed: Record<string, Set<ServedBy>> = {}
  const mustServe = new Set<string>()
  for (const h of hosts) {
    const b = servedBy(start, h, env)
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
  if (path === undefined) return { start, target, path }
  return { start, target, path, groups: batches(start, path, safety), safety }
}
