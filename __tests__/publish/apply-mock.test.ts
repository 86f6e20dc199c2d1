/**
 * publish() against a small fake of CloudFront, Route53, ACM, Lambda and IAM behind
 * aws-sdk-client-mock: the error paths the emulator cannot produce (PreconditionFailed from a
 * concurrent change, AccessDenied on Route53, slow deployments, replicas that block deletion)
 * and the exact calls of a ratio change. Assertions are on the calls sent and the fake's state.
 */
import { DescribeCertificateCommand } from '@aws-sdk/client-acm'
import {
  CreateDistributionWithTagsCommand,
  type DistributionConfig,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UpdateDistributionCommand,
  DeleteDistributionCommand
} from '@aws-sdk/client-cloudfront'
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand
} from '@aws-sdk/client-route-53'
import { mockClient } from 'aws-sdk-client-mock'
import { createClients } from '../../src/aws/clients.js'
import type { Context } from '../../src/context.js'
import { BlueGreenError } from '../../src/errors.js'
import { parseInputs, type PublishRequest, type RawInputs } from '../../src/inputs.js'
import { memoryLogger } from '../../src/log.js'
import { setWaitTiming } from '../../src/publish/apply.js'
import { publish } from '../../src/publish/index.js'
import { newReport, type Report } from '../../src/report.js'

const D = 'www.deep.mg'
const W = '*.deep.mg'
const G2 = 'www2.deep.mg'
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/wild'
const FUNCTION = 'bluegreen-router-www-deep-mg'
const FN_ARN = `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`

const MUTATING = new Set([
  'UpdateDistribution',
  'CreateDistributionWithTags',
  'DeleteDistribution',
  'TagResource',
  'ChangeResourceRecordSets',
  'CreateRole',
  'AttachRolePolicy',
  'CreateFunction',
  'UpdateFunctionCode',
  'UpdateFunctionConfiguration',
  'PublishVersion',
  'DeleteFunction'
])

function awsError(name: string, message = name, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })
}

interface FakeDist {
  id: string
  config: DistributionConfig
  etag: string
  /** GetDistribution answers InProgress this many more times. */
  pollsLeft: number
  tags: Record<string, string>
}

/** Just enough AWS for publish, with hooks to inject what the emulator cannot do. */
class FakeAws {
  dists = new Map<string, FakeDist>()
  calls: { name: string; input: unknown }[] = []
  versions: { version: string; description: string }[] = []
  functionExists = false
  runtime = 'nodejs22.x'
  zone: { id: string; name: string } | undefined = { id: 'Z1', name: 'deep.mg' }
  records = new Map<string, string>()
  /** Polls an update leaves InProgress. */
  deployPolls = 0
  private seq = 0
  hooks: {
    beforeUpdate?: (id: string, fake: FakeAws) => void
    route53Denied?: 'read' | 'write'
    deleteFunction?: () => void
  } = {}

  add(id: string, aliases: string[], origin: string, tags: Record<string, string> = {}): void {
    this.dists.set(id, {
      id,
      config: config(aliases, origin),
      etag: `etag-${id}-0`,
      pollsLeft: 0,
      tags
    })
  }

  aliases(id: string): string[] {
    return [...(this.dists.get(id)?.config.Aliases?.Items ?? [])].sort()
  }

  mutating(): string[] {
    return this.calls.map((c) => c.name).filter((n) => MUTATING.has(n))
  }

  count(name: string): number {
    return this.calls.filter((c) => c.name === name).length
  }

  bump(d: FakeDist): void {
    this.seq += 1
    d.etag = `etag-${d.id}-${this.seq}`
  }

  view(d: FakeDist) {
    const status = d.pollsLeft > 0 ? 'InProgress' : 'Deployed'
    return {
      Id: d.id,
      ARN: `arn:aws:cloudfront::123456789012:distribution/${d.id}`,
      Status: status,
      DomainName: `${d.id.toLowerCase()}.cloudfront.net`,
      DistributionConfig: d.config
    }
  }
}

function config(aliases: string[], origin: string): DistributionConfig {
  const behaviour = {
    TargetOriginId: 'app',
    ViewerProtocolPolicy: 'redirect-to-https' as const,
    CachePolicyId: 'policy'
  }
  return {
    CallerReference: `ref-${origin}`,
    Comment: origin,
    Enabled: true,
    Aliases: { Quantity: aliases.length, Items: aliases },
    Origins: { Quantity: 1, Items: [{ Id: 'app', DomainName: origin }] },
    DefaultCacheBehavior: behaviour,
    CacheBehaviors: { Quantity: 1, Items: [{ ...behaviour, PathPattern: '/api/*' }] },
    ViewerCertificate: { ACMCertificateArn: CERT, SSLSupportMethod: 'sni-only' },
    IsIPV6Enabled: false
  }
}

let fake: FakeAws

function install(ctx: Context): void {
  const log = (name: string, input: unknown) => fake.calls.push({ name, input })
  const cf = mockClient(ctx.clients.cloudfront)
  cf.on(ListDistributionsCommand).callsFake((input) => {
    log('ListDistributions', input)
    return {
      DistributionList: {
        IsTruncated: false,
        Items: [...fake.dists.values()].map((d) => ({
          ...fake.view(d),
          Aliases: d.config.Aliases,
          Comment: d.config.Comment,
          Enabled: d.config.Enabled
        }))
      }
    }
  })
  const get = (id: string): FakeDist => {
    const d = fake.dists.get(id)
    if (d === undefined) throw awsError('NoSuchDistribution', id, 404)
    return d
  }
  cf.on(GetDistributionCommand).callsFake((input: { Id: string }) => {
    log('GetDistribution', input)
    const d = get(input.Id)
    const out = { Distribution: fake.view(d), ETag: d.etag }
    if (d.pollsLeft > 0) d.pollsLeft -= 1
    return out
  })
  cf.on(GetDistributionConfigCommand).callsFake((input: { Id: string }) => {
    log('GetDistributionConfig', input)
    const d = get(input.Id)
    return { DistributionConfig: d.config, ETag: d.etag }
  })
  cf.on(UpdateDistributionCommand).callsFake(
    (input: { Id: string; IfMatch: string; DistributionConfig: DistributionConfig }) => {
      log('UpdateDistribution', input)
      fake.hooks.beforeUpdate?.(input.Id, fake)
      const d = get(input.Id)
      if (input.IfMatch !== d.etag) throw awsError('PreconditionFailed', 'etag', 412)
      d.config = input.DistributionConfig
      d.pollsLeft = fake.deployPolls
      fake.bump(d)
      return { Distribution: fake.view(d), ETag: d.etag }
    }
  )
  cf.on(CreateDistributionWithTagsCommand).callsFake(
    (input: {
      DistributionConfigWithTags: {
        DistributionConfig: DistributionConfig
        Tags: { Items: { Key: string; Value: string }[] }
      }
    }) => {
      log('CreateDistributionWithTags', input)
      const id = `R${fake.dists.size}`
      const { DistributionConfig: cfg, Tags } = input.DistributionConfigWithTags
      fake.dists.set(id, {
        id,
        config: cfg,
        etag: `etag-${id}-0`,
        pollsLeft: fake.deployPolls,
        tags: Object.fromEntries(Tags.Items.map((t) => [t.Key, t.Value]))
      })
      const d = get(id)
      return { Distribution: fake.view(d), ETag: d.etag }
    }
  )
  cf.on(DeleteDistributionCommand).callsFake((input: { Id: string; IfMatch: string }) => {
    log('DeleteDistribution', input)
    const d = get(input.Id)
    if (input.IfMatch !== d.etag) throw awsError('PreconditionFailed', 'etag', 412)
    if (d.config.Enabled === true) throw awsError('DistributionNotDisabled', 'enabled', 409)
    fake.dists.delete(input.Id)
    return {}
  })
  const idOfArn = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1)
  cf.on(ListTagsForResourceCommand).callsFake((input: { Resource: string }) => {
    log('ListTagsForResource', input)
    const tags = get(idOfArn(input.Resource)).tags
    return { Tags: { Items: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }
  })
  cf.on(TagResourceCommand).callsFake(
    (input: { Resource: string; Tags: { Items: { Key: string; Value: string }[] } }) => {
      log('TagResource', input)
      const d = get(idOfArn(input.Resource))
      for (const t of input.Tags.Items) d.tags[t.Key] = t.Value
      return {}
    }
  )

  mockClient(ctx.clients.acm)
    .on(DescribeCertificateCommand)
    .callsFake((input) => {
      log('DescribeCertificate', input)
      return { Certificate: { DomainName: 'deep.mg', SubjectAlternativeNames: ['deep.mg', W] } }
    })

  const r53 = mockClient(ctx.clients.route53)
  r53.on(ListHostedZonesByNameCommand).callsFake((input: { DNSName: string }) => {
    log('ListHostedZonesByName', input)
    if (fake.hooks.route53Denied === 'read') throw awsError('AccessDenied', 'denied', 403)
    const z = fake.zone
    return {
      HostedZones:
        z !== undefined && input.DNSName === z.name
          ? [{ Id: `/hostedzone/${z.id}`, Name: `${z.name}.`, CallerReference: 'x', Config: {} }]
          : []
    }
  })
  r53.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordName: string }) => {
    log('ListResourceRecordSets', input)
    return {
      ResourceRecordSets: [...fake.records.entries()]
        .filter(([k]) => k.startsWith(`${input.StartRecordName} `))
        .map(([k, target]) => ({
          Name: `${k.split(' ')[0] ?? ''}.`,
          Type: k.split(' ')[1],
          AliasTarget: { DNSName: `${target}.`, HostedZoneId: 'Z2FDTNDATAQYW2' }
        }))
    }
  })
  r53.on(ChangeResourceRecordSetsCommand).callsFake(
    (input: {
      ChangeBatch: {
        Changes: {
          ResourceRecordSet: { Name: string; Type: string; AliasTarget: { DNSName: string } }
        }[]
      }
    }) => {
      log('ChangeResourceRecordSets', input)
      if (fake.hooks.route53Denied === 'write') throw awsError('AccessDenied', 'denied', 403)
      for (const c of input.ChangeBatch.Changes) {
        const r = c.ResourceRecordSet
        fake.records.set(`${r.Name} ${r.Type}`, r.AliasTarget.DNSName)
      }
      return { ChangeInfo: { Id: 'C1', Status: 'PENDING' } }
    }
  )
  r53.on(GetChangeCommand).callsFake((input) => {
    log('GetChange', input)
    return { ChangeInfo: { Id: 'C1', Status: 'INSYNC' } }
  })

  const lambda = mockClient(ctx.clients.edgeLambda)
  lambda.on(GetFunctionCommand).callsFake((input: { FunctionName: string }) => {
    log('GetFunction', input)
    if (!fake.functionExists) throw awsError('ResourceNotFoundException', 'no function', 404)
    const qualifier = input.FunctionName.startsWith(`${FN_ARN}:`)
      ? input.FunctionName.slice(FN_ARN.length + 1)
      : undefined
    const v = fake.versions.find((x) => x.version === qualifier)
    return {
      Configuration: {
        State: 'Active',
        LastUpdateStatus: 'Successful',
        Runtime: fake.runtime,
        CodeSha256: 'old-code',
        Description: v?.description ?? ''
      }
    }
  })
  lambda.on(ListVersionsByFunctionCommand).callsFake((input) => {
    log('ListVersionsByFunction', input)
    return {
      Versions: fake.versions.map((v) => ({
        Version: v.version,
        FunctionArn: `${FN_ARN}:${v.version}`,
        Description: v.description
      }))
    }
  })
  lambda.on(CreateFunctionCommand).callsFake((input) => {
    log('CreateFunction', input)
    fake.functionExists = true
    return {}
  })
  lambda.on(UpdateFunctionCodeCommand).callsFake((input) => {
    log('UpdateFunctionCode', input)
    if (fake.runtime === 'nodejs20.x') {
      throw awsError(
        'InvalidParameterValueException',
        'The runtime nodejs20.x is no longer supported for updates',
        400
      )
    }
    return {}
  })
  lambda.on(UpdateFunctionConfigurationCommand).callsFake((input: { Runtime?: string }) => {
    log('UpdateFunctionConfiguration', input)
    if (input.Runtime !== undefined) fake.runtime = input.Runtime
    return {}
  })
  lambda.on(PublishVersionCommand).callsFake((input: { Description: string }) => {
    log('PublishVersion', input)
    const version = String(fake.versions.length + 1)
    fake.versions.push({ version, description: input.Description })
    return { Version: version, FunctionArn: `${FN_ARN}:${version}`, Description: input.Description }
  })
  lambda.on(DeleteFunctionCommand).callsFake((input) => {
    log('DeleteFunction', input)
    fake.hooks.deleteFunction?.()
    fake.functionExists = false
    fake.versions = []
    return {}
  })

  const iam = mockClient(ctx.clients.iam)
  iam.on(GetRoleCommand).callsFake((input) => {
    log('GetRole', input)
    throw awsError('NoSuchEntity', 'no role', 404)
  })
  iam.on(CreateRoleCommand).callsFake((input) => {
    log('CreateRole', input)
    return { Role: { Arn: 'arn:aws:iam::123456789012:role/bluegreen-edge-router' } }
  })
  iam.on(AttachRolePolicyCommand).callsFake((input) => {
    log('AttachRolePolicy', input)
    return {}
  })
}

function setup(raw: RawInputs = {}): { request: PublishRequest; ctx: Context; report: Report } {
  const parsed = parseInputs({
    command: 'publish',
    blue: 'BLUE1',
    green: 'GREEN1',
    ratio: '9:1',
    'domain-name': D,
    'wait-timeout': '5s',
    // Manual DNS checks B1/G2 here: nothing listens, so they never resolve and no query
    // leaves this machine.
    'dns-resolvers': '127.0.0.1:9',
    ...raw
  })
  if (parsed.command !== 'publish') throw new Error('not publish')
  const report = newReport('publish', parsed.dryRun)
  const ctx: Context = {
    clients: createClients({ region: 'us-east-1', maxAttempts: 1 }),
    log: memoryLogger(),
    report,
    confirm: undefined,
    now: () => new Date('2026-06-01T12:00:00Z'),
    sleep: () => Promise.resolve(),
    runUrl: 'https://github.com/deep/site/actions/runs/7'
  }
  install(ctx)
  return { request: parsed, ctx, report }
}

async function run(raw: RawInputs = {}, adjust?: (ctx: Context) => void) {
  const { request, ctx, report } = setup(raw)
  adjust?.(ctx)
  fake.calls = []
  await publish(request, ctx)
  return report
}

beforeAll(() => {
  setWaitTiming({ minDelaySeconds: 0.005, maxDelaySeconds: 0.01, progressEverySeconds: 0.05 })
})

beforeEach(() => {
  fake = new FakeAws()
  fake.add('BLUE1', [D], 'blue-origin.example')
  fake.add('GREEN1', [G2], 'green-origin.example')
})

const routerOf = () => [...fake.dists.values()].find((d) => d.id.startsWith('R'))

describe('publish through the SDK (fake AWS)', () => {
  test('ratio change inside split: one code update, one version, one router update, one tag call', async () => {
    await run({ ratio: '9:1' })
    const first = routerOf()
    expect(first).toBeDefined()
    const report = await run({ ratio: '1:1' })
    expect(fake.mutating()).toEqual([
      'UpdateFunctionCode',
      'PublishVersion',
      'UpdateDistribution',
      'TagResource'
    ])
    const router = routerOf()
    const update = fake.calls.find((c) => c.name === 'UpdateDistribution')?.input as {
      Id: string
      IfMatch: string
    }
    expect(update.Id).toBe(router?.id)
    expect(update.IfMatch).toBe(`etag-${router?.id ?? ''}-0`) // the ETag read, not a fresh one
    const arn = `${FN_ARN}:2`
    for (const b of [
      router?.config.DefaultCacheBehavior,
      ...(router?.config.CacheBehaviors?.Items ?? [])
    ]) {
      expect(b?.LambdaFunctionAssociations?.Items).toEqual([
        { LambdaFunctionARN: arn, EventType: 'viewer-request', IncludeBody: false }
      ])
    }
    expect(router?.tags).toMatchObject({ 'bluegreen:weights': '1:1' })
    expect(report.outputs).toMatchObject({
      ratio: '1:1',
      state: 'split',
      'edge-function-version-arn': arn,
      'router-distribution-id': router?.id
    })
    expect(report.changed).toBe(true)
  })

  test('a router function on a runtime Lambda no longer updates is moved to the current one first', async () => {
    await run({ ratio: '9:1' })
    fake.runtime = 'nodejs20.x' // made by an older release
    await run({ ratio: '1:1' })
    expect(fake.mutating()).toEqual([
      'UpdateFunctionConfiguration',
      'UpdateFunctionCode',
      'PublishVersion',
      'UpdateDistribution',
      'TagResource'
    ])
    expect(fake.runtime).toBe('nodejs22.x')
  })

  test('the same inputs again make no mutating call', async () => {
    await run({ ratio: '9:1' })
    const report = await run({ ratio: '9:1' })
    expect(fake.mutating()).toEqual([])
    expect(report.changed).toBe(false)
  })

  test('PreconditionFailed: re-read, re-plan, and keep the other writer’s change', async () => {
    let raced = false
    fake.hooks.beforeUpdate = (id, f) => {
      const d = f.dists.get(id)
      if (raced || id !== 'BLUE1' || d === undefined) return
      raced = true // someone else adds an alias to blue between our read and our write
      d.config = { ...d.config, Aliases: { Quantity: 2, Items: [D, 'static.deep.mg'] } }
      f.bump(d)
    }
    const report = await run({ ratio: '9:1' })
    const blueUpdates = fake.calls.filter(
      (c) => c.name === 'UpdateDistribution' && (c.input as { Id: string }).Id === 'BLUE1'
    )
    expect(blueUpdates).toHaveLength(2)
    expect(fake.aliases('BLUE1')).toEqual([W, 'static.deep.mg'])
    expect(fake.count('ListDistributions')).toBe(2) // discovered again
    expect(report.plan.every((r) => r.status === 'done')).toBe(true)
  })

  test('PreconditionFailed every time: give up after the bounded attempts, never overwrite', async () => {
    fake.hooks.beforeUpdate = (id, f) => {
      const d = f.dists.get(id)
      if (d !== undefined) f.bump(d)
    }
    await expect(run({ ratio: '9:1' })).rejects.toMatchObject({ name: 'PreconditionFailed' })
    expect(fake.count('UpdateDistribution')).toBe(3)
    expect(fake.aliases('BLUE1')).toEqual([D])
  })

  test('dns auto without Route53 access: CloudFront changes made, records listed as manual, warning', async () => {
    fake.hooks.route53Denied = 'read'
    const report = await run({ ratio: '0:1' })
    expect(fake.count('ChangeResourceRecordSets')).toBe(0)
    expect(fake.aliases('GREEN1')).toEqual([W, D].sort())
    // Without Route53 there is no telling where the zone lives: CNAMEs, as any provider takes.
    expect(report.dns.map((r) => [r.name, r.type, r.target, r.status])).toEqual([
      [D, 'CNAME', 'green1.cloudfront.net', 'manual'],
      ['www1.deep.mg', 'CNAME', 'green1.cloudfront.net', 'manual'],
      [G2, 'CNAME', 'green1.cloudfront.net', 'manual']
    ])
    expect(report.outputs['dns-mode']).toBe('manual')
    expect(report.warnings.some((w) => w.includes('AccessDenied'))).toBe(true)
  })

  test('dns: route53 without access refuses before any change', async () => {
    fake.hooks.route53Denied = 'read'
    await expect(run({ ratio: '0:1', dns: 'route53' })).rejects.toBeInstanceOf(BlueGreenError)
    expect(fake.mutating()).toEqual([])
  })

  test('Route53 denies the record change (auto): the run finishes, records become manual', async () => {
    fake.hooks.route53Denied = 'write'
    const report = await run({ ratio: '0:1' })
    expect(fake.aliases('GREEN1')).toEqual([W, D].sort())
    expect(report.dns.every((r) => r.status === 'manual')).toBe(true)
    expect(report.outputs['dns-mode']).toBe('manual')
  })

  test('Route53 denies the first record write of a split (auto): DNS is manual from there, the router does not take D', async () => {
    fake.hooks.route53Denied = 'write'
    const report = await run({ ratio: '9:1', 'update-green-alias': 'true' })
    expect(fake.aliases('BLUE1')).toEqual([W])
    expect(routerOf()).toBeUndefined()
    expect(fake.count('CreateDistributionWithTags')).toBe(0)
    expect(report.outputs['dns-mode']).toBe('manual')
    expect(report.dns.map((r) => `${r.name} ${r.type} ${r.status}`)).toEqual([
      'www1.deep.mg A manual',
      `${G2} A manual`
    ])
    expect(report.warnings.join(' ')).toMatch(
      /Route53 denied the record change.*re-run this publish/s
    )
  })

  test('records are UPSERTed as CloudFront aliases and marked so', async () => {
    const report = await run({ ratio: '9:1' })
    const router = routerOf()
    expect(Object.fromEntries(fake.records)).toEqual({
      [`${D} A`]: `${router?.id.toLowerCase() ?? ''}.cloudfront.net`,
      ['www1.deep.mg A']: 'blue1.cloudfront.net',
      [`${G2} A`]: 'green1.cloudfront.net'
    })
    expect(report.dns.map((r) => r.status)).toEqual(['upserted', 'upserted', 'upserted'])
  })

  test('dry-run: the plan, no mutating call', async () => {
    const report = await run({ ratio: '9:1', 'dry-run': 'true' })
    expect(fake.mutating()).toEqual([])
    expect(report.plan.length).toBeGreaterThan(0)
    expect(report.plan.every((r) => r.status === 'planned')).toBe(true)
    expect(report.changed).toBe(false)
  })

  test('slow deployments are waited for with the SDK waiter (several polls)', async () => {
    fake.deployPolls = 3
    await run({ ratio: '9:1' })
    const polls = fake.calls.filter(
      (c) => c.name === 'GetDistribution' && (c.input as { Id: string }).Id === 'BLUE1'
    )
    expect(polls.length).toBeGreaterThanOrEqual(4)
    // The router was created only after blue's change was Deployed.
    const created = fake.calls.findIndex((c) => c.name === 'CreateDistributionWithTags')
    const lastBlue = polls.at(-1)
    const lastBluePoll = lastBlue === undefined ? -1 : fake.calls.lastIndexOf(lastBlue)
    expect(created).toBeGreaterThan(lastBluePoll)
  })

  test('a deployment slower than wait-timeout stops the run with BlueGreenError', async () => {
    fake.deployPolls = 1_000_000
    await expect(run({ ratio: '9:1', 'wait-timeout': '1s' })).rejects.toBeInstanceOf(BlueGreenError)
    expect(fake.count('CreateDistributionWithTags')).toBe(0)
  })

  test('the wildcard on another distribution: refused, nothing changed', async () => {
    fake.add('OTHER9', [W], 'other-origin.example')
    await expect(run({ ratio: '9:1' })).rejects.toThrow(/OTHER9/)
    expect(fake.mutating()).toEqual([])
  })

  test('green without G2: the CLI asks; yes adds it, no refuses', async () => {
    fake.add('GREEN1', [], 'green-origin.example')
    await expect(
      run({ ratio: '9:1' }, (ctx) => {
        ctx.confirm = () => Promise.resolve(false)
      })
    ).rejects.toThrow(/update-green-alias/)
    expect(fake.mutating()).toEqual([])
    let asked = ''
    await run({ ratio: '9:1' }, (ctx) => {
      ctx.confirm = (q) => {
        asked = q
        return Promise.resolve(true)
      }
    })
    expect(asked).toContain(G2)
    expect(fake.aliases('GREEN1')).toEqual([G2])
  })

  test('environments by alias and by env:hash tags; ids need not start with E', async () => {
    fake.add('BLUE1', [D], 'blue-origin.example', {
      DeepEnvironmentName: 'stage',
      DeepEnvironmentId: 'abcd1234'
    })
    await run({ blue: 'stage:abcd1234', green: G2, ratio: '9:1' })
    expect(fake.aliases('BLUE1')).toEqual([W])
    expect(routerOf()?.tags).toMatchObject({
      'bluegreen:blue': 'BLUE1',
      'bluegreen:green': 'GREEN1'
    })
  })

  test('cleanup asks at the CLI prompt; no changes nothing', async () => {
    await run({ ratio: '9:1' })
    await run({ ratio: '0:1' })
    await expect(
      run({ ratio: '0:1', cleanup: 'true', 'cleanup-min-age': '0s' }, (ctx) => {
        ctx.confirm = () => Promise.resolve(false)
      })
    ).rejects.toBeInstanceOf(BlueGreenError)
    expect(fake.mutating()).toEqual([])
    expect(routerOf()).toBeDefined()
  })

  test('cleanup: a function kept by replicas is a warning, retried by the next run', async () => {
    await run({ ratio: '9:1' })
    await run({ ratio: '0:1' })
    fake.hooks.deleteFunction = () => {
      throw awsError('InvalidParameterValueException', 'replicated function', 400)
    }
    const report = await run({ ratio: '0:1', cleanup: 'true', 'cleanup-min-age': '0s' })
    expect(routerOf()).toBeUndefined()
    expect(report.warnings.some((w) => w.includes(FUNCTION))).toBe(true)
    expect(report.outputs['router-distribution-id']).toBe('')
    delete fake.hooks.deleteFunction
    await run({ ratio: '0:1', cleanup: 'true', 'cleanup-min-age': '0s' })
    expect(fake.mutating()).toEqual(['DeleteFunction'])
    expect(fake.functionExists).toBe(false)
  })
})
