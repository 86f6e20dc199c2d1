/**
 * Discover (read only): resolve blue and green, find the router of the domain by its tags, read
 * every config with its ETag, the certificates, the hosted zone and the records. The result is
 * what the planner needs (Observed) plus the raw configs apply works from.
 */
import type { Context } from '../context.js'
import { mapLimit } from '../concurrency.js'
import { BlueGreenError } from '../errors.js'
import type { EnvRef, PublishRequest } from '../inputs.js'
import { certificateNames } from '../aws/acm.js'
import {
  aliasesOf,
  type DistributionConfig,
  type DistributionState,
  type DistributionSummary,
  errorName,
  getDistribution,
  listDistributions,
  listTags
} from '../aws/cloudfront.js'
import { versionDescription, functionExists } from '../aws/lambda-edge.js'
import { findHostedZone, type HostedZone, listRecords, type RecordView } from '../aws/route53.js'
import type { DistFacts, Names, Observed, RouterFacts, RouterMode } from './plan.js'
import { ROUTER_TAGS } from './plan.js'

export const DEEP_ENV_TAG = 'DeepEnvironmentName'
export const DEEP_ID_TAG = 'DeepEnvironmentId'
/** Every router's Comment starts with this (tags are the proof; the comment finds candidates). */
export const ROUTER_COMMENT_PREFIX = 'bluegreen-router'
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
  zone: HostedZone | undefined
  records: RecordView[]
  /** Why DNS is manual in `auto` mode (for the warning), if it is. */
  manualReason: string | undefined
  functionName: string
  /** The ARN of the edge version the router runs (default behaviour), if any. */
  routerEdgeArn: string | undefined
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
  /** Description of the edge version the target needs (split only); used to tell edge from stale. */
  desiredEdgeDescription: string | undefined
}

export async function discover(
  request: PublishRequest,
  ctx: Context,
  options: DiscoverOptions
): Promise<Discovery> {
  const cf = ctx.clients.cloudfront
  const names = namesOf(request)
  const list = await listDistributions(cf)
  const tagCache = new Map<string, Record<string, string>>()
  const tagsOf = async (d: DistributionSummary): Promise<Record<string, string>> => {
    const cached = tagCache.get(d.id)
    if (cached !== undefined) return cached
    const tags = await listTags(cf, d.arn)
    tagCache.set(d.id, tags)
    return tags
  }

  // The router: a distribution tagged with our domain (candidates by comment or by holding D).
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
  const routerSummary = routers[0]
  const routerTags = routerSummary === undefined ? {} : await tagsOf(routerSummary)

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
          ctx.log.info(`${side}: ${ref.alias} is on the router; using ${recorded} from its tags`)
          return recorded
        }
        return holder.id
      }
      case 'deep': {
        const matches: string[] = []
        for (const d of list) {
          if (d.id === routerSummary?.id) continue
          const tags = await tagsOf(d)
          const env = tags[DEEP_ENV_TAG]
          if (tags[DEEP_ID_TAG]?.toLowerCase() !== ref.hash) continue
          if (ref.env !== undefined && env?.toLowerCase() !== ref.env) continue
          matches.push(d.id)
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
  // env:hash is found through every distribution's tags: read them a few at a time, once.
  if (request.blue.kind === 'deep' || request.green.kind === 'deep') {
    await mapLimit(list, TAG_READS_IN_FLIGHT, tagsOf)
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
        `${side} is ${id}, which is the router bluegreen created for ${names.domain}; give the ${side} environment's own distribution.`
      )
    }
  }

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
      // Not readable through ACM: it covers at least what CloudFront already accepted.
      certificate = `IAM certificate ${vc.IAMCertificateId}`
      certNames = aliases
    }
    return {
      id: d.id,
      domainName: d.domainName.toLowerCase().replace(/\.$/, ''),
      enabled: d.config.Enabled ?? false,
      aliases,
      certNames,
      certificate,
      ipv6: d.config.IsIPV6Enabled ?? false,
      deployed: d.status === 'Deployed'
    }
  }
  const functionName = edgeFunctionName(names.domain)
  const blueFacts = await facts(blue)
  const greenFacts = await facts(green)
  let routerFacts: RouterFacts | undefined
  let routerEdgeArn: string | undefined
  if (router !== undefined) {
    // Per behaviour (default first): the viewer-request ARN of our function, or '' for none.
    const arns = edgeArns(router.config).map((a) =>
      a.includes(`:function:${functionName}:`) ? a : ''
    )
    routerEdgeArn = arns.find((a) => a !== '')
    let mode: RouterMode
    if (routerEdgeArn !== undefined) {
      const allSame = arns.every((a) => a === routerEdgeArn)
      const description = allSame
        ? await versionDescription(ctx.clients.edgeLambda, routerEdgeArn)
        : undefined
      mode =
        allSame &&
        description !== undefined &&
        description === options.desiredEdgeDescription &&
        behaviourBehind(router.config) === behaviourBehind(blue.config)
          ? 'edge'
          : 'edge-stale'
    } else {
      const shape = behaviourBehind(router.config)
      mode =
        shape === behaviourBehind(blue.config)
          ? 'pass-blue'
          : shape === behaviourBehind(green.config)
            ? 'pass-green'
            : 'other'
    }
    routerFacts = { ...(await facts(router)), mode, tags: routerTags }
  }

  const ours = new Set([blueId, greenId, routerSummary?.id])
  const watched = [names.domain, names.wildcard, names.blueHost, names.greenHost]
  const others = list
    .filter((d) => !ours.has(d.id) && d.aliases.some((a) => watched.includes(a)))
    .map((d) => ({ id: d.id, aliases: d.aliases }))

  // DNS
  let zone: HostedZone | undefined
  let manualReason: string | undefined
  let records: RecordView[] = []
  if (request.dns !== 'manual') {
    try {
      zone = await findHostedZone(ctx.clients.route53, names.domain)
      if (zone === undefined) manualReason = `no Route53 hosted zone contains ${names.domain}`
    } catch (error) {
      if (!isAccessDenied(error)) throw error
      manualReason = `no access to Route53 (${errorName(error) ?? 'AccessDenied'})`
    }
    if (zone !== undefined) {
      try {
        for (const name of [names.domain, names.blueHost, names.greenHost]) {
          records.push(...(await listRecords(ctx.clients.route53, zone.id, name)))
        }
      } catch (error) {
        if (!isAccessDenied(error)) throw error
        manualReason = `no access to the records of zone ${zone.name} (${errorName(error) ?? 'AccessDenied'})`
        zone = undefined
        records = []
      }
    }
  }
  const edgeExists =
    request.cleanup && router === undefined
      ? await functionExists(ctx.clients.edgeLambda, functionName)
      : router !== undefined

  return {
    observed: {
      names,
      blue: blueFacts,
      green: greenFacts,
      router: routerFacts,
      others,
      dnsMode: zone === undefined ? 'manual' : 'route53',
      records: records.map((r) => ({ name: r.name, type: r.type, aliasTarget: r.aliasTarget })),
      edgeFunctionExists: edgeExists
    },
    dists: { blue, green, router },
    zone,
    records,
    manualReason,
    functionName,
    routerEdgeArn
  }
}

export function isAccessDenied(error: unknown): boolean {
  const name = errorName(error)
  return name === 'AccessDenied' || name === 'AccessDeniedException'
}

/** The viewer-request Lambda@Edge ARN of the default and of every cache behaviour ('' if none). */
export function edgeArns(config: DistributionConfig): string[] {
  const behaviours = [config.DefaultCacheBehavior, ...(config.CacheBehaviors?.Items ?? [])]
  return behaviours.map(
    (b) =>
      b?.LambdaFunctionAssociations?.Items?.find((a) => a.EventType === 'viewer-request')
        ?.LambdaFunctionARN ?? ''
  )
}

/**
 * What a distribution serves, apart from its aliases and edge functions: origins, behaviours'
 * routing, certificate. Two distributions with the same shape serve the same content.
 */
export function behaviourBehind(config: DistributionConfig): string {
  const origins = (config.Origins?.Items ?? [])
    .map((o) => [o.Id ?? '', o.DomainName ?? '', o.OriginPath ?? ''].join('|'))
    .sort()
  const behaviours = (config.CacheBehaviors?.Items ?? []).map(
    (b) => `${b.PathPattern ?? ''}>${b.TargetOriginId ?? ''}`
  )
  return JSON.stringify({
    origins,
    default: config.DefaultCacheBehavior?.TargetOriginId ?? '',
    behaviours,
    certificate: config.ViewerCertificate?.ACMCertificateArn ?? ''
  })
}
