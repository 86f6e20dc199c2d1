/**
 * The router's config, built from scratch (pure), and the mode an existing router is read in:
 * the router shape with our edge version is `edge`, an older release's clone of blue is
 * `edge-stale` (converged by the next run), the shape without the function is pass-through.
 * The config a split produces is written to build/router-config.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import type { DistributionConfig } from '@aws-sdk/client-cloudfront'
import {
  ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
  CACHING_DISABLED_POLICY_ID,
  routerConfig,
  routerModeOf
} from '../../src/publish/router-config.js'
import { realBlueConfig } from './model/world.js'
import { STAGE } from './model/world.js'

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/wild'
const EDGE = 'arn:aws:lambda:us-east-1:123456789012:function:bluegreen-router-www-deep-mg:7'
const blue = realBlueConfig(
  STAGE,
  ['*.deep.mg'],
  CERT,
  'arn:aws:lambda:us-east-1:123456789012:function:deep-stage-auth:1'
)
const BLUE_DOMAIN = 'd111111abcdef8.cloudfront.net'
const GREEN_DOMAIN = 'd222222abcdef8.cloudfront.net'
const split = routerConfig({
  originDomain: BLUE_DOMAIN,
  blue,
  aliases: ['www.deep.mg'],
  edgeArn: EDGE,
  callerReference: 'bluegreen-router-www.deep.mg-1780000000000',
  comment: 'bluegreen-router www.deep.mg',
  enabled: true
})
const mode = (config: DistributionConfig, description = 'bluegreen-router 9:1 abc') =>
  routerModeOf(config, {
    functionName: 'bluegreen-router-www-deep-mg',
    blueDomain: BLUE_DOMAIN,
    greenDomain: GREEN_DOMAIN,
    blue,
    versionDescription: () => description,
    desiredDescription: 'bluegreen-router 9:1 abc'
  })

test("a split's router: blue's CloudFront domain over HTTPS, one behaviour, the managed policies, nothing else of blue", () => {
  mkdirSync('build', { recursive: true })
  writeFileSync('build/router-config.json', `${JSON.stringify(split, null, 2)}\n`)
  expect(
    split.Origins?.Items?.map((o) => [o.DomainName, o.CustomOriginConfig?.OriginProtocolPolicy])
  ).toEqual([[BLUE_DOMAIN, 'https-only']])
  expect(split.CacheBehaviors?.Quantity).toBe(0)
  expect(split.DefaultCacheBehavior).toMatchObject({
    CachePolicyId: CACHING_DISABLED_POLICY_ID,
    OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_POLICY_ID,
    FunctionAssociations: { Quantity: 0 },
    LambdaFunctionAssociations: {
      Quantity: 1,
      Items: [{ LambdaFunctionARN: EDGE, EventType: 'viewer-request' }]
    }
  })
  expect(split.DefaultCacheBehavior?.AllowedMethods?.Items).toHaveLength(7)
  // blue's certificate and delivery settings; not its WAF, logging, OAC or functions.
  expect(split.ViewerCertificate).toEqual(blue.ViewerCertificate)
  expect([split.PriceClass, split.HttpVersion, split.IsIPV6Enabled]).toEqual([
    blue.PriceClass,
    blue.HttpVersion,
    blue.IsIPV6Enabled
  ])
  expect(split.WebACLId).toBe('')
  expect(split.Logging).toBeUndefined()
  expect(JSON.stringify(split)).not.toMatch(
    /OriginAccessControlId|security-headers|deep-stage-auth/
  )
})

test('an existing router is read by its shape: edge, edge-stale (other version, or an older clone of blue), pass-through', () => {
  expect(mode(split)).toBe('edge')
  expect(mode(split, 'bluegreen-router 1:1 def')).toBe('edge-stale')
  // An older release cloned blue and put the function on every behaviour.
  const behaviours = blue.CacheBehaviors?.Items ?? []
  const clone: DistributionConfig = {
    ...blue,
    DefaultCacheBehavior: {
      ...(blue.DefaultCacheBehavior ?? { TargetOriginId: '', ViewerProtocolPolicy: 'allow-all' }),
      LambdaFunctionAssociations: {
        Quantity: 1,
        Items: [{ LambdaFunctionARN: EDGE, EventType: 'viewer-request' }]
      }
    },
    CacheBehaviors: { Quantity: behaviours.length, Items: behaviours }
  }
  expect(mode(clone)).toBe('edge-stale')
  const pass = (domain: string) =>
    routerConfig({ ...splitOptions(), originDomain: domain, edgeArn: undefined })
  expect(mode(pass(BLUE_DOMAIN))).toBe('pass-blue')
  expect(mode(pass(GREEN_DOMAIN))).toBe('pass-green')
  expect(mode(pass('d333.cloudfront.net'))).toBe('other')
  expect(mode(blue)).toBe('other')
})

function splitOptions() {
  return {
    originDomain: BLUE_DOMAIN,
    blue,
    aliases: [],
    edgeArn: EDGE,
    callerReference: 'r',
    comment: 'bluegreen-router www.deep.mg',
    enabled: true
  }
}
