/**
 * "Which distribution serves host H, and what does it do?" — over every combination of
 * "this edge still sees the old deployed config / already sees the new one" for the distributions
 * that are InProgress (changes to two distributions reach an edge in no guaranteed order).
 *
 * And the zero-downtime invariant of DESIGN.md 2, checked after every mutating call.
 */
import type { DistributionConfig } from '@aws-sdk/client-cloudfront'
import {
  aliasesOf,
  CLOUDFRONT_ZONE_ID,
  type AwsModel,
  type CallRecord,
  type DistributionRecord
} from './model.js'
import { matches, normalise, specificity } from './names.js'

/** What an edge does with a request for a host, in one edge combination. */
export interface Serving {
  /** e.g. "E0001:new E0002:old" (only the InProgress distributions). */
  combo: string
  /** The distribution that answers, if any. */
  distributionId: string | undefined
  /** 'blue' | 'green' | 'router' | ..., or 'outage'. */
  env: string
  /** Why it is an outage. */
  problem?: string
}

const MAX_VIEWS = 4096

interface EdgeView {
  combo: string
  configs: { d: DistributionRecord; config: DistributionConfig }[]
}

/**
 * Every view an edge may have: for each InProgress distribution, its deployed config or any
 * config accepted since (two updates without a wait in between: an edge may serve the middle
 * one); a product over the distributions (changes reach an edge in no guaranteed order).
 */
export function edgeViews(model: AwsModel): EdgeView[] {
  const all = [...model.state.distributions.values()]
  const choices = new Map<string, (DistributionConfig | undefined)[]>()
  for (const d of all) {
    if (d.status !== 'InProgress') continue
    const seen = new Set<string>()
    const options: (DistributionConfig | undefined)[] = []
    for (const c of [d.deployed, ...d.pending]) {
      const k = JSON.stringify(c ?? null)
      if (seen.has(k)) continue
      seen.add(k)
      options.push(c)
    }
    if (options.length > 1) choices.set(d.id, options)
  }
  const total = [...choices.values()].reduce((n, o) => n * o.length, 1)
  if (total > MAX_VIEWS) {
    throw new Error(`model: ${total} edge views (too many changes InProgress at once) to enumerate`)
  }
  const views: EdgeView[] = []
  for (let index = 0; index < total; index++) {
    let rest = index
    const pick = new Map<string, number>()
    for (const [id, options] of choices) {
      pick.set(id, rest % options.length)
      rest = Math.floor(rest / options.length)
    }
    const configs: EdgeView['configs'] = []
    for (const d of all) {
      const i = pick.get(d.id)
      const config = i === undefined ? d.deployed : choices.get(d.id)?.[i]
      if (config !== undefined) configs.push({ d, config })
    }
    const label = (id: string, i: number): string =>
      i === 0
        ? `${id}:old`
        : i === (choices.get(id)?.length ?? 0) - 1
          ? `${id}:new`
          : `${id}:mid${i}`
    views.push({
      combo: [...pick].map(([id, i]) => label(id, i)).join(' ') || 'settled',
      configs
    })
  }
  return views
}

function serveIn(model: AwsModel, view: EdgeView, host: string): Serving[] {
  let best = -1
  let winners: EdgeView['configs'] = []
  for (const entry of view.configs) {
    if (!model.settings.disabledHoldsAliases && entry.config.Enabled !== true) continue
    for (const alias of aliasesOf(entry.config)) {
      const s = specificity(alias, host)
      if (s === undefined) continue
      if (s > best) {
        best = s
        winners = [entry]
      } else if (s === best && !winners.includes(entry)) winners.push(entry)
    }
  }
  if (winners.length === 0) {
    return [
      {
        combo: view.combo,
        distributionId: undefined,
        env: 'outage',
        problem: 'no distribution holds a matching alias'
      }
    ]
  }
  // Two distributions with the same top alias (one edge still sees the old holder while the
  // other already sees the new one): either may answer, so both must be fine.
  return winners.map(({ d, config }) => {
    const base = { combo: view.combo, distributionId: d.id }
    if (config.Enabled !== true) {
      return { ...base, env: 'outage', problem: `${d.id} holds the alias but is disabled` }
    }
    if (!model.certificateCovers(config, host)) {
      return { ...base, env: 'outage', problem: `${d.id}'s certificate does not cover ${host}` }
    }
    const env = model.environmentOf(config, d)
    if (env.includes('denied: ')) {
      return { ...base, env: 'outage', problem: `${d.id} answers an error: ${env}` }
    }
    return { ...base, env }
  })
}

/** Every outcome for a host, over every edge view. */
export function serving(model: AwsModel, host: string): Serving[] {
  return edgeViews(model).flatMap((view) => serveIn(model, view, host))
}

/** The environments (or 'outage') that may answer a request for host right now. */
export function servedBy(model: AwsModel, host: string): Set<string> {
  return new Set(serving(model, host).map((s) => s.env))
}

/**
 * Does DNS reach CloudFront for host: a record (exact, else the zone's wildcard) in the zone
 * that contains it, an alias to the domain name of a distribution that exists. Undefined when
 * the model has no zone for the host (DNS is not the model's business then).
 */
export function dnsProblem(
  model: AwsModel,
  host: string,
  outside?: (host: string) => boolean
): string | undefined {
  const h = normalise(host)
  const zones = [...model.state.zones.values()].filter(
    (z) => h === z.name || h.endsWith(`.${z.name}`)
  )
  const zone = zones.sort((a, b) => b.name.length - a.name.length)[0]
  if (zone === undefined) {
    // Not in Route53: the outside DNS provider the test plays, when it plays one.
    if (outside === undefined || outside(h)) return undefined
    return `no record for ${h} at the outside DNS provider`
  }
  // The exact name's records, else the zone wildcard's (DNS answers from one or the other).
  const exact = zone.records.filter((r) => normalise(r.Name ?? '') === h)
  const records =
    exact.length > 0
      ? exact
      : zone.records.filter(
          (r) => normalise(r.Name ?? '').startsWith('*.') && matches(r.Name ?? '', h)
        )
  if (!records.some((r) => r.Type === 'A' || r.Type === 'CNAME')) {
    return `no DNS record for ${h} in zone ${zone.name}`
  }
  // Every alias to CloudFront (A and AAAA: IPv6 viewers use the latter) must reach a distribution.
  for (const r of records) {
    const target = r.AliasTarget
    if (target === undefined || target.HostedZoneId !== CLOUDFRONT_ZONE_ID) continue
    if (model.distributionByDomain(target.DNSName ?? '') === undefined) {
      return `${r.Type ?? '?'} ${h} → ${target.DNSName ?? '?'}, which no longer exists`
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------

export interface InvariantSpec {
  /** D */
  domain: string
  /** Hosts (of D, B1, G2) served in every edge view before the run. */
  served: string[]
  /** Hosts whose DNS reached CloudFront before the run. */
  resolved: string[]
  /** Environments D may be served by: the old state's and the new state's. */
  allowedForDomain: Set<string>
  /**
   * Beyond DESIGN 2's literal invariant: wherever the router answers D, its 302 targets
   * (B1, G2) must be served and resolvable too, or the redirected share of viewers is down.
   */
  redirectTargets?: {
    blue: string
    green: string
    /** The environments the 302s must land on (B1 → blue's, G2 → green's), when known. */
    blueEnv?: string
    greenEnv?: string
  }
  /** Names outside Route53 (manual DNS): does the outside DNS provider answer this one? */
  outsideDns?: (host: string) => boolean
}

export type ViolationKind = 'outage' | 'wrong-environment' | 'dns' | 'redirect-target'

export interface Violation {
  kind: ViolationKind
  /** The mutating call after which it was seen. */
  call: number
  command: string
  target: string
  detail: string
  host: string
  combo: string
  problem: string
}

export function formatViolation(v: Violation): string {
  return `[${v.kind}] after call #${v.call} ${v.command} ${v.target} (${v.detail}): ${v.host} — ${v.problem} [edge view: ${v.combo}]`
}

/** What the world serves now: the spec of the invariant for a run that wants `target` for D. */
export function specBefore(
  model: AwsModel,
  hosts: { domain: string; blue: string; green: string },
  targetEnvForDomain: string,
  envs?: { blueEnv: string; greenEnv: string }
): InvariantSpec {
  const all = [hosts.domain, hosts.blue, hosts.green]
  const served = all.filter((h) => serving(model, h).every((s) => s.env !== 'outage'))
  const resolved = all.filter((h) => dnsProblem(model, h) === undefined)
  const before = [...servedBy(model, hosts.domain)].filter((e) => e !== 'outage')
  return {
    domain: hosts.domain,
    served,
    resolved,
    allowedForDomain: new Set([...before, targetEnvForDomain]),
    redirectTargets: { blue: hosts.blue, green: hosts.green, ...envs }
  }
}

/** Checks the invariant in the model's current state; the call is the one just made. */
export function checkInvariant(
  model: AwsModel,
  spec: InvariantSpec,
  call: CallRecord
): Violation[] {
  const out: Violation[] = []
  const at = { call: call.index, command: call.command, target: call.target, detail: call.detail }
  for (const view of edgeViews(model)) {
    for (const host of spec.served) {
      for (const s of serveIn(model, view, host)) {
        if (s.env === 'outage') {
          out.push({ ...at, kind: 'outage', host, combo: s.combo, problem: s.problem ?? 'outage' })
        } else if (host === spec.domain && !spec.allowedForDomain.has(s.env)) {
          out.push({
            ...at,
            kind: 'wrong-environment',
            host,
            combo: s.combo,
            problem: `served by ${s.env} (${s.distributionId ?? '?'}); allowed: ${[...spec.allowedForDomain].join(', ')}`
          })
        }
      }
    }
    const targets = spec.redirectTargets
    if (targets === undefined) continue
    const routed = serveIn(model, view, spec.domain).some((s) => s.env === 'router')
    if (!routed) continue
    for (const [host, env] of [
      [targets.blue, targets.blueEnv],
      [targets.green, targets.greenEnv]
    ] as const) {
      for (const s of serveIn(model, view, host)) {
        if (s.env !== 'outage' && env !== undefined && s.env !== env) {
          out.push({
            ...at,
            kind: 'redirect-target',
            host,
            combo: s.combo,
            problem: `the router answers ${spec.domain} with 302 to ${host}, which ${s.distributionId ?? '?'} serves as ${s.env}, not ${env}`
          })
        } else if (s.env === 'outage') {
          out.push({
            ...at,
            kind: 'redirect-target',
            host,
            combo: s.combo,
            problem: `the router answers ${spec.domain} with 302 to ${host}, which is not served: ${s.problem ?? ''}`
          })
        }
      }
    }
  }
  for (const host of spec.resolved) {
    const problem = dnsProblem(model, host)
    if (problem !== undefined) out.push({ ...at, kind: 'dns', host, combo: '-', problem })
  }
  const targets = spec.redirectTargets
  if (targets !== undefined && servedBy(model, spec.domain).has('router')) {
    for (const host of [targets.blue, targets.green]) {
      const problem = dnsProblem(model, host, spec.outsideDns)
      if (problem !== undefined) {
        out.push({
          ...at,
          kind: 'redirect-target',
          host,
          combo: '-',
          problem: `the router answers ${spec.domain} with 302 to ${host}, which does not resolve: ${problem}`
        })
      }
    }
  }
  return out
}
