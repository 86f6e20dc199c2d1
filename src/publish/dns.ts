/**
 * DNS placement, pure: which records the target needs, which of them differ from what Route53
 * holds, and where their changes go in the plan. In a split the records of B1 and G2 are written
 * (and INSYNC) before the router's edge function answers D: its 302s must land on names that
 * resolve. Every other record follows the CloudFront changes (CloudFront routes by Host, so a
 * record only has to reach CloudFront, but a router this run creates must exist before D can
 * point at it).
 */
import type { DistKey, HostZone, Observed, PublishState, Step, WantedRecord } from './types.js'

/**
 * The records the target needs. Route53: A (and AAAA with IPv6) aliases. Manual: a CNAME per
 * name (what an outside DNS provider needs), or A/AAAA aliases when the zone is in Route53 but
 * this role may not write it. `recordsFirst`: only B1 and G2 (D's record comes with the router).
 */
export function wantedRecords(
  observed: Observed,
  state: PublishState,
  recordsFirst = false
): WantedRecord[] {
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
  const wanted = recordsFirst ? pointsAt.filter(([, dist]) => dist !== 'router') : pointsAt
  const aliases = observed.dnsMode === 'route53' || (observed.zones ?? []).length > 0
  if (!aliases) return wanted.map(([name, dist]) => ({ name, type: 'CNAME', dist }))
  const ipv6 = (dist: DistKey): boolean =>
    dist === 'router' ? (observed.router?.ipv6 ?? observed.blue.ipv6) : observed[dist].ipv6
  // An AAAA record already there is repointed even without IPv6 (CloudFront then answers no
  // address and clients use A): left alone, it would keep pointing at the old distribution,
  // possibly one that cleanup deletes.
  const hasAaaa = (name: string): boolean =>
    observed.records.some((r) => r.name === name && r.type === 'AAAA')
  const out: WantedRecord[] = []
  for (const [name, dist] of wanted) {
    out.push({ name, type: 'A', dist })
    if (ipv6(dist) || hasAaaa(name)) out.push({ name, type: 'AAAA', dist })
  }
  return out
}

function domainOf(observed: Observed, dist: DistKey): string | undefined {
  return dist === 'router' ? observed.router?.domainName : observed[dist].domainName
}

/** One change batch per hosted zone (each is its own call, so its own plan row). */
function dnsSteps(observed: Observed, records: WantedRecord[]): Step[] {
  const zones = observed.zones ?? []
  const byZone = new Map<string, { zone: HostZone; records: WantedRecord[] }>()
  for (const r of records) {
    const zone = zones.find((z) => z.host === r.name)
    if (zone === undefined) throw new Error(`internal: no hosted zone known for ${r.name}`)
    const entry = byZone.get(zone.zoneId) ?? { zone, records: [] }
    entry.records.push(r)
    byZone.set(zone.zoneId, entry)
  }
  return [...byZone.values()].map(({ zone, records: list }) => ({
    kind: 'dns',
    zoneId: zone.zoneId,
    zoneName: zone.zoneName,
    records: list,
    description: `Route53 (${zone.zoneName}): ${list.map((r) => `${r.name} ${r.type} → ${r.dist}`).join('; ')}`,
    resource: [...new Set(list.map((r) => r.name))].join(', ')
  }))
}

/** Is this step the one that turns the router's edge function on for D (or publishes it)? */
export function edgeGoesOn(s: Step): boolean {
  return (
    (s.kind.startsWith('edge-') && s.kind !== 'edge-delete') ||
    ((s.kind === 'router-create' || s.kind === 'router-update') && s.mode === 'edge')
  )
}

/**
 * Puts the record changes into `steps` (route53 mode): in a split, the B1/G2 records before the
 * edge function's rows, and a wait until they are INSYNC right before the router step that turns
 * the edge on; everything else at the end.
 */
export function placeDns(
  observed: Observed,
  state: PublishState,
  records: WantedRecord[],
  steps: Step[]
): Step[] {
  if (observed.dnsMode !== 'route53') return steps
  const exists = (r: WantedRecord): boolean => r.dist !== 'router' || observed.router !== undefined
  const stale = records.filter(
    (r) =>
      !exists(r) ||
      !observed.records.some(
        (o) =>
          o.name === r.name && o.type === r.type && o.aliasTarget === domainOf(observed, r.dist)
      )
  )
  const first = (r: WantedRecord): boolean => state === 'split' && r.dist !== 'router'
  const early = stale.filter(first)
  const late = stale.filter((r) => !first(r))
  const out = [...steps]
  if (early.length > 0) {
    // When blue and green already hold B1 and G2 (a record should only point at a distribution
    // that holds its name), before the edge function goes on; at once when it already is.
    const edgeOn = out.findIndex(edgeGoesOn)
    const at = edgeOn === -1 ? 0 : edgeOn
    out.splice(at, 0, ...dnsSteps(observed, early))
    const routerOn = out.findIndex(
      (s) => (s.kind === 'router-create' || s.kind === 'router-update') && s.mode === 'edge'
    )
    const sync: Step = {
      kind: 'dns-sync',
      description: `Wait until Route53 answers the records of ${early
        .map((r) => r.name)
        .filter((n, i, a) => a.indexOf(n) === i)
        .join(' and ')} (INSYNC) before the router sends viewers there`,
      resource: [...new Set(early.map((r) => r.name))].join(', ')
    }
    // Only a router step that turns the edge on needs them answered first.
    if (routerOn !== -1) out.splice(routerOn, 0, sync)
  }
  if (late.length > 0) out.push(...dnsSteps(observed, late))
  return out
}
