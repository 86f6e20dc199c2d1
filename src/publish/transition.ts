/**
 * publish's "now → planned", pure: the traffic discover found (who serves D, B1 and G2, and the
 * ratio the router's tags record) beside the traffic the plan makes, and the hostname links
 * labelled by who serves them.
 */
import { formatRatio, parseRatio, type Weights } from '../inputs.js'
import type { Report, Server, Traffic, Transition } from '../report.js'
import {
  type Names,
  NEW_ROUTER,
  NEW_ROUTER_DOMAIN,
  type Observed,
  type Plan,
  ROUTER_TAGS
} from './types.js'

/** The state and ratio of a side from who serves D (the router: the ratio `weights`). */
function trafficOf(
  hosts: Record<string, Server | undefined>,
  domain: string,
  weights: Weights | undefined
): Traffic {
  switch (hosts[domain]) {
    case 'router':
      return { state: 'split', weights, hosts }
    case 'blue':
      return { state: 'all-blue', weights: { blue: 1, green: 0 }, hosts }
    case 'green':
      return { state: 'all-green', weights: { blue: 0, green: 1 }, hosts }
    default:
      return { state: undefined, weights: undefined, hosts }
  }
}

/** The ratio the router's tags record for this pair (undefined: none, or another pair's). */
function recordedWeights(observed: Observed): Weights | undefined {
  const tags = observed.router?.tags ?? {}
  if (tags[ROUTER_TAGS.blue] !== observed.blue.id || tags[ROUTER_TAGS.green] !== observed.green.id)
    return undefined
  const parsed = parseRatio(tags[ROUTER_TAGS.weights] ?? '')
  return parsed.ok ? parsed.value : undefined
}

export function transitionOf(observed: Observed, plan: Plan, weights: Weights): Transition {
  const { names } = observed
  return {
    done: false,
    names: { domain: names.domain, blueHost: names.blueHost, greenHost: names.greenHost },
    ids: { blue: observed.blue.id, green: observed.green.id, router: observed.router?.id },
    before: trafficOf(plan.serving.before, names.domain, recordedWeights(observed)),
    after: trafficOf(plan.serving.after, names.domain, weights),
    waitsForDns: plan.phase === 'records-first'
  }
}

/** "blue", "green", "the router (9:1)" …: who serves a hostname, in a few words. */
export function serverWords(server: Server | undefined, weights: Weights | undefined): string {
  switch (server) {
    case undefined:
      return 'nothing'
    case 'router':
      return weights === undefined ? 'the router' : `the router (${formatRatio(weights)})`
    case 'other':
      return 'a distribution other than blue, green or the router'
    default:
      return server
  }
}

/**
 * The three hostnames to open, each labelled by who serves it (`traffic` undefined: not known,
 * as after a failed run; the label then names only the hostname's role).
 */
export function linksOf(
  names: Pick<Names, 'domain' | 'blueHost' | 'greenHost'>,
  traffic: Traffic | undefined
): { label: string; url: string }[] {
  const by = (host: string): Server | undefined => traffic?.hosts[host]
  const label = (host: string, role: string, own: Server): string => {
    if (traffic === undefined) return `${host} (${role})`
    const server = by(host)
    if (server === own) return `${host} (${role})`
    return `${host} (${role}, served by ${serverWords(server, traffic.weights)})`
  }
  const domainLabel = (): string => {
    if (traffic === undefined) return `${names.domain} (viewers)`
    const server = by(names.domain)
    if (server !== 'router') {
      return `${names.domain} (viewers, served by ${serverWords(server, traffic.weights)})`
    }
    const ratio = traffic.weights === undefined ? '' : ` ${formatRatio(traffic.weights)}`
    return `${names.domain} (viewers, split${ratio} by the router)`
  }
  return [
    { label: domainLabel(), url: `https://${names.domain}` },
    { label: label(names.blueHost, "blue's hostname", 'blue'), url: `https://${names.blueHost}` },
    {
      label: label(names.greenHost, "green's hostname", 'green'),
      url: `https://${names.greenHost}`
    }
  ]
}

/**
 * Once this run has created the router, the rows from `from` on name it by its id (never
 * "(new router)"), and the DNS rows that point at it name its CloudFront domain.
 */
export function nameNewRouter(
  report: Pick<Report, 'plan' | 'dns' | 'transition'>,
  from: number,
  router: { id: string; domainName: string }
): void {
  for (const row of report.plan.slice(from)) {
    row.resource = row.resource.replaceAll(NEW_ROUTER, router.id)
    row.description = row.description.replaceAll(NEW_ROUTER, router.id)
  }
  for (const row of report.dns) {
    if (row.target === NEW_ROUTER_DOMAIN) row.target = router.domainName
  }
  if (report.transition !== undefined) report.transition.ids.router = router.id
}
