/**
 * The deep.mg world of the journeys: apex deep.mg, D www.deep.mg, B1 www1.deep.mg,
 * G2 www2.deep.mg; blue (stage:abcd1234) holds D, green (prod:fedc0987) holds G2, both with a
 * certificate for [deep.mg, *.deep.mg] and DEEP's environment tags; zone deep.mg with A alias
 * records for D and G2. And a role-based summary of the world, to compare two runs' results.
 */
import type { DistributionConfig, Tag } from '@aws-sdk/client-cloudfront'
import { realBlueConfig as siteRealBlue } from '../../helpers/site.js'
import { AwsModel, aliasesOf, type ModelSettings } from './model.js'
import { normalise } from './names.js'

export const HOSTS = { domain: 'www.deep.mg', blue: 'www1.deep.mg', green: 'www2.deep.mg' }
export const APEX = 'deep.mg'

export interface EnvSpec {
  name: string
  hash: string
  /** The origin's domain name (identifies the environment in servedBy). */
  origin: string
}

export const STAGE: EnvSpec = {
  name: 'stage',
  hash: 'abcd1234',
  origin: 'deep-stage-public-abcd1234.s3-website-eu-west-1.amazonaws.com'
}
export const PROD: EnvSpec = {
  name: 'prod',
  hash: 'fedc0987',
  origin: 'deep-prod-public-fedc0987.s3-website-eu-west-1.amazonaws.com'
}
export const QA: EnvSpec = {
  name: 'qa',
  hash: '1234abcd',
  origin: 'deep-qa-public-1234abcd.s3-website-eu-west-1.amazonaws.com'
}

export const ref = (env: EnvSpec): string => `${env.name}:${env.hash}`
const apiOrigin = (env: EnvSpec): string => `api-${env.hash}.execute-api.eu-west-1.amazonaws.com`

/** A typical DEEP frontend distribution: an S3 website origin and one extra API behaviour. */
export function environmentConfig(
  env: EnvSpec,
  aliases: string[],
  certificateArn: string
): DistributionConfig {
  return {
    CallerReference: `deep-${env.name}-${env.hash}`,
    Comment: `DEEP ${env.name} ${env.hash}`,
    Enabled: true,
    Aliases: { Quantity: aliases.length, Items: aliases },
    Origins: {
      Quantity: 2,
      Items: [
        {
          Id: `s3-${env.hash}`,
          DomainName: env.origin,
          CustomOriginConfig: {
            HTTPPort: 80,
            HTTPSPort: 443,
            OriginProtocolPolicy: 'http-only'
          }
        },
        {
          Id: `api-${env.hash}`,
          DomainName: apiOrigin(env),
          CustomOriginConfig: {
            HTTPPort: 80,
            HTTPSPort: 443,
            OriginProtocolPolicy: 'https-only'
          }
        }
      ]
    },
    DefaultCacheBehavior: {
      TargetOriginId: `s3-${env.hash}`,
      ViewerProtocolPolicy: 'redirect-to-https',
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6'
    },
    CacheBehaviors: {
      Quantity: 1,
      Items: [
        {
          PathPattern: '/api/*',
          TargetOriginId: `api-${env.hash}`,
          ViewerProtocolPolicy: 'https-only',
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'
        }
      ]
    },
    ViewerCertificate: {
      ACMCertificateArn: certificateArn,
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021'
    },
    PriceClass: 'PriceClass_100',
    HttpVersion: 'http2',
    IsIPV6Enabled: true
  }
}

/**
 * Blue as real accounts have it (the emulator tests' realBlueConfig: a viewer-response
 * CloudFront Function, its own origin-request Lambda@Edge, an S3 origin behind Origin Access
 * Control, several behaviours), plus logging and a WAF web ACL. A router cloned from it would be
 * refused (CloudFront Functions and Lambda@Edge in viewer events) or denied by the bucket.
 */
export function realBlueConfig(
  env: EnvSpec,
  aliases: string[],
  certificateArn: string,
  ownEdgeArn: string
): DistributionConfig {
  return {
    ...siteRealBlue(environmentConfig(env, aliases, certificateArn), {
      ownEdgeArn,
      oacId: 'E2OACEXAMPLE',
      assetsBucket: oacBucket(env)
    }),
    Logging: {
      Enabled: true,
      IncludeCookies: false,
      Bucket: 'logs.s3.amazonaws.com',
      Prefix: env.hash
    },
    WebACLId: `arn:aws:wafv2:us-east-1:123456789012:global/webacl/${env.hash}/1`
  }
}

export const oacBucket = (env: EnvSpec): string =>
  `deep-${env.name}-assets-${env.hash}.s3.us-east-1.amazonaws.com`

export function deepTags(env: EnvSpec): Tag[] {
  return [
    { Key: 'DeepEnvironmentName', Value: env.name },
    { Key: 'DeepEnvironmentId', Value: env.hash }
  ]
}

export interface World {
  model: AwsModel
  zoneId: string
  ids: Record<string, string>
  /** The environments' distribution configs as their owners left them (by id). */
  originals: Map<string, DistributionConfig>
}

/** The world before the first publish (`realBlue`: blue as real accounts have it). */
export function deepWorld(
  settings: Partial<ModelSettings> = {},
  options: { zone?: boolean; realBlue?: boolean } = {}
): World {
  const model = new AwsModel(settings)
  for (const env of [STAGE, PROD, QA])
    model.defineEnvironment(env.name, [env.origin, apiOrigin(env), oacBucket(env)])
  const blueCert = model.addCertificate(APEX, [`*.${APEX}`])
  const greenCert = model.addCertificate(APEX, [`*.${APEX}`])
  const blueConfig =
    options.realBlue === true
      ? realBlueConfig(STAGE, [HOSTS.domain], blueCert, model.seedEdgeVersion('deep-stage-auth'))
      : environmentConfig(STAGE, [HOSTS.domain], blueCert)
  const blue = model.addDistribution(blueConfig, deepTags(STAGE))
  if (options.realBlue === true) model.allowOac(oacBucket(STAGE), blue.arn)
  const green = model.addDistribution(
    environmentConfig(PROD, [HOSTS.green], greenCert),
    deepTags(PROD)
  )
  const ids = { [STAGE.name]: blue.id, [PROD.name]: green.id }
  const originals = new Map([
    [blue.id, structuredClone(blue.config)],
    [green.id, structuredClone(green.config)]
  ])
  if (options.zone === false) return { model, zoneId: '', ids, originals }
  const zoneId = model.addZone(APEX)
  model.addAliasRecord(zoneId, HOSTS.domain, blue.id)
  model.addAliasRecord(zoneId, HOSTS.green, green.id)
  return { model, zoneId, ids, originals }
}

/** Adds the qa environment's distribution (no aliases yet, a wildcard certificate). */
export function addQa(world: World): string {
  const cert = world.model.addCertificate(APEX, [`*.${APEX}`])
  const d = world.model.addDistribution(environmentConfig(QA, [], cert), deepTags(QA))
  world.ids[QA.name] = d.id
  world.originals.set(d.id, structuredClone(d.config))
  return d.id
}

export interface WorldSummary {
  distributions: { role: string; aliases: string[]; enabled: boolean; serves: string }[]
  records: string[]
  edgeFunctions: number
}

/**
 * The world by role, not by id (a router created by two different runs has two ids): each
 * distribution named by its environment tag, or "router" for the others.
 */
export function summarise(world: World): WorldSummary {
  const { model } = world
  const roleOf = new Map<string, string>()
  for (const d of model.state.distributions.values()) {
    const env = d.tags.find((t) => t.Key === 'DeepEnvironmentName')?.Value
    roleOf.set(d.id, env ?? 'router')
  }
  const distributions = [...model.state.distributions.values()]
    .map((d) => ({
      role: roleOf.get(d.id) ?? '?',
      aliases: aliasesOf(d.config).sort(),
      enabled: d.config.Enabled === true,
      serves: model.environmentOf(d.config, d)
    }))
    .sort((a, b) => a.role.localeCompare(b.role))
  const records = model
    .zoneRecords()
    .map((r) => {
      const target = model.distributionByDomain(r.AliasTarget?.DNSName ?? '')
      const to =
        target === undefined
          ? normalise(r.AliasTarget?.DNSName ?? '?')
          : (roleOf.get(target.id) ?? '?')
      return `${r.Type ?? '?'} ${normalise(r.Name ?? '')} → ${to}`
    })
    .sort()
  return { distributions, records, edgeFunctions: model.state.functions.size }
}
