/**
 * Discover (read only): resolve blue and green, find the router of the domain by its tags, read
 * every config with its ETag, the certificates (ACM, or the PEM of an IAM server certificate),
 * the edge function, its role and versions, the hosted zones and records (route53), or whether
 * B1 and G2 resolve (manual). The result is what the planner needs (Observed) plus the raw
 * configs apply works from.
 */
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront'
import type { Context } from '../context.js'
import type { Logger } from '../log.js'
import { mapLimit } from '../concurrency.js'
import { BlueGreenError } from '../errors.js'
import type { EnvRef, PublishRequest } from '../inputs.js'
import { certificateNames } from '../aws/acm.js'
import {
  aliasesOf,
  type DistributionState,
  type DistributionSummary,
  getDistribution,
  listDistributions,
  listTags
} from '../aws/cloudfront.js'
import { errorMessage, errorName, isAccessDenied } from '../aws/errors.js'
import {
  getRole,
  hasManagedPolicy,
  serverCertificateBody,
  serverCertificateName
} from '../aws/iam.js'
import { getFunction, listVersions } from '../aws/lambda.js'
import {
  findHostedZone,
  type HostedZone,
  listRecords,
  normaliseName,
  type RecordView
} from '../aws/route53.js'
import { EDGE_ROLE } from './edge-package.js'
import { pemNames } from './hostnames.js'
import { checkResolves, createResolver, type HostResolver } from './resolve.js'
import { defaultEdgeArn, routerModeOf } from './router-config.js'
import {
  type DesiredEdge,
  type DistFacts,
  type EdgeFacts,
  type HostZone,
  type Names,
  type Observed,
  ROUTER_COMMENT_PREFIX,
  ROUTER_TAGS,
  type RouterFacts,
  stateOf
} from './types.js'

export const DEEP_ENV_TAG = 'DeepEnvironmentName'
export const DEEP_ID_TAG = 'DeepEnvironmentId'
/** ListTagsForResource calls in flight while resolving env:hash (CloudFront's API is rate-limited). */
const TAG_READS_IN_FLIGHT = 5

export interface Discovery {
  observed: Observed
  /** Raw state of blue, green and (when it exists) the router: configs and ETags. */
  dists: {
    blue: DistributionState
    green: DistributionState
    router: DistributionState | undefined
  }
  /** Records at D, B1, G2 as read (CNAMEs an alias record replaces are deleted with it). */
  records: RecordView[]
  /** Why DNS is manual in `auto` mode (for the warning), if it is. */
  manualReason: string | undefined
  functionName: string
  /** The ARN of the edge version the router runs (default behaviour), if any. */
  routerEdgeArn: string | undefined
  /** Things the operator should know that do not stop the run. */
  warnings: string[]
}

export function namesOf(request: PublishRequest): Names {
  return {
    domain: request.domainName,
    apex: request.apex,
    wildcard: `*.${request.apex}`,
    blueHost: request.blueHostname,
    greenHost: request.greenHostname
  }
}

/** `bluegreen-router-www-deep-mg`; long domains keep a hash so the name stays ≤ 64. */
export function edgeFunctionName(domain: string): string {
  const base = `${ROUTER_COMMENT_PREFIX}-${domain.replace(/[^a-z0-9]+/gi, '-')}`.toLowerCase()
  if (base.length <= 64) return base
  let h = 0
  for (const ch of domain) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return `${base.slice(0, 55)}-${h.toString(16).padStart(8, '0')}`
}

export interface DiscoverOptions {
  /** The package the target needs (split only): tells edge from stale, plans the edge rows. */
  desiredEdge: DesiredEdge | undefined
  /** DNS is manual whatever Route53 holds (a record write was denied in this run). */
  forceManual?: string | undefined
  /** Resolves B1/G2 in manual mode (default: from dns-resolvers, or the system's). */
  resolver?: HostResolver | undefined
}

export async function discover(
  request: PublishRequest,
  ctx: Context,
  options: DiscoverOptions
): Promise<Discovery> {
  const cf = ctx.clients.cloudfront
  const names = namesOf(request)
  const search = await findRouter(cf, names)
  const { list, routerTags } = search
  const routerSummary = search.router
  const { blueId, greenId } = await resolvePair(request, search, ctx.log)

  const read = async (side: string, id: string): Promise<DistributionState> => {
    const d = await getDistribution(cf, id)
    if (d === undefined) {
      throw new BlueGreenError(`${side}: CloudFront distribution ${id} does not exist.`)
    }
    return d
  }
  const blue = await read('blue', blueId)
  const green = await read('green', greenId)
  const router = routerSummary === undefined ? undefined : await read('router', routerSummary.id)

  const warnings: string[] = []
  const certCache = new Map<string, string[]>()
  const facts = async (d: DistributionState): Promise<DistFacts> => {
    const vc = d.config.ViewerCertificate
    const aliases = aliasesOf(d.config)
    let certNames: string[] = []
    let certificate = 'the default *.cloudfront.net certificate'
    if (vc?.ACMCertificateArn !== undefined && vc.ACMCertificateArn !== '') {
      const arn = vc.ACMCertificateArn
      certificate = arn
      certNames = certCache.get(arn) ?? (await certificateNames(ctx.clients.acm, arn))
      certCache.set(arn, certNames)
    } else if (vc?.IAMCertificateId !== undefined && vc.IAMCertificateId !== '') {
      const id = vc.IAMCertificateId
      certificate = `IAM server certificate ${id}`
      certNames = certCache.get(id) ?? (await iamCertificateNames(id, aliases))
      certCache.set(id, certNames)
    }
    const cd =
      d.config.Staging === true
        ? 'staging'
        : (d.config.ContinuousDeploymentPolicyId ?? '') !== ''
          ? 'primary'
          : 'none'
    return {
      id: d.id,
      domainName: d.domainName.toLowerCase().replace(/\.$/, ''),
      enabled: d.config.Enabled ?? false,
      aliases,
      certNames,
      certificate,
      ipv6: d.config.IsIPV6Enabled ?? false,
      deployed: d.status === 'Deployed',
      continuousDeployment: cd,
      connectionMode: d.config.ConnectionMode ?? 'direct'
    }
  }
  /** The names on an IAM server certificate, read from its PEM (iam:GetServerCertificate). */
  async function iamCertificateNames(id: string, aliases: string[]): Promise<string[]> {
    try {
      const name = await serverCertificateName(ctx.clients.iam, id)
      if (name === undefined) throw new BlueGreenError(`no IAM server certificate has the id ${id}`)
      return pemNames(await serverCertificateBody(ctx.clients.iam, name))
    } catch (error) {
      if (!isAccessDenied(error) && !(error instanceof BlueGreenError)) throw error
      warnings.push(
        `Could not read IAM server certificate ${id} (${errorMessage(error)}): assuming it covers only the aliases it holds now (${aliases.join(', ') || 'none'}). Grant iam:ListServerCertificates and iam:GetServerCertificate to check it.`
      )
      return aliases
    }
  }

  const state = stateOf(request.weights)
  const functionName = edgeFunctionName(names.domain)
  const blueFacts = await facts(blue)
  const greenFacts = await facts(green)

  // The edge function, its versions and role: what the edge rows of a split need, what tells an
  // edge router from a stale one, and what cleanup deletes.
  const needEdge = state === 'split' || request.cleanup || router !== undefined
  const fn = needEdge ? await getFunction(ctx.clients.edgeLambda, functionName) : undefined
  const versions = fn === undefined ? [] : await listVersions(ctx.clients.edgeLambda, functionName)
  let edge: EdgeFacts | undefined
  if (state === 'split') {
    const roleArn =
      fn === undefined ? (await getRole(ctx.clients.iam, EDGE_ROLE.name))?.arn : undefined
    edge = {
      functionName,
      roleName: EDGE_ROLE.name,
      roleArn,
      rolePolicyAttached:
        fn !== undefined ||
        (roleArn !== undefined &&
          (await hasManagedPolicy(ctx.clients.iam, EDGE_ROLE.name, EDGE_ROLE.policyArn))),
      fn,
      desiredVersionArn: versions.find((v) => v.description === options.desiredEdge?.description)
        ?.arn
    }
  }

  let routerFacts: RouterFacts | undefined
  let routerEdgeArn: string | undefined
  if (router !== undefined) {
    routerEdgeArn = defaultEdgeArn(router.config)
    if (routerEdgeArn?.includes(`:function:${functionName}:`) !== true) routerEdgeArn = undefined
    const mode = routerModeOf(router.config, {
      functionName,
      blueDomain: blueFacts.domainName,
      greenDomain: greenFacts.domainName,
      blue: blue.config,
      versionDescription: (arn) => versions.find((v) => v.arn === arn)?.description,
      desiredDescription: options.desiredEdge?.description
    })
    routerFacts = { ...(await facts(router)), mode, tags: routerTags }
  }

  const ours = new Set([blueId, greenId, routerSummary?.id])
  const watched = [names.domain, names.wildcard, names.blueHost, names.greenHost]
  const others = list
    .filter((d) => !ours.has(d.id) && d.aliases.some((a) => watched.includes(a)))
    .map((d) => ({ id: d.id, aliases: d.aliases, enabled: d.enabled }))

  const dns = await discoverDns(request, ctx, names, options.forceManual)
  let resolution: Observed['resolution']
  if (dns.zones === undefined && state === 'split') {
    const resolver = options.resolver ?? createResolver(request.dnsResolvers)
    resolution = await Promise.all([
      checkResolves(resolver, names.blueHost, blueFacts.domainName),
      checkResolves(resolver, names.greenHost, greenFacts.domainName)
    ])
  }

  return {
    observed: {
      names,
      blue: blueFacts,
      green: greenFacts,
      router: routerFacts,
      others,
      dnsMode: dns.zones === undefined ? 'manual' : 'route53',
      manualReason: dns.manualReason,
      zones: dns.zones ?? dns.readable,
      records: dns.records.map((r) => ({
        name: r.name,
        type: r.type,
        aliasTarget: r.aliasTarget,
        setIdentifier: r.setIdentifier
      })),
      delegations: dns.delegations,
      resolution,
      edgeFunctionExists: fn !== undefined,
      edge
    },
    dists: { blue, green, router },
    records: dns.records,
    manualReason: dns.manualReason,
    functionName,
    routerEdgeArn,
    warnings
  }
}

/** Every distribution (ListDistributions), and the router of the domain among them. */
export interface RouterSearch {
  list: DistributionSummary[]
  router: DistributionSummary | undefined
  /** The router's tags ({} without a router). */
  routerTags: Record<string, string>
  /** A distribution's tags, read once (cached). */
  tagsOf: (d: DistributionSummary) => Promise<Record<string, string>>
}

/** Lists the distributions and finds the router: tagged with the domain (candidates by comment or by holding D). */
export async function findRouter(cf: CloudFrontClient, names: Names): Promise<RouterSearch> {
  const list = await listDistributions(cf)
  const tagCache = new Map<string, Record<string, string>>()
  const tagsOf = async (d: DistributionSummary): Promise<Record<string, string>> => {
    const cached = tagCache.get(d.id)
    if (cached !== undefined) return cached
    const tags = await listTags(cf, d.arn)
    tagCache.set(d.id, tags)
    return tags
  }
  const routers: DistributionSummary[] = []
  for (const d of list) {
    if (!d.comment.startsWith(ROUTER_COMMENT_PREFIX) && !d.aliases.includes(names.domain)) continue
    if ((await tagsOf(d))[ROUTER_TAGS.domain] === names.domain) routers.push(d)
  }
  if (routers.length > 1) {
    throw new BlueGreenError(
      `Found ${routers.length} router distributions tagged ${ROUTER_TAGS.domain}=${names.domain} (${routers.map((r) => r.id).join(', ')}): delete all but one (disable, then delete) and re-run.`
    )
  }
  const router = routers[0]
  return { list, router, routerTags: router === undefined ? {} : await tagsOf(router), tagsOf }
}

export interface PairOptions {
  /**
   * env:hash only: try the distributions the router's tags record first, and when their own
   * tags match, read no other distribution's tags (a ramp run that only waits). A full publish
   * leaves this off, so an env:hash that two distributions carry is still refused.
   */
  preferRecorded?: boolean
}

/** Resolves blue and green to distribution ids (by id, alias, or env:hash through the tags). */
export async function resolvePair(
  request: PublishRequest,
  search: RouterSearch,
  log: Logger,
  options: PairOptions = {}
): Promise<{ blueId: string; greenId: string }> {
  const { list, routerTags, tagsOf } = search
  const routerSummary = search.router
  const matchesDeep = (
    tags: Record<string, string>,
    ref: { env?: string | undefined; hash: string }
  ) =>
    tags[DEEP_ID_TAG]?.toLowerCase() === ref.hash &&
    (ref.env === undefined || tags[DEEP_ENV_TAG]?.toLowerCase() === ref.env)
  const resolve = async (side: 'blue' | 'green', ref: EnvRef): Promise<string> => {
    switch (ref.kind) {
      case 'distribution':
        return ref.id
      case 'alias': {
        const exact = list.filter((d) => d.aliases.includes(ref.alias))
        const parent = ref.alias.slice(ref.alias.indexOf('.') + 1)
        const holder = exact[0] ?? list.find((d) => d.aliases.includes(`*.${parent}`))
        if (holder === undefined) {
          throw new BlueGreenError(
            `${side}: no CloudFront distribution holds the alias ${ref.alias} (nor *.${parent}); give the distribution id instead.`
          )
        }
        if (holder.id === routerSummary?.id) {
          const recorded = routerTags[side === 'blue' ? ROUTER_TAGS.blue : ROUTER_TAGS.green]
          if (recorded === undefined || recorded === '') {
            throw new BlueGreenError(
              `${side}: ${ref.alias} is held by the router ${holder.id}, not by an environment; give the ${side} distribution id instead.`
            )
          }
          log.info(`${side}: ${ref.alias} is on the router; using ${recorded} from its tags`)
          return recorded
        }
        return holder.id
      }
      case 'deep': {
        if (options.preferRecorded === true) {
          const recorded = routerTags[side === 'blue' ? ROUTER_TAGS.blue : ROUTER_TAGS.green]
          const d = list.find((x) => x.id === recorded && x.id !== routerSummary?.id)
          if (d !== undefined && matchesDeep(await tagsOf(d), ref)) return d.id
        }
        // env:hash is found through every distribution's tags: read them a few at a time, once.
        await mapLimit(list, TAG_READS_IN_FLIGHT, tagsOf)
        const matches: string[] = []
        for (const d of list) {
          if (d.id === routerSummary?.id) continue
          if (matchesDeep(await tagsOf(d), ref)) matches.push(d.id)
        }
        const label = ref.env === undefined ? ref.hash : `${ref.env}:${ref.hash}`
        if (matches.length === 1 && matches[0] !== undefined) return matches[0]
        throw new BlueGreenError(
          matches.length === 0
            ? `${side}: no CloudFront distribution is tagged ${DEEP_ID_TAG}=${ref.hash}${ref.env === undefined ? '' : ` and ${DEEP_ENV_TAG}=${ref.env}`} (${label}); check the value or give the distribution id.`
            : `${side}: ${label} matches ${matches.length} distributions (${matches.join(', ')}); give env:hash or the distribution id.`
        )
      }
    }
  }
  const blueId = await resolve('blue', request.blue)
  const greenId = await resolve('green', request.green)
  if (blueId === greenId) {
    throw new BlueGreenError(
      `blue and green both resolve to distribution ${blueId}; give two different environments.`
    )
  }
  for (const [side, id] of [
    ['blue', blueId],
    ['green', greenId]
  ] as const) {
    if (id === routerSummary?.id) {
      throw new BlueGreenError(
        `${side} is ${id}, which is the router bluegreen created for ${request.domainName}; give the ${side} environment's own distribution.`
      )
    }
  }
  return { blueId, greenId }
}

interface DnsDiscovery {
  /** Every host's zone (route53 mode); undefined: manual. */
  zones: HostZone[] | undefined
  /** Zones found even though DNS is manual (writes denied): instructions use alias records. */
  readable: HostZone[] | undefined
  records: RecordView[]
  delegations: NonNullable<Observed['delegations']>
  manualReason: string | undefined
}

/** The zone of each of D, B1, G2 (the most specific one: a delegated sub-zone wins), its records. */
async function discoverDns(
  request: PublishRequest,
  ctx: Context,
  names: Names,
  forceManual: string | undefined
): Promise<DnsDiscovery> {
  const none: DnsDiscovery = {
    zones: undefined,
    readable: undefined,
    records: [],
    delegations: [],
    manualReason: undefined
  }
  if (request.dns === 'manual') return none
  const hosts = [names.domain, names.blueHost, names.greenHost]
  const zones: HostZone[] = []
  const found = new Map<string, HostedZone | undefined>()
  try {
    for (const host of hosts) {
      const zone = await findHostedZone(ctx.clients.route53, host)
      found.set(host, zone)
      if (zone !== undefined) zones.push({ host, zoneId: zone.id, zoneName: zone.name })
    }
  } catch (error) {
    if (!isAccessDenied(error)) throw error
    return { ...none, manualReason: `no access to Route53 (${errorName(error) ?? 'AccessDenied'})` }
  }
  const missing = hosts.filter((h) => found.get(h) === undefined)
  if (missing.length > 0) {
    return {
      ...none,
      readable: zones.length > 0 ? zones : undefined,
      manualReason: `no Route53 hosted zone contains ${missing.join(', ')}`
    }
  }
  if (forceManual !== undefined) return { ...none, readable: zones, manualReason: forceManual }
  const records: RecordView[] = []
  const delegations: DnsDiscovery['delegations'] = []
  try {
    for (const z of zones) {
      const at = await listRecords(ctx.clients.route53, z.zoneId, z.host)
      records.push(...at)
      // A name (or a name between it and the zone) delegated away by NS records: the zone that
      // would answer is not one this role can see.
      const between = namesBetween(z.host, z.zoneName)
      for (const name of between) {
        const rs = name === z.host ? at : await listRecords(ctx.clients.route53, z.zoneId, name)
        if (rs.some((r) => r.type === 'NS')) {
          delegations.push({ host: z.host, name, zoneName: z.zoneName })
          break
        }
      }
    }
  } catch (error) {
    if (!isAccessDenied(error)) throw error
    return {
      ...none,
      readable: zones,
      manualReason: `no access to the records of zone ${zones[0]?.zoneName ?? ''} (${errorName(error) ?? 'AccessDenied'})`
    }
  }
  return { zones, readable: zones, records, delegations, manualReason: undefined }
}

/** `www1.eu.deep.mg` in zone `deep.mg`: [eu.deep.mg, www1.eu.deep.mg] (never the apex). */
function namesBetween(host: string, zone: string): string[] {
  const h = normaliseName(host)
  if (h === zone) return []
  const labels = h.slice(0, -(zone.length + 1)).split('.')
  const out: string[] = []
  for (let i = labels.length - 1; i >= 0; i--) out.push(`${labels.slice(i).join('.')}.${zone}`)
  return out
}
