/**
 * The built action (`node dist/index.js`, as the runner calls it) against moto (with
 * scripts/moto/patches.py: edge associations kept, ETags checked, CNAMEAlreadyExists,
 * certificate coverage, delete only when disabled). A whole journey: 9:1 → 1:1 → 0:1 → cleanup,
 * checking aliases, the router, the edge versions and the records after every run, and that a
 * repeated run changes nothing.
 */
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm'
import {
  CloudFrontClient,
  CreateDistributionCommand,
  DeleteDistributionCommand,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  ListTagsForResourceCommand,
  UpdateDistributionCommand
} from '@aws-sdk/client-cloudfront'
import {
  GetFunctionCommand,
  LambdaClient,
  ListVersionsByFunctionCommand
} from '@aws-sdk/client-lambda'
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53'
import { runAction as runBuiltAction } from '../helpers/action.js'
import { createSite, distributionConfig as distConfig } from '../helpers/site.js'

const REGION = 'us-east-1'
const D = 'www.deep.mg'
const B1 = 'www1.deep.mg'
const G2 = 'www2.deep.mg'
const W = '*.deep.mg'
const FUNCTION = 'bluegreen-router-www-deep-mg'

const hasEmulator = (process.env.AWS_ENDPOINT_URL ?? '').startsWith('http://127.0.0.1:')
const describeEmulator = hasEmulator ? describe : describe.skip

let runs = 0

/** The built action as the runner runs it, with a workflow run's URL. */
function runAction(inputs: Record<string, string>) {
  runs += 1
  return runBuiltAction(inputs, {
    GITHUB_REPOSITORY: 'deep/site',
    GITHUB_RUN_ID: String(1000 + runs),
    GITHUB_SERVER_URL: 'https://github.com'
  })
}

describeEmulator('publish on the emulator (built action)', () => {
  const config = { region: REGION }
  const cf = new CloudFrontClient(config)
  const r53 = new Route53Client(config)
  const lambda = new LambdaClient(config)
  let blueId = ''
  let greenId = ''
  let zoneId = ''

  beforeAll(async () => {
    const site = await createSite(D, REGION)
    ;({ blueId, greenId, zoneId } = site)
  })

  const inputs = (ratio: string, extra: Record<string, string> = {}) => ({
    command: 'publish',
    // DEEP's env:hash, resolved through the distributions' tags
    blue: 'stage:abcd1234',
    green: 'prod:wxyz0987',
    ratio,
    'domain-name': D,
    'wait-timeout': '2m',
    ...extra
  })

  async function distributions() {
    const res = await cf.send(new ListDistributionsCommand({}))
    const all = res.DistributionList?.Items ?? []
    const aliasesOf = (id: string) =>
      (all.find((d) => d.Id === id)?.Aliases?.Items ?? []).slice().sort()
    const routers = all.filter((d) => d.Id !== blueId && d.Id !== greenId)
    return { all, aliasesOf, routers }
  }

  async function records(): Promise<Record<string, string>> {
    const res = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))
    const out: Record<string, string> = {}
    for (const r of res.ResourceRecordSets ?? []) {
      if (r.AliasTarget?.DNSName !== undefined) {
        out[`${(r.Name ?? '').replace(/\.$/, '')} ${r.Type ?? ''}`] = r.AliasTarget.DNSName.replace(
          /\.$/,
          ''
        )
      }
    }
    return out
  }

  async function edgeVersions(): Promise<string[]> {
    const res = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: FUNCTION }))
    return (res.Versions ?? []).map((v) => v.Version ?? '').filter((v) => v !== '$LATEST')
  }

  function domainOf(
    all: { Id?: string | undefined; DomainName?: string | undefined }[],
    id: string
  ) {
    return all.find((d) => d.Id === id)?.DomainName ?? `missing ${id}`
  }

  test('a dry run of 9:1 shows now → planned (who serves each name, the state and ratio) and changes nothing', async () => {
    const before = await distributions()
    const res = await runAction(inputs('9:1', { 'dry-run': 'true' }))
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    expect(res.outputs.changed).toBe('false')
    expect(res.summary).toContain('### Now → planned')
    expect(res.summary).toContain(
      '| traffic | all-blue (100 % blue) | split 9:1 (90 % blue, 10 % green) |'
    )
    expect(res.summary).toContain(
      `| ${D} (viewers) | blue ${blueId} | a new router (302s by 9:1 to both hostnames) |`
    )
    expect(res.summary).toContain(`| ${B1} (blue's hostname) | nothing | blue ${blueId} |`)
    expect(res.summary).toContain(`- [${D} (viewers, served by blue)](https://${D})`)
    expect((await distributions()).all).toEqual(before.all)
  })

  test('9:1 from nothing: blue takes the wildcard, a router built from scratch holds D with the edge function', async () => {
    const res = await runAction(inputs('9:1'))
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    expect(res.outputs).toMatchObject({
      ratio: '9:1',
      'blue-percent': '90',
      'green-percent': '10',
      state: 'split',
      'dns-mode': 'route53',
      changed: 'true'
    })
    const { all, aliasesOf, routers } = await distributions()
    expect(routers).toHaveLength(1)
    const routerId = routers[0]?.Id ?? ''
    expect(res.outputs['router-distribution-id']).toBe(routerId)
    expect(aliasesOf(blueId)).toEqual([W])
    expect(aliasesOf(greenId)).toEqual([G2])
    expect(aliasesOf(routerId)).toEqual([D])

    const router = await cf.send(new GetDistributionConfigCommand({ Id: routerId }))
    const cfg = router.DistributionConfig
    const arn = res.outputs['edge-function-version-arn'] ?? ''
    expect(arn).toMatch(new RegExp(`:function:${FUNCTION}:\\d+$`))
    // One default behaviour, nothing of blue's behaviours; the managed policies; the fallback is
    // blue's own CloudFront domain over HTTPS.
    expect(cfg?.CacheBehaviors?.Quantity ?? 0).toBe(0)
    expect(cfg?.DefaultCacheBehavior).toMatchObject({
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      LambdaFunctionAssociations: {
        Quantity: 1,
        Items: [expect.objectContaining({ LambdaFunctionARN: arn, EventType: 'viewer-request' })]
      }
    })
    expect(cfg?.DefaultCacheBehavior?.AllowedMethods?.Quantity).toBe(7)
    expect(
      cfg?.Origins?.Items?.map((o) => [o.DomainName, o.CustomOriginConfig?.OriginProtocolPolicy])
    ).toEqual([[domainOf(all, blueId), 'https-only']])
    expect(await edgeVersions()).toHaveLength(1)

    const tags = await cf.send(new ListTagsForResourceCommand({ Resource: routers[0]?.ARN }))
    const tagMap: Record<string, string | undefined> = {}
    for (const t of tags.Tags?.Items ?? []) tagMap[t.Key ?? ''] = t.Value
    expect(tagMap).toMatchObject({
      'bluegreen:domain': D,
      'bluegreen:blue': blueId,
      'bluegreen:green': greenId,
      'bluegreen:weights': '9:1',
      'bluegreen:run-url': `https://github.com/deep/site/actions/runs/${1000 + runs}`
    })

    const recs = await records()
    expect(recs[`${D} A`]).toBe(domainOf(all, routerId))
    expect(recs[`${B1} A`]).toBe(domainOf(all, blueId))
    expect(recs[`${G2} A`]).toBe(domainOf(all, greenId))

    // The summary names the router it made by its id and domain, never as "(new router)".
    expect(res.summary).not.toContain('new router')
    expect(res.summary).not.toContain('the router this run creates')
    expect(res.summary).toContain('### Before → after')
    expect(res.summary).toContain(`router ${routerId} (302s by 9:1 to both hostnames)`)
    expect(res.summary).toMatch(new RegExp(`\\| Router: create .*\\| ${routerId} \\| done \\|`))
    expect(res.summary).toContain(`| ${D} | A | ${domainOf(all, routerId)} | upserted |`)
    expect(res.summary).toContain(`- [${D} (viewers, split 9:1 by the router)](https://${D})`)
  })

  test('the same 9:1 again changes nothing', async () => {
    const res = await runAction(inputs('9:1'))
    expect(res.code).toBe(0)
    expect(res.outputs.changed).toBe('false')
    expect(await edgeVersions()).toHaveLength(1)
  })

  test('1:1 inside split: one new edge version on the router, aliases untouched', async () => {
    const before = await distributions()
    const res = await runAction(inputs('1:1'))
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    expect(res.outputs).toMatchObject({ ratio: '1:1', state: 'split', changed: 'true' })
    const after = await distributions()
    expect(after.routers.map((r) => r.Id)).toEqual(before.routers.map((r) => r.Id))
    expect(after.aliasesOf(blueId)).toEqual([W])
    expect(after.aliasesOf(greenId)).toEqual([G2])
    expect(await edgeVersions()).toHaveLength(2)
    const routerId = after.routers[0]?.Id ?? ''
    const cfg = (await cf.send(new GetDistributionConfigCommand({ Id: routerId })))
      .DistributionConfig
    expect(
      cfg?.DefaultCacheBehavior?.LambdaFunctionAssociations?.Items?.[0]?.LambdaFunctionARN
    ).toBe(res.outputs['edge-function-version-arn'])
  })

  test('0:1: green holds D and the wildcard, the router passes through with no alias, DNS all on green', async () => {
    const res = await runAction(inputs('0:1'))
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    expect(res.outputs).toMatchObject({
      state: 'all-green',
      'green-percent': '100',
      changed: 'true'
    })
    const { all, aliasesOf, routers } = await distributions()
    const routerId = routers[0]?.Id ?? ''
    expect(aliasesOf(greenId)).toEqual([W, D].sort())
    expect(aliasesOf(blueId)).toEqual([])
    expect(aliasesOf(routerId)).toEqual([])
    const cfg = (await cf.send(new GetDistributionConfigCommand({ Id: routerId })))
      .DistributionConfig
    expect(cfg?.DefaultCacheBehavior?.LambdaFunctionAssociations?.Quantity ?? 0).toBe(0)
    expect(cfg?.Origins?.Items?.[0]?.DomainName).toBe(domainOf(all, greenId))
    const recs = await records()
    for (const name of [D, B1, G2]) expect(recs[`${name} A`]).toBe(domainOf(all, greenId))
    // The labels follow the state: green serves blue's hostname now.
    expect(res.summary).toContain(`- [${B1} (blue's hostname, served by green)](https://${B1})`)
    expect(res.summary).toContain(`| ${B1} (blue's hostname) | blue ${blueId} | green ${greenId} |`)
  })

  test('the same 0:1 again changes nothing', async () => {
    const res = await runAction(inputs('0:1'))
    expect(res.code).toBe(0)
    expect(res.outputs.changed).toBe('false')
  })

  test('cleanup before cleanup-min-age is refused and changes nothing', async () => {
    const before = await distributions()
    const res = await runAction(inputs('0:1', { cleanup: 'true', 'cleanup-min-age': '1h' }))
    expect(res.code).not.toBe(0)
    expect(res.outputs.changed).toBe('false')
    expect((await distributions()).routers).toHaveLength(before.routers.length)
  })

  test('cleanup removes the router and the edge function, keeps the records on green', async () => {
    const res = await runAction(inputs('0:1', { cleanup: 'true', 'cleanup-min-age': '0s' }))
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    expect(res.outputs).toMatchObject({ changed: 'true', 'router-distribution-id': '' })
    const { all, aliasesOf, routers } = await distributions()
    expect(routers).toHaveLength(0)
    expect(aliasesOf(greenId)).toEqual([W, D].sort())
    await expect(
      lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION }))
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException'
    })
    const recs = await records()
    for (const name of [D, B1, G2]) expect(recs[`${name} A`]).toBe(domainOf(all, greenId))
    // Green serves every name, the router is gone: the labels say so.
    expect(res.summary).toContain(`- [${B1} (blue's hostname, served by green)](https://${B1})`)
  })
})

// The moto patches (scripts/moto/patches.py) the journey above relies on: without them the
// emulator would accept orders and ETags that AWS rejects, and the journey could not fail.
describeEmulator('the emulator enforces the CloudFront rules publish depends on', () => {
  const cf = new CloudFrontClient({ region: REGION })
  const acm = new ACMClient({ region: REGION })
  let certificateArn = ''
  const create = (ref: string, aliases: string[], arn = certificateArn) =>
    cf.send(
      new CreateDistributionCommand({
        DistributionConfig: distConfig({
          ref,
          aliases,
          certificateArn: arn,
          origin: `${ref}.s3.amazonaws.com`
        })
      })
    )

  beforeAll(async () => {
    const cert = await acm.send(
      new RequestCertificateCommand({
        DomainName: 'other.org',
        SubjectAlternativeNames: ['other.org', '*.other.org'],
        ValidationMethod: 'DNS'
      })
    )
    certificateArn = cert.CertificateArn ?? ''
  })

  test('an alias held by one distribution cannot be added to another (CNAMEAlreadyExists)', async () => {
    await create('cname-a', ['a.other.org'])
    await expect(create('cname-b', ['a.other.org'])).rejects.toMatchObject({
      name: 'CNAMEAlreadyExists'
    })
  })

  test('every alias must be covered by the certificate', async () => {
    await expect(create('cert-a', ['shop.elsewhere.net'])).rejects.toMatchObject({
      name: 'InvalidViewerCertificate'
    })
  })

  test('an update with a stale ETag fails (PreconditionFailed); an update is InProgress', async () => {
    const d = await create('etag-a', ['e.other.org'])
    const id = d.Distribution?.Id ?? ''
    const read = await cf.send(new GetDistributionConfigCommand({ Id: id }))
    const cfg = read.DistributionConfig
    const first = await cf.send(
      new UpdateDistributionCommand({ Id: id, IfMatch: read.ETag, DistributionConfig: cfg })
    )
    expect(first.Distribution?.Status).toBe('InProgress')
    expect(first.ETag).not.toBe(read.ETag)
    await expect(
      cf.send(
        new UpdateDistributionCommand({ Id: id, IfMatch: read.ETag, DistributionConfig: cfg })
      )
    ).rejects.toMatchObject({ name: 'PreconditionFailed' })
  })

  test('only a disabled distribution can be deleted', async () => {
    const d = await create('delete-a', [])
    await expect(
      cf.send(new DeleteDistributionCommand({ Id: d.Distribution?.Id, IfMatch: d.ETag }))
    ).rejects.toMatchObject({ name: 'DistributionNotDisabled' })
  })
})
