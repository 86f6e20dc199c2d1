/**
 * Preflight, pure: every precondition that discover could read, checked before the first
 * mutating call. Each problem names the distribution (or record), the setting and the fix; all
 * of them are reported together.
 */
import { BlueGreenError } from '../errors.js'
import { covers } from './hostnames.js'
import { targetOf } from './search.js'
import type { DistFacts, Observed, PlanRequest, PublishState } from './types.js'

/** The original request's message when the wildcard is held elsewhere (with the distribution named). */
export function wildcardHeldMessage(wildcard: string, holder: string): string {
  return `${wildcard} is held by CloudFront distribution ${holder}. In order to avoid DNS lags and unexpected behavior, bluegreen publish requires wildcarded SSL (e.g. ${wildcard}) during blue-green deployment process. Please release it from other CloudFront distribution (${holder}) and try again.`
}

/** Why CloudFront will not let publish move aliases on this distribution, if it will not. */
function aliasesFrozen(side: string, d: DistFacts): string | undefined {
  if (d.continuousDeployment === 'staging') {
    return `The ${side} distribution ${d.id} is a staging distribution of CloudFront continuous deployment (Staging: true): a staging distribution cannot hold alternate domain names. Give the primary (production) distribution as ${side}.`
  }
  if (d.continuousDeployment === 'primary') {
    return `The ${side} distribution ${d.id} has a continuous-deployment policy attached (ContinuousDeploymentPolicyId): CloudFront refuses alias changes on it while the policy is attached. Promote or discard its staging distribution and remove the policy from ${d.id} (CloudFront console: Continuous deployment), then re-run.`
  }
  if (d.connectionMode === 'tenant-only') {
    return `The ${side} distribution ${d.id} is a multi-tenant distribution (ConnectionMode: tenant-only): its domains belong to distribution tenants and it cannot hold alternate domain names. Give a standard distribution as ${side}.`
  }
  return undefined
}

export function preflight(
  observed: Observed,
  request: PlanRequest,
  state: PublishState,
  recordsFirst: boolean
): void {
  const { names } = observed
  const problems: string[] = []
  for (const other of observed.others) {
    const disabled = other.enabled
      ? ''
      : ' (it is disabled, but a disabled distribution keeps its aliases and CloudFront serves nothing for them)'
    if (other.aliases.includes(names.wildcard)) {
      problems.push(`${wildcardHeldMessage(names.wildcard, other.id)}${disabled}`)
    }
    const exact = [names.domain, names.blueHost, names.greenHost].filter((h) =>
      other.aliases.includes(h)
    )
    if (exact.length > 0) {
      problems.push(
        `CloudFront distribution ${other.id} holds ${exact.join(', ')}${disabled}, which publish moves between blue ${observed.blue.id} and green ${observed.green.id}: remove ${exact.length > 1 ? 'them' : 'it'} there, or pass that distribution as blue or green.`
      )
    }
  }
  for (const side of ['blue', 'green'] as const) {
    const frozen = aliasesFrozen(side, observed[side])
    if (frozen !== undefined) problems.push(frozen)
  }
  // Certificates must cover what each distribution will hold.
  const t = targetOf(observed, state, recordsFirst)
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
      `The router uses blue's certificate (${observed.blue.certificate}), which does not cover ${names.domain}: attach a certificate for ${names.wildcard} (it covers ${names.domain}) to blue ${observed.blue.id}.`
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
      `dns: route53 needs the hosted zone of ${names.domain}, ${names.blueHost} and ${names.greenHost} in Route53 (readable by this role)${observed.manualReason === undefined ? '' : `, but ${observed.manualReason}`}. Create it, or use dns: manual.`
    )
  }
  if (observed.dnsMode === 'route53') {
    for (const r of observed.records) {
      if (r.setIdentifier === undefined || r.setIdentifier === '') continue
      problems.push(
        `Route53 has a ${r.type} record at ${r.name} with a routing policy (SetIdentifier "${r.setIdentifier}": weighted, latency, failover, geolocation or multivalue). publish keeps one simple alias record per name: remove the routing-policy records of ${r.name}, or use dns: manual and manage them yourself.`
      )
    }
    for (const d of observed.delegations ?? []) {
      problems.push(
        `${d.host} is delegated: zone ${d.zoneName} has NS records at ${d.name}, to a hosted zone this role cannot read. A record written in ${d.zoneName} would never be answered. Let this role read that zone (route53:ListHostedZonesByName), or use dns: manual.`
      )
    }
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
