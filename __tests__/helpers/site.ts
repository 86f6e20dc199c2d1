/**
 * A small website on the emulator, as an operator would have it before the first publish: a
 * wildcard certificate for the apex, a Route53 zone, a blue distribution holding D and a green
 * one holding G2 (tagged with DEEP's environment name and hash). Used by the emulator tests and
 * by `npm run demo`.
 */
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm'
import {
  CloudFrontClient,
  CreateDistributionWithTagsCommand,
  type DistributionConfig
} from '@aws-sdk/client-cloudfront'
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53'
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import { CreateFunctionCommand, LambdaClient, PublishVersionCommand } from '@aws-sdk/client-lambda'
import { zipSync } from 'fflate'

export interface SiteNames {
  /** D, e.g. www.deep.mg */
  domain: string
  apex: string
  blueHost: string
  greenHost: string
  wildcard: string
}

export function siteNames(domain = 'www.deep.mg'): SiteNames {
  const [label = '', ...rest] = domain.split('.')
  const apex = rest.join('.')
  return {
    domain,
    apex,
    blueHost: `${label}1.${apex}`,
    greenHost: `${label}2.${apex}`,
    wildcard: `*.${apex}`
  }
}

export interface Site extends SiteNames {
  blueId: string
  greenId: string
  zoneId: string
  certificateArn: string
  blueOrigin: string
  greenOrigin: string
}

/** A distribution config with an S3 origin, a default and one extra cache behaviour. */
export function distributionConfig(options: {
  ref: string
  aliases: string[]
  certificateArn: string
  origin: string
}): DistributionConfig {
  const behaviour = {
    TargetOriginId: 'app',
    ViewerProtocolPolicy: 'redirect-to-https' as const,
    CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6'
  }
  return {
    CallerReference: options.ref,
    Comment: options.ref,
    Enabled: true,
    Aliases: { Quantity: options.aliases.length, Items: options.aliases },
    Origins: {
      Quantity: 1,
      Items: [
        { Id: 'app', DomainName: options.origin, S3OriginConfig: { OriginAccessIdentity: '' } }
      ]
    },
    DefaultCacheBehavior: behaviour,
    CacheBehaviors: { Quantity: 1, Items: [{ ...behaviour, PathPattern: '/api/*' }] },
    ViewerCertificate: {
      ACMCertificateArn: options.certificateArn,
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021'
    }
  }
}

/**
 * Blue as real accounts have it: a security-headers CloudFront Function on viewer-response of
 * every behaviour, its own origin-request Lambda@Edge, an S3 origin behind Origin Access
 * Control, and several cache behaviours.
 */
export function realBlueConfig(
  base: DistributionConfig,
  options: { ownEdgeArn: string; oacId: string; assetsBucket: string }
): DistributionConfig {
  const headers = {
    Quantity: 1,
    Items: [
      {
        EventType: 'viewer-response' as const,
        FunctionARN: 'arn:aws:cloudfront::123456789012:function/security-headers'
      }
    ]
  }
  const assets = (path: string) => ({
    PathPattern: path,
    TargetOriginId: 'assets',
    ViewerProtocolPolicy: 'redirect-to-https' as const,
    CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6'
  })
  const origins = base.Origins?.Items ?? []
  const behaviours = [...(base.CacheBehaviors?.Items ?? []), assets('/assets/*'), assets('/img/*')]
  return {
    ...base,
    Origins: {
      Quantity: origins.length + 1,
      Items: [
        ...origins,
        {
          Id: 'assets',
          DomainName: options.assetsBucket,
          OriginAccessControlId: options.oacId,
          S3OriginConfig: { OriginAccessIdentity: '' }
        }
      ]
    },
    DefaultCacheBehavior: {
      ...(base.DefaultCacheBehavior ?? {
        TargetOriginId: 'app',
        ViewerProtocolPolicy: 'allow-all'
      }),
      FunctionAssociations: headers,
      LambdaFunctionAssociations: {
        Quantity: 1,
        Items: [{ EventType: 'origin-request', LambdaFunctionARN: options.ownEdgeArn }]
      }
    },
    CacheBehaviors: {
      Quantity: behaviours.length,
      Items: behaviours.map((b) => ({ ...b, FunctionAssociations: headers }))
    }
  }
}

/** A published Lambda@Edge version of blue's own (origin-request) function, on the emulator. */
export async function ownEdgeVersion(region = 'us-east-1'): Promise<string> {
  const iam = new IAMClient({ region })
  const lambda = new LambdaClient({ region })
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: 'deep-stage-auth',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] },
            Action: 'sts:AssumeRole'
          }
        ]
      })
    })
  )
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'deep-stage-auth',
      Role: role.Role?.Arn,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Code: {
        ZipFile: zipSync({
          'index.js': new TextEncoder().encode(
            'exports.handler=async(e)=>e.Records[0].cf.request\n'
          )
        })
      }
    })
  )
  const v = await lambda.send(new PublishVersionCommand({ FunctionName: 'deep-stage-auth' }))
  return v.FunctionArn ?? ''
}

export interface SiteOptions {
  /** Blue as real accounts have it (see realBlueConfig). */
  realBlue?: { ownEdgeArn: string; oacId: string }
}

/** Creates the site (blue stage:abcd1234 holding D, green prod:wxyz0987 holding G2). */
export async function createSite(
  domain = 'www.deep.mg',
  region = 'us-east-1',
  options: SiteOptions = {}
): Promise<Site> {
  const names = siteNames(domain)
  const acm = new ACMClient({ region })
  const cf = new CloudFrontClient({ region })
  const r53 = new Route53Client({ region })
  const cert = await acm.send(
    new RequestCertificateCommand({
      DomainName: names.apex,
      SubjectAlternativeNames: [names.apex, names.wildcard],
      ValidationMethod: 'DNS'
    })
  )
  const certificateArn = cert.CertificateArn ?? ''
  const zone = await r53.send(
    new CreateHostedZoneCommand({
      Name: names.apex,
      CallerReference: `zone-${names.apex}-${Date.now()}`
    })
  )
  const zoneId = (zone.HostedZone?.Id ?? '').replace('/hostedzone/', '')
  const create = async (env: string, hash: string, aliases: string[], origin: string) => {
    const base = distributionConfig({ ref: `${env}-${hash}`, aliases, certificateArn, origin })
    const real = env === 'stage' ? options.realBlue : undefined
    const config =
      real === undefined
        ? base
        : realBlueConfig(base, {
            ...real,
            assetsBucket: 'deep-stage-assets-abcd1234.s3.amazonaws.com'
          })
    const res = await cf.send(
      new CreateDistributionWithTagsCommand({
        DistributionConfigWithTags: {
          DistributionConfig: config,
          Tags: {
            Items: [
              { Key: 'DeepEnvironmentName', Value: env },
              { Key: 'DeepEnvironmentId', Value: hash }
            ]
          }
        }
      })
    )
    return res.Distribution?.Id ?? ''
  }
  const blueOrigin = 'deep-stage-public-abcd1234.s3.amazonaws.com'
  const greenOrigin = 'deep-prod-public-wxyz0987.s3.amazonaws.com'
  const blueId = await create('stage', 'abcd1234', [names.domain], blueOrigin)
  const greenId = await create('prod', 'wxyz0987', [names.greenHost], greenOrigin)
  return { ...names, blueId, greenId, zoneId, certificateArn, blueOrigin, greenOrigin }
}
