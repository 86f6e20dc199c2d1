/**
 * The router distribution's config, built from scratch (pure): one custom origin, the CloudFront
 * domain of the colour it falls back to (HTTPS only), one default behaviour with the edge
 * function on viewer-request, the managed CachingDisabled cache policy and
 * AllViewerExceptHostHeader origin request policy, all methods; and blue's ViewerCertificate,
 * PriceClass, HttpVersion and IsIPV6Enabled. Nothing else of blue is copied: a CloudFront
 * Function in blue's viewer events cannot sit beside Lambda@Edge, an Origin Access Control
 * origin answers only blue's own ARN, and blue's own edge functions, key groups, field-level
 * encryption, WAF and logging do not belong on a redirector. The fallback reaches blue through
 * its CloudFront domain, so it gets all of blue's own behaviour (CloudFront chains two deep).
 *
 * And the reverse: which mode an existing router is in, from its config.
 */
import type { DistributionConfig } from '../aws/cloudfront.js'
import type { RouterMode } from './types.js'

/** Managed cache policy "CachingDisabled" (AWS: Use managed cache policies). */
export const CACHING_DISABLED_POLICY_ID = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'
/**
 * Managed origin request policy "AllViewerExceptHostHeader" (AWS: Use managed origin request
 * policies). The Host header must not be forwarded: with the viewer's Host, blue's distribution
 * would route the request by that alias back to the router.
 */
export const ALL_VIEWER_EXCEPT_HOST_POLICY_ID = 'b689b0a8-53d0-40ab-baf2-68738e2966ac'
/** The router's only origin. */
export const ROUTER_ORIGIN_ID = 'bluegreen-fallback'

export interface RouterConfigOptions {
  /** The CloudFront domain (dxxxx.cloudfront.net) of the colour the router falls back to. */
  originDomain: string
  /** Blue's config: its certificate, price class, HTTP version and IPv6 are copied. */
  blue: DistributionConfig
  aliases: string[]
  /** The edge function version on viewer-request; undefined: pass-through. */
  edgeArn: string | undefined
  callerReference: string
  comment: string
  enabled: boolean
}

const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'] as const

export function routerConfig(o: RouterConfigOptions): DistributionConfig {
  const lambdas =
    o.edgeArn === undefined
      ? []
      : [{ LambdaFunctionARN: o.edgeArn, EventType: 'viewer-request' as const, IncludeBody: false }]
  return {
    CallerReference: o.callerReference,
    Comment: o.comment.slice(0, 128),
    Enabled: o.enabled,
    Aliases: { Quantity: o.aliases.length, Items: [...o.aliases] },
    DefaultRootObject: '',
    Origins: {
      Quantity: 1,
      Items: [
        {
          Id: ROUTER_ORIGIN_ID,
          DomainName: o.originDomain,
          OriginPath: '',
          CustomHeaders: { Quantity: 0 },
          CustomOriginConfig: {
            HTTPPort: 80,
            HTTPSPort: 443,
            OriginProtocolPolicy: 'https-only',
            OriginSslProtocols: { Quantity: 1, Items: ['TLSv1.2'] },
            OriginReadTimeout: 30,
            OriginKeepaliveTimeout: 5
          },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10
        }
      ]
    },
    DefaultCacheBehavior: {
      TargetOriginId: ROUTER_ORIGIN_ID,
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: {
        Quantity: ALL_METHODS.length,
        Items: [...ALL_METHODS],
        CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] }
      },
      Compress: false,
      CachePolicyId: CACHING_DISABLED_POLICY_ID,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
      LambdaFunctionAssociations: { Quantity: lambdas.length, Items: lambdas },
      FunctionAssociations: { Quantity: 0, Items: [] },
      FieldLevelEncryptionId: '',
      SmoothStreaming: false
    },
    CacheBehaviors: { Quantity: 0, Items: [] },
    CustomErrorResponses: { Quantity: 0, Items: [] },
    Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0, Items: [] } },
    WebACLId: '',
    PriceClass: o.blue.PriceClass ?? 'PriceClass_All',
    HttpVersion: o.blue.HttpVersion ?? 'http2',
    IsIPV6Enabled: o.blue.IsIPV6Enabled ?? false,
    ...(o.blue.ViewerCertificate === undefined
      ? {}
      : { ViewerCertificate: structuredClone(o.blue.ViewerCertificate) })
  }
}

export interface ModeInput {
  functionName: string
  blueDomain: string
  greenDomain: string
  blue: DistributionConfig
  /** The description of the version the router runs (undefined: unknown or gone). */
  versionDescription: (arn: string) => string | undefined
  /** The description the target needs (split); undefined: no edge version is wanted. */
  desiredDescription: string | undefined
}

/** The viewer-request Lambda@Edge ARN of the default behaviour, if any. */
export function defaultEdgeArn(config: DistributionConfig): string | undefined {
  return config.DefaultCacheBehavior?.LambdaFunctionAssociations?.Items?.find(
    (a) => a.EventType === 'viewer-request'
  )?.LambdaFunctionARN
}

const norm = (domain: string | undefined): string => (domain ?? '').toLowerCase().replace(/\.$/, '')

/**
 * Is this the router shape of routerConfig() (any origin domain, edge or not), with blue's
 * certificate and delivery settings? A clone of blue an older release made is not.
 */
function hasRouterShape(config: DistributionConfig, blue: DistributionConfig): boolean {
  const origins = config.Origins?.Items ?? []
  const b = config.DefaultCacheBehavior
  const fns = b?.FunctionAssociations?.Items ?? []
  const lambdas = b?.LambdaFunctionAssociations?.Items ?? []
  const cert = (c: DistributionConfig): string =>
    JSON.stringify([
      c.ViewerCertificate?.ACMCertificateArn ?? '',
      c.ViewerCertificate?.IAMCertificateId ?? '',
      c.PriceClass ?? 'PriceClass_All',
      c.HttpVersion ?? 'http2',
      c.IsIPV6Enabled ?? false
    ])
  return (
    origins.length === 1 &&
    origins[0]?.Id === ROUTER_ORIGIN_ID &&
    origins[0].CustomOriginConfig?.OriginProtocolPolicy === 'https-only' &&
    (config.CacheBehaviors?.Items ?? []).length === 0 &&
    b?.TargetOriginId === ROUTER_ORIGIN_ID &&
    b.CachePolicyId === CACHING_DISABLED_POLICY_ID &&
    b.OriginRequestPolicyId === ALL_VIEWER_EXCEPT_HOST_POLICY_ID &&
    fns.length === 0 &&
    lambdas.every((a) => a.EventType === 'viewer-request') &&
    lambdas.length <= 1 &&
    cert(config) === cert(blue)
  )
}

/** Which mode an existing router is in (see RouterMode). */
export function routerModeOf(config: DistributionConfig, input: ModeInput): RouterMode {
  const arn = defaultEdgeArn(config)
  const shaped = hasRouterShape(config, input.blue)
  if (arn?.includes(`:function:${input.functionName}:`) === true) {
    const description = input.versionDescription(arn)
    return shaped &&
      norm(config.Origins?.Items?.[0]?.DomainName) === norm(input.blueDomain) &&
      description !== undefined &&
      description === input.desiredDescription
      ? 'edge'
      : 'edge-stale'
  }
  if (!shaped || arn !== undefined) return 'other'
  const origin = norm(config.Origins?.Items?.[0]?.DomainName)
  if (origin === norm(input.blueDomain)) return 'pass-blue'
  if (origin === norm(input.greenDomain)) return 'pass-green'
  return 'other'
}
