/**
 * Publish on the distributions real accounts have, through the built action (`node
 * dist/index.js`) against moto with scripts/moto/patches.py:
 * - blue with a viewer-response CloudFront Function, its own origin-request Lambda@Edge, an S3
 *   origin behind Origin Access Control and several cache behaviours: the router is built from
 *   scratch (nothing of blue's), and blue changes in nothing but its aliases;
 * - manual DNS in two phases, with a DNS server on 127.0.0.1 playing the operator's DNS provider;
 * - the patches that make moto refuse what AWS refuses (each with a self-test).
 */
import {
  CloudFrontClient,
  CreateDistributionCommand,
  CreateOriginAccessControlCommand,
  type DistributionConfig,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  UpdateDistributionCommand
} from '@aws-sdk/client-cloudfront'
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm'
import { runAction } from '../helpers/action.js'
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js'
import { createSite, distributionConfig, ownEdgeVersion, type Site } from '../helpers/site.js'

const REGION = 'us-east-1'
const hasEmulator = (process.env.AWS_ENDPOINT_URL ?? '').startsWith('http://127.0.0.1:')
const describeEmulator = hasEmulator ? describe : describe.skip
const cf = new CloudFrontClient({ region: REGION })

async function configOf(id: string): Promise<DistributionConfig> {
  const res = await cf.send(new GetDistributionConfigCommand({ Id: id }))
  if (res.DistributionConfig === undefined) throw new Error(`no config for ${id}`)
  return res.DistributionConfig
}

async function distributions() {
  const res = await cf.send(new ListDistributionsCommand({}))
  return res.DistributionList?.Items ?? []
}

/** Everything of a config but its aliases (what publish may not touch on blue or green). */
const exceptAliases = (c: DistributionConfig): string =>
  JSON.stringify({ ...c, Aliases: undefined })

describeEmulator('blue as real accounts have it (built action)', () => {
  let site: Site
  let blueBefore: DistributionConfig
  const inputs = (ratio: string, extra: Record<string, string> = {}) => ({
    blue: 'stage:abcd1234',
    green: 'prod:wxyz0987',
    ratio,
    'domain-name': 'www.deep.mg',
    'wait-timeout': '2m',
    ...extra
  })

  beforeAll(async () => {
    const oac = await cf.send(
      new CreateOriginAccessControlCommand({
        OriginAccessControlConfig: {
          Name: 'deep-stage-assets',
          OriginAccessControlOriginType: 's3',
          SigningBehavior: 'always',
          SigningProtocol: 'sigv4'
        }
      })
    )
    site = await createSite('www.deep.mg', REGION, {
      realBlue: {
        ownEdgeArn: await ownEdgeVersion(REGION),
        oacId: oac.OriginAccessControl?.Id ?? ''
      }
    })
    blueBefore = await configOf(site.blueId)
  })

  test('9:1: the router is created from scratch beside a blue that carries a viewer-response CloudFront Function', async () => {
    const res = await runAction(inputs('9:1'))
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    const routerId = res.outputs['router-distribution-id'] ?? ''
    const router = await configOf(routerId)
    const all = await distributions()
    const blueDomain = all.find((d) => d.Id === site.blueId)?.DomainName
    // Nothing of blue's: one origin (blue's CloudFront domain), one behaviour, no function of
    // blue's, no OAC, no logging or WAF.
    expect(router.Origins?.Items?.map((o) => o.DomainName)).toEqual([blueDomain])
    expect(router.CacheBehaviors?.Quantity ?? 0).toBe(0)
    expect(router.DefaultCacheBehavior?.FunctionAssociations?.Quantity ?? 0).toBe(0)
    expect(router.DefaultCacheBehavior?.LambdaFunctionAssociations?.Items).toEqual([
      expect.objectContaining({
        EventType: 'viewer-request',
        LambdaFunctionARN: res.outputs['edge-function-version-arn']
      })
    ])
    expect(router.WebACLId ?? '').toBe('')
    expect(router.Aliases?.Items).toEqual(['www.deep.mg'])
    // Blue: its aliases moved (D → W), everything else exactly as its owner left it.
    const blueAfter = await configOf(site.blueId)
    expect(blueAfter.Aliases?.Items).toEqual([site.wildcard])
    expect(exceptAliases(blueAfter)).toBe(exceptAliases(blueBefore))
  })

  test('0:1 then the same 0:1: green takes D and W, the router passes through to green, blue keeps everything else', async () => {
    const res = await runAction(inputs('0:1'))
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    const again = await runAction(inputs('0:1'))
    expect(again.outputs.changed).toBe('false')
    const blueAfter = await configOf(site.blueId)
    expect(blueAfter.Aliases?.Quantity ?? 0).toBe(0)
    expect(exceptAliases(blueAfter)).toBe(exceptAliases(blueBefore))
  })
})

describeEmulator('manual DNS in two phases (built action, a DNS server on 127.0.0.1)', () => {
  let site: Site
  let dns: TestDnsServer
  const inputs = () => ({
    blue: 'stage:abcd1234',
    green: 'prod:wxyz0987',
    ratio: '9:1',
    'domain-name': 'www.deep.mg',
    dns: 'manual',
    'dns-resolvers': dns.address,
    'wait-timeout': '2m'
  })
  const routers = async () =>
    (await distributions()).filter((d) => d.Id !== site.blueId && d.Id !== site.greenId)

  beforeAll(async () => {
    // A fresh emulator: the journey above left its own site behind.
    const reset = await fetch(`${process.env.AWS_ENDPOINT_URL ?? ''}/moto-api/reset`, {
      method: 'POST'
    })
    expect(reset.ok).toBe(true)
    dns = await startDnsServer()
    site = await createSite('www.deep.mg', REGION)
  })
  afterAll(async () => {
    await dns.close()
  })

  test('phase 1: blue takes the wildcard, no router, the B1/G2 CNAMEs printed, exit 0 with a warning', async () => {
    const res = await runAction(inputs())
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    expect(res.outputs).toMatchObject({
      'dns-mode': 'manual',
      changed: 'true',
      'router-distribution-id': ''
    })
    expect(await routers()).toEqual([])
    expect((await configOf(site.blueId)).Aliases?.Items).toEqual([site.wildcard])
    expect(res.stdout).toMatch(/::warning::.*re-run this publish/)
    const blueDomain = (await distributions()).find((d) => d.Id === site.blueId)?.DomainName ?? ''
    expect(res.summary).toContain(`| www1.deep.mg | CNAME | ${blueDomain} | manual |`)
    expect(dns.asked).toEqual(expect.arrayContaining(['www1.deep.mg', 'www2.deep.mg']))
  })

  test('phase 2 while B1 does not resolve: nothing changes, and the run says which name', async () => {
    const all = await distributions()
    const domain = (id: string) => all.find((d) => d.Id === id)?.DomainName ?? ''
    dns.set('www2.deep.mg', { cname: domain(site.greenId) })
    const res = await runAction(inputs())
    expect(res.code).toBe(0)
    expect(res.outputs.changed).toBe('false')
    expect(await routers()).toEqual([])
    expect(res.stdout).toMatch(/www1\.deep\.mg: no such name \(NXDOMAIN\)/)
  })

  test('phase 2 once B1 and G2 resolve: the router takes D', async () => {
    const all = await distributions()
    const domain = (id: string) => all.find((d) => d.Id === id)?.DomainName ?? ''
    dns.set('www1.deep.mg', { cname: domain(site.blueId) })
    const res = await runAction(inputs())
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    const r = await routers()
    expect(r.map((d) => d.Aliases?.Items)).toEqual([['www.deep.mg']])
    expect(res.outputs['router-distribution-id']).toBe(r[0]?.Id)
    expect(res.summary).toContain(`| www.deep.mg | CNAME | ${r[0]?.DomainName ?? ''} | manual |`)
  })
})

// The moto patches the journeys above rely on: without them the emulator would accept configs
// that AWS refuses, and the journeys could not fail.
describeEmulator('the emulator refuses what AWS refuses (scripts/moto/patches.py)', () => {
  const acm = new ACMClient({ region: REGION })
  let certificateArn = ''
  const base = (ref: string, aliases: string[]) =>
    distributionConfig({ ref, aliases, certificateArn, origin: `${ref}.s3.amazonaws.com` })

  beforeAll(async () => {
    const cert = await acm.send(
      new RequestCertificateCommand({
        DomainName: 'rules.org',
        SubjectAlternativeNames: ['rules.org', '*.rules.org'],
        ValidationMethod: 'DNS'
      })
    )
    certificateArn = cert.CertificateArn ?? ''
  })

  test("a CloudFront Function and Lambda@Edge in a behaviour's viewer events: refused", async () => {
    const config = base('viewer-mix', [])
    const edge = 'arn:aws:lambda:us-east-1:123456789012:function:edge:1'
    await expect(
      cf.send(
        new CreateDistributionCommand({
          DistributionConfig: {
            ...config,
            DefaultCacheBehavior: {
              ...(config.DefaultCacheBehavior ?? {
                TargetOriginId: 'app',
                ViewerProtocolPolicy: 'allow-all'
              }),
              FunctionAssociations: {
                Quantity: 1,
                Items: [
                  {
                    EventType: 'viewer-response',
                    FunctionARN: 'arn:aws:cloudfront::123456789012:function/h'
                  }
                ]
              },
              LambdaFunctionAssociations: {
                Quantity: 1,
                Items: [{ EventType: 'viewer-request', LambdaFunctionARN: edge }]
              }
            }
          }
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidLambdaFunctionAssociation' })
  })

  test('a staging distribution or a multi-tenant one with aliases: refused', async () => {
    await expect(
      cf.send(
        new CreateDistributionCommand({
          DistributionConfig: { ...base('staging', ['s.rules.org']), Staging: true }
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidArgument' })
    await expect(
      cf.send(
        new CreateDistributionCommand({
          DistributionConfig: { ...base('tenant', ['t.rules.org']), ConnectionMode: 'tenant-only' }
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidArgument' })
  })

  test('a disabled distribution keeps its aliases: another cannot take them (CNAMEAlreadyExists)', async () => {
    await cf.send(
      new CreateDistributionCommand({
        DistributionConfig: { ...base('disabled', ['d.rules.org']), Enabled: false }
      })
    )
    await expect(
      cf.send(new CreateDistributionCommand({ DistributionConfig: base('taker', ['d.rules.org']) }))
    ).rejects.toMatchObject({ name: 'CNAMEAlreadyExists' })
  })

  test('a distribution with a continuous-deployment policy: alias changes refused (IllegalUpdate)', async () => {
    const created = await cf.send(
      new CreateDistributionCommand({
        DistributionConfig: {
          ...base('primary', ['p.rules.org']),
          ContinuousDeploymentPolicyId: 'cd-1'
        }
      })
    )
    const id = created.Distribution?.Id ?? ''
    const read = await cf.send(new GetDistributionConfigCommand({ Id: id }))
    expect(read.DistributionConfig?.ContinuousDeploymentPolicyId).toBe('cd-1')
    await expect(
      cf.send(
        new UpdateDistributionCommand({
          Id: id,
          IfMatch: read.ETag,
          DistributionConfig: {
            ...(read.DistributionConfig ?? base('primary', [])),
            Aliases: { Quantity: 1, Items: ['q.rules.org'] }
          }
        })
      )
    ).rejects.toMatchObject({ name: 'IllegalUpdate' })
  })
})
