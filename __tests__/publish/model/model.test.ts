/**
 * The model's own tests: each AWS rule the model enforces has a test here that fails when the
 * rule is removed, driven through the real SDK clients (mocked onto the model) so the wiring is
 * tested too.
 */
import {
  CNAMEAlreadyExists,
  CreateDistributionWithTagsCommand,
  DistributionAlreadyExists,
  DeleteDistributionCommand,
  DistributionNotDisabled,
  IllegalUpdate,
  InvalidArgument,
  NoSuchOrigin,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  InvalidIfMatchVersion,
  InvalidLambdaFunctionAssociation,
  InvalidTagging,
  InvalidViewerCertificate,
  ListDistributionsCommand,
  NoSuchDistribution,
  PreconditionFailed,
  TagResourceCommand,
  UpdateDistributionCommand,
  waitUntilDistributionDeployed,
  type DistributionConfig
} from '@aws-sdk/client-cloudfront'
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  type Change
} from '@aws-sdk/client-route-53'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  UpdateFunctionConfigurationCommand,
  InvalidParameterValueException,
  PublishVersionCommand,
  ResourceConflictException,
  UpdateFunctionCodeCommand
} from '@aws-sdk/client-lambda'
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetServerCertificateCommand,
  ListAttachedRolePoliciesCommand,
  ListServerCertificatesCommand
} from '@aws-sdk/client-iam'
import { readFileSync } from 'node:fs'
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm'
import { ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53'
import { createClients, type Clients } from '../../../src/aws/clients.js'
import { drive, installMocks, type Mocks } from './harness.js'
import { AwsModel, CLOUDFRONT_ZONE_ID } from './model.js'
import { checkInvariant, servedBy, specBefore, type Violation } from './serving.js'
import {
  deepWorld,
  environmentConfig,
  HOSTS,
  oacBucket,
  PROD,
  QA,
  realBlueConfig,
  STAGE,
  type World
} from './world.js'
import { routerConfig } from '../../../src/publish/router-config.js'
import { covered, matches } from './names.js'

let world: World
let model: AwsModel
let clients: Clients
let mocks: Mocks

beforeAll(() => {
  mocks = installMocks(() => model)
})
afterAll(() => {
  mocks.restore()
})
beforeEach(() => {
  world = deepWorld()
  model = world.model
  clients = createClients({ region: 'eu-west-1', maxAttempts: 1 })
  mocks.reset()
})

const blueId = (): string => world.ids.stage ?? ''
const greenId = (): string => world.ids.prod ?? ''

async function read(id: string): Promise<{ config: DistributionConfig; etag: string }> {
  const out = await clients.cloudfront.send(new GetDistributionConfigCommand({ Id: id }))
  if (out.DistributionConfig === undefined || out.ETag === undefined) throw new Error('no config')
  return { config: out.DistributionConfig, etag: out.ETag }
}

function withAliases(config: DistributionConfig, aliases: string[]): DistributionConfig {
  return { ...config, Aliases: { Quantity: aliases.length, Items: aliases } }
}

async function setAliases(id: string, aliases: string[]): Promise<string> {
  const { config, etag } = await read(id)
  const out = await clients.cloudfront.send(
    new UpdateDistributionCommand({
      Id: id,
      IfMatch: etag,
      DistributionConfig: withAliases(config, aliases)
    })
  )
  return out.ETag ?? ''
}

// A role and a published edge function version, for the Lambda@Edge rules.
const EDGE_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] },
      Action: 'sts:AssumeRole'
    }
  ]
})

async function edgeFunction(
  options: { trust?: string; env?: Record<string, string> } = {}
): Promise<{ name: string; arn: string }> {
  const role = await clients.iam.send(
    new CreateRoleCommand({
      RoleName: 'bluegreen-edge',
      AssumeRolePolicyDocument: options.trust ?? EDGE_TRUST
    })
  )
  model.advance(model.settings.rolePropagationMs)
  const fn = await clients.edgeLambda.send(
    new CreateFunctionCommand({
      FunctionName: 'bluegreen-router',
      Role: role.Role?.Arn,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Code: { ZipFile: new Uint8Array([1, 2, 3]) },
      ...(options.env === undefined ? {} : { Environment: { Variables: options.env } })
    })
  )
  model.deployAll()
  const v = await clients.edgeLambda.send(
    new PublishVersionCommand({ FunctionName: 'bluegreen-router' })
  )
  return { name: fn.FunctionName ?? '', arn: v.FunctionArn ?? '' }
}

/** Puts the edge function on every behaviour of `id` (with the ETag just read). */
async function attachEdge(id: string, arn: string): Promise<void> {
  const { config, etag } = await read(id)
  await clients.cloudfront.send(
    new UpdateDistributionCommand({
      Id: id,
      IfMatch: etag,
      DistributionConfig: withEdge(config, arn)
    })
  )
}

/** The edge function on the default behaviour, and on the others unless `defaultOnly`. */
function withEdge(
  config: DistributionConfig,
  arn: string,
  defaultOnly = false
): DistributionConfig {
  const behaviour = config.DefaultCacheBehavior
  if (behaviour === undefined) throw new Error('no default behaviour')
  const associations = {
    Quantity: 1,
    Items: [{ EventType: 'viewer-request' as const, LambdaFunctionARN: arn }]
  }
  const others = config.CacheBehaviors?.Items ?? []
  return {
    ...config,
    DefaultCacheBehavior: { ...behaviour, LambdaFunctionAssociations: associations },
    CacheBehaviors: {
      Quantity: others.length,
      Items: defaultOnly
        ? others
        : others.map((b) => ({ ...b, LambdaFunctionAssociations: associations }))
    }
  }
}

describe('names', () => {
  test('a wildcard matches exactly one label; the apex needs its own SAN', () => {
    expect(matches('*.deep.mg', 'www.deep.mg')).toBe(true)
    expect(matches('*.deep.mg', 'a.b.deep.mg')).toBe(false)
    expect(matches('*.deep.mg', 'deep.mg')).toBe(false)
    expect(covered(['deep.mg', '*.deep.mg'], '*.deep.mg')).toBe(true)
    expect(covered(['*.deep.mg'], 'deep.mg')).toBe(false)
    expect(covered(['www.deep.mg'], '*.deep.mg')).toBe(false)
  })
})

describe('CloudFront aliases', () => {
  test('an exact alias held by another distribution: CNAMEAlreadyExists', async () => {
    await expect(setAliases(greenId(), [HOSTS.green, HOSTS.domain])).rejects.toBeInstanceOf(
      CNAMEAlreadyExists
    )
  })

  test('the same wildcard on two distributions: CNAMEAlreadyExists', async () => {
    await setAliases(blueId(), ['*.deep.mg'])
    await expect(setAliases(greenId(), [HOSTS.green, '*.deep.mg'])).rejects.toBeInstanceOf(
      CNAMEAlreadyExists
    )
  })

  test('a wildcard on one may overlap exact names on others', async () => {
    await setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])
    expect(model.distribution(blueId()).config.Aliases?.Items).toEqual([HOSTS.domain, '*.deep.mg'])
  })

  test('a disabled distribution still holds its aliases', async () => {
    const { config, etag } = await read(blueId())
    await clients.cloudfront.send(
      new UpdateDistributionCommand({
        Id: blueId(),
        IfMatch: etag,
        DistributionConfig: { ...config, Enabled: false }
      })
    )
    await expect(setAliases(greenId(), [HOSTS.green, HOSTS.domain])).rejects.toBeInstanceOf(
      CNAMEAlreadyExists
    )
  })
})

describe('CloudFront config rules', () => {
  const update = async (
    change: (c: DistributionConfig) => DistributionConfig
  ): Promise<unknown> => {
    const { config, etag } = await read(blueId())
    return clients.cloudfront.send(
      new UpdateDistributionCommand({
        Id: blueId(),
        IfMatch: etag,
        DistributionConfig: change(config)
      })
    )
  }

  test('a Quantity that does not match its Items: InvalidArgument', async () => {
    await expect(
      update((c) => ({ ...c, Aliases: { Quantity: 2, Items: [HOSTS.domain] } }))
    ).rejects.toBeInstanceOf(InvalidArgument)
  })

  test('a cache behaviour targeting an origin that does not exist: NoSuchOrigin', async () => {
    await expect(
      update((c) => ({
        ...c,
        CacheBehaviors: {
          Quantity: 1,
          Items: [
            { PathPattern: '/x/*', TargetOriginId: 'nope', ViewerProtocolPolicy: 'allow-all' }
          ]
        }
      }))
    ).rejects.toBeInstanceOf(NoSuchOrigin)
  })

  test('CallerReference cannot change: IllegalUpdate', async () => {
    await expect(update((c) => ({ ...c, CallerReference: 'other' }))).rejects.toBeInstanceOf(
      IllegalUpdate
    )
  })
})

describe('CloudFront certificates', () => {
  test("every alias must be covered by the certificate's SANs", async () => {
    await expect(setAliases(blueId(), [HOSTS.domain, 'a.b.deep.mg'])).rejects.toBeInstanceOf(
      InvalidViewerCertificate
    )
    await expect(setAliases(blueId(), [HOSTS.domain, 'www.other.mg'])).rejects.toBeInstanceOf(
      InvalidViewerCertificate
    )
  })

  test('the default CloudFront certificate allows no aliases', async () => {
    const { config, etag } = await read(greenId())
    await expect(
      clients.cloudfront.send(
        new UpdateDistributionCommand({
          Id: greenId(),
          IfMatch: etag,
          DistributionConfig: {
            ...config,
            ViewerCertificate: { CloudFrontDefaultCertificate: true }
          }
        })
      )
    ).rejects.toBeInstanceOf(InvalidViewerCertificate)
  })
})

describe('CloudFront ETags', () => {
  test('IfMatch missing: InvalidIfMatchVersion; stale: PreconditionFailed; every update bumps it', async () => {
    const { config, etag } = await read(blueId())
    await expect(
      clients.cloudfront.send(
        new UpdateDistributionCommand({ Id: blueId(), DistributionConfig: config })
      )
    ).rejects.toBeInstanceOf(InvalidIfMatchVersion)
    const next = await setAliases(blueId(), [HOSTS.domain])
    expect(next).not.toBe(etag)
    await expect(
      clients.cloudfront.send(
        new UpdateDistributionCommand({ Id: blueId(), IfMatch: etag, DistributionConfig: config })
      )
    ).rejects.toBeInstanceOf(PreconditionFailed)
  })

  test('an unknown distribution: NoSuchDistribution', async () => {
    await expect(
      clients.cloudfront.send(new GetDistributionCommand({ Id: 'ENOPE' }))
    ).rejects.toBeInstanceOf(NoSuchDistribution)
  })
})

describe('CloudFront deployment', () => {
  test('an update is InProgress until the 2nd GetDistribution poll (or deployAll)', async () => {
    await setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])
    const poll = async (): Promise<string | undefined> =>
      (await clients.cloudfront.send(new GetDistributionCommand({ Id: blueId() }))).Distribution
        ?.Status
    expect(model.distribution(blueId()).status).toBe('InProgress')
    expect(await poll()).toBe('InProgress')
    expect(await poll()).toBe('Deployed')
    await setAliases(blueId(), [HOSTS.domain])
    model.deployAll()
    expect(await poll()).toBe('Deployed')
  })

  test('the SDK waiter finishes against the model (driven under fake timers)', async () => {
    model.settings.pollsToDeploy = 4
    await setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])
    const result = await drive(() =>
      waitUntilDistributionDeployed(
        { client: clients.cloudfront, maxWaitTime: 1800, minDelay: 60, maxDelay: 120 },
        { Id: blueId() }
      )
    )
    expect(result.state).toBe('SUCCESS')
    expect(mocks.unimplemented()).toEqual([])
  })

  test('delete only when disabled AND Deployed: else DistributionNotDisabled', async () => {
    const del = async (): Promise<unknown> =>
      clients.cloudfront.send(
        new DeleteDistributionCommand({ Id: greenId(), IfMatch: (await read(greenId())).etag })
      )
    await expect(del()).rejects.toBeInstanceOf(DistributionNotDisabled)
    const { config, etag } = await read(greenId())
    await clients.cloudfront.send(
      new UpdateDistributionCommand({
        Id: greenId(),
        IfMatch: etag,
        DistributionConfig: { ...config, Enabled: false }
      })
    )
    await expect(del()).rejects.toBeInstanceOf(DistributionNotDisabled)
    model.deployAll()
    await del()
    expect(model.state.distributions.has(greenId())).toBe(false)
  })

  test('ListDistributions pages (2 per page), so code that ignores NextMarker misses some', async () => {
    world.model.addDistribution(environmentConfig(QA, [], model.addCertificate('deep.mg', [])))
    const first = await clients.cloudfront.send(new ListDistributionsCommand({}))
    expect(first.DistributionList?.Items).toHaveLength(2)
    expect(first.DistributionList?.IsTruncated).toBe(true)
    const second = await clients.cloudfront.send(
      new ListDistributionsCommand({ Marker: first.DistributionList?.NextMarker })
    )
    expect(second.DistributionList?.Items).toHaveLength(1)
  })

  test('a repeated CallerReference is DistributionAlreadyExists, whatever the content; tags must use allowed characters', async () => {
    const cert = model.addCertificate('deep.mg', ['*.deep.mg'])
    const input = {
      DistributionConfigWithTags: {
        DistributionConfig: environmentConfig(QA, [], cert),
        Tags: { Items: [{ Key: 'bluegreen:weights', Value: '9:1' }] }
      }
    }
    const a = await clients.cloudfront.send(new CreateDistributionWithTagsCommand(input))
    await expect(
      clients.cloudfront.send(new CreateDistributionWithTagsCommand(input))
    ).rejects.toBeInstanceOf(DistributionAlreadyExists)
    await expect(
      clients.cloudfront.send(
        new TagResourceCommand({
          Resource: a.Distribution?.ARN,
          Tags: { Items: [{ Key: 'state', Value: '{"weights":[9,1]}' }] }
        })
      )
    ).rejects.toBeInstanceOf(InvalidTagging)
  })
})

describe('Lambda@Edge', () => {
  test('an association must reference a numbered version, not $LATEST', async () => {
    const fn = await edgeFunction()
    const { config, etag } = await read(blueId())
    const latest = `arn:aws:lambda:us-east-1:123456789012:function:${fn.name}:$LATEST`
    await expect(
      clients.cloudfront.send(
        new UpdateDistributionCommand({
          Id: blueId(),
          IfMatch: etag,
          DistributionConfig: withEdge(config, latest)
        })
      )
    ).rejects.toBeInstanceOf(InvalidLambdaFunctionAssociation)
    await clients.cloudfront.send(
      new UpdateDistributionCommand({
        Id: blueId(),
        IfMatch: etag,
        DistributionConfig: withEdge(config, fn.arn)
      })
    )
    expect(fn.arn).toMatch(/:1$/)
  })

  test('the role must trust edgelambda.amazonaws.com, and the function has no environment', async () => {
    const lambdaOnly = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole'
        }
      ]
    })
    const fn = await edgeFunction({ trust: lambdaOnly })
    const { config, etag } = await read(blueId())
    await expect(
      clients.cloudfront.send(
        new UpdateDistributionCommand({
          Id: blueId(),
          IfMatch: etag,
          DistributionConfig: withEdge(config, fn.arn)
        })
      )
    ).rejects.toBeInstanceOf(InvalidLambdaFunctionAssociation)

    world = deepWorld()
    model = world.model
    const withEnv = await edgeFunction({ env: { WEIGHTS: '9:1' } })
    const again = await read(blueId())
    await expect(
      clients.cloudfront.send(
        new UpdateDistributionCommand({
          Id: blueId(),
          IfMatch: again.etag,
          DistributionConfig: withEdge(again.config, withEnv.arn)
        })
      )
    ).rejects.toBeInstanceOf(InvalidLambdaFunctionAssociation)
  })

  test('a new role cannot be assumed by Lambda until IAM has propagated it', async () => {
    const role = await clients.iam.send(
      new CreateRoleCommand({ RoleName: 'fresh', AssumeRolePolicyDocument: EDGE_TRUST })
    )
    const create = (): Promise<unknown> =>
      clients.edgeLambda.send(
        new CreateFunctionCommand({
          FunctionName: 'fresh',
          Role: role.Role?.Arn,
          Code: { ZipFile: new Uint8Array([1]) }
        })
      )
    await expect(create()).rejects.toBeInstanceOf(InvalidParameterValueException)
    model.advance(model.settings.rolePropagationMs)
    await create()
  })

  test("PublishVersion's Description is the version's; a function settles with time too", async () => {
    const fn = await edgeFunction()
    await clients.edgeLambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: fn.name, ZipFile: new Uint8Array([9]) })
    )
    model.advance(model.settings.lambdaSettleMs)
    const v = await clients.edgeLambda.send(
      new PublishVersionCommand({ FunctionName: fn.name, Description: 'bluegreen-router 9:1 abc' })
    )
    expect(v.Description).toBe('bluegreen-router 9:1 abc')
    const got = await clients.edgeLambda.send(
      new GetFunctionCommand({ FunctionName: fn.name, Qualifier: v.Version })
    )
    expect(got.Configuration?.Description).toBe('bluegreen-router 9:1 abc')
  })

  test('the version must be in us-east-1 and within the viewer-trigger limits', async () => {
    const fn = await edgeFunction()
    const { config, etag } = await read(blueId())
    const send = (arn: string): Promise<unknown> =>
      clients.cloudfront.send(
        new UpdateDistributionCommand({
          Id: blueId(),
          IfMatch: etag,
          DistributionConfig: withEdge(config, arn)
        })
      )
    await expect(send(fn.arn.replace('us-east-1', 'eu-west-1'))).rejects.toBeInstanceOf(
      InvalidLambdaFunctionAssociation
    )
    await expect(send(`${fn.arn.slice(0, -1)}7`)).rejects.toBeInstanceOf(
      InvalidLambdaFunctionAssociation
    )
    const v = model.state.functions.get(fn.name)?.versions[0]
    if (v === undefined) throw new Error('no version')
    v.config.MemorySize = 256
    await expect(send(fn.arn)).rejects.toBeInstanceOf(InvalidLambdaFunctionAssociation)
  })

  test('IAM returns the trust policy URL-encoded', async () => {
    await edgeFunction()
    const role = await clients.iam.send(new GetRoleCommand({ RoleName: 'bluegreen-edge' }))
    expect(role.Role?.AssumeRolePolicyDocument).toBe(encodeURIComponent(EDGE_TRUST))
  })

  test('no PublishVersion or UpdateFunctionCode while an update is in progress; unchanged code publishes no new version', async () => {
    const fn = await edgeFunction()
    const update = (bytes: number[]): Promise<unknown> =>
      clients.edgeLambda.send(
        new UpdateFunctionCodeCommand({ FunctionName: fn.name, ZipFile: new Uint8Array(bytes) })
      )
    await update([4, 5, 6])
    await expect(
      clients.edgeLambda.send(new PublishVersionCommand({ FunctionName: fn.name }))
    ).rejects.toBeInstanceOf(ResourceConflictException)
    await expect(update([7])).rejects.toBeInstanceOf(ResourceConflictException)
    const status = async (): Promise<string | undefined> =>
      (await clients.edgeLambda.send(new GetFunctionCommand({ FunctionName: fn.name })))
        .Configuration?.LastUpdateStatus
    expect(await status()).toBe('InProgress')
    expect(await status()).toBe('Successful')
    const v2 = await clients.edgeLambda.send(new PublishVersionCommand({ FunctionName: fn.name }))
    const again = await clients.edgeLambda.send(
      new PublishVersionCommand({ FunctionName: fn.name })
    )
    expect(v2.Version).toBe('2')
    expect(again.Version).toBe('2')
  })

  test('a version that replicated to the edges cannot be deleted until its replicas are gone', async () => {
    const fn = await edgeFunction()
    const { config } = await read(blueId()) // without the function, to detach it again
    await attachEdge(blueId(), fn.arn)
    model.deployAll()
    const del = (): Promise<unknown> =>
      clients.edgeLambda.send(new DeleteFunctionCommand({ FunctionName: fn.name }))
    await expect(del()).rejects.toBeInstanceOf(InvalidParameterValueException)
    const back = await read(blueId())
    await clients.cloudfront.send(
      new UpdateDistributionCommand({
        Id: blueId(),
        IfMatch: back.etag,
        DistributionConfig: config
      })
    )
    model.deployAll()
    await expect(del()).rejects.toBeInstanceOf(InvalidParameterValueException)
    model.advance(model.settings.replicaLingerMs)
    await del()
    expect(model.state.functions.size).toBe(0)
  })

  test('edge Lambda and ACM calls from a region other than us-east-1 are recorded', async () => {
    await clients.lambda.send(new GetFunctionCommand({ FunctionName: 'x' })).catch(() => undefined)
    const regionalAcm = new ACMClient({ region: 'eu-west-1' })
    await regionalAcm
      .send(new DescribeCertificateCommand({ CertificateArn: 'x' }))
      .catch(() => undefined)
    expect(mocks.wrongRegion).toEqual([
      'GetFunction in eu-west-1',
      'DescribeCertificate in eu-west-1'
    ])
  })
})

describe('Route53', () => {
  const zone = (): string => world.zoneId
  const change = (changes: Change[]): Promise<unknown> =>
    clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: `/hostedzone/${zone()}`,
        ChangeBatch: { Changes: changes }
      })
    )
  const alias = (name: string, id: string): Change['ResourceRecordSet'] => ({
    Name: name,
    Type: 'A',
    AliasTarget: {
      HostedZoneId: CLOUDFRONT_ZONE_ID,
      DNSName: model.distribution(id).domainName,
      EvaluateTargetHealth: false
    }
  })

  test('CREATE of an existing record and DELETE of a different one are InvalidChangeBatch, atomically', async () => {
    await expect(
      change([
        { Action: 'UPSERT', ResourceRecordSet: alias(HOSTS.blue, blueId()) },
        { Action: 'CREATE', ResourceRecordSet: alias(HOSTS.domain, greenId()) }
      ])
    ).rejects.toBeInstanceOf(InvalidChangeBatch)
    expect(model.zoneRecords()).toHaveLength(2)
    await expect(
      change([{ Action: 'DELETE', ResourceRecordSet: alias(HOSTS.domain, greenId()) }])
    ).rejects.toBeInstanceOf(InvalidChangeBatch)
    await change([{ Action: 'DELETE', ResourceRecordSet: alias(HOSTS.domain, blueId()) }])
    expect(model.zoneRecords()).toHaveLength(1)
  })

  test('an alias must target an existing distribution in zone Z2FDTNDATAQYW2', async () => {
    await expect(
      change([
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: HOSTS.blue,
            Type: 'A',
            AliasTarget: {
              HostedZoneId: CLOUDFRONT_ZONE_ID,
              DNSName: 'dnope.cloudfront.net',
              EvaluateTargetHealth: false
            }
          }
        }
      ])
    ).rejects.toBeInstanceOf(InvalidChangeBatch)
  })

  test('CloudFront aliases use zone Z2FDTNDATAQYW2 and EvaluateTargetHealth false; CNAME stands alone', async () => {
    const good = alias(HOSTS.blue, blueId())
    if (good?.AliasTarget === undefined) throw new Error('no alias')
    await expect(
      change([
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            ...good,
            AliasTarget: { ...good.AliasTarget, HostedZoneId: 'Z0000' }
          }
        }
      ])
    ).rejects.toBeInstanceOf(InvalidChangeBatch)
    await expect(
      change([
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            ...good,
            AliasTarget: { ...good.AliasTarget, EvaluateTargetHealth: true }
          }
        }
      ])
    ).rejects.toBeInstanceOf(InvalidChangeBatch)
    await expect(
      change([
        {
          Action: 'CREATE',
          ResourceRecordSet: {
            Name: HOSTS.domain,
            Type: 'CNAME',
            TTL: 60,
            ResourceRecords: [{ Value: 'x.example.com' }]
          }
        }
      ])
    ).rejects.toBeInstanceOf(InvalidChangeBatch)
  })

  test('a change is PENDING, then INSYNC', async () => {
    const out = await clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone(),
        ChangeBatch: {
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: alias(HOSTS.blue, blueId()) }]
        }
      })
    )
    expect(out.ChangeInfo?.Status).toBe('PENDING')
    const got = await clients.route53.send(new GetChangeCommand({ Id: out.ChangeInfo?.Id }))
    expect(got.ChangeInfo?.Status).toBe('INSYNC')
  })

  test('names come back with a trailing dot and a wildcard as \\052; lists page', async () => {
    await change([{ Action: 'UPSERT', ResourceRecordSet: alias('*.deep.mg', blueId()) }])
    const zones = await clients.route53.send(
      new ListHostedZonesByNameCommand({ DNSName: 'deep.mg' })
    )
    expect(zones.HostedZones?.[0]?.Name).toBe('deep.mg.')
    const page = await clients.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone() })
    )
    expect(page.IsTruncated).toBe(true)
    expect(page.ResourceRecordSets?.map((r) => r.Name)).toEqual(['\\052.deep.mg.', 'www.deep.mg.'])
  })
})

describe('servedBy', () => {
  test('exact beats wildcard; a host nobody holds is an outage', () => {
    expect(servedBy(model, HOSTS.domain)).toEqual(new Set(['stage']))
    expect(servedBy(model, HOSTS.green)).toEqual(new Set(['prod']))
    expect(servedBy(model, HOSTS.blue)).toEqual(new Set(['outage']))
  })

  test('while InProgress, an edge may see the old or the new config', async () => {
    await setAliases(blueId(), ['*.deep.mg'])
    expect(servedBy(model, HOSTS.blue)).toEqual(new Set(['outage', 'stage']))
    expect(servedBy(model, HOSTS.green)).toEqual(new Set(['prod']))
    model.deployAll()
    expect(servedBy(model, HOSTS.blue)).toEqual(new Set(['stage']))
    expect(servedBy(model, HOSTS.domain)).toEqual(new Set(['stage']))
  })

  test('two updates without a wait: an edge may serve the middle config too', async () => {
    await setAliases(greenId(), [])
    await setAliases(greenId(), [HOSTS.green])
    // Old and new both hold G2, the middle one does not: an outage on some edges.
    expect(servedBy(model, HOSTS.green)).toEqual(new Set(['prod', 'outage']))
  })

  test('a disabled distribution that holds the alias answers with an error: an outage', async () => {
    const { config, etag } = await read(blueId())
    await clients.cloudfront.send(
      new UpdateDistributionCommand({
        Id: blueId(),
        IfMatch: etag,
        DistributionConfig: { ...config, Enabled: false }
      })
    )
    model.deployAll()
    expect(servedBy(model, HOSTS.domain)).toEqual(new Set(['outage']))
  })

  test('a certificate that does not cover the host is an outage', () => {
    const cert = model.addCertificate('deep.mg', [])
    const blue = model.distribution(blueId())
    blue.deployed = {
      ...blue.config,
      ViewerCertificate: { ACMCertificateArn: cert, SSLSupportMethod: 'sni-only' }
    }
    expect(servedBy(model, HOSTS.domain)).toEqual(new Set(['outage']))
  })

  test('a distribution with an edge function on the default behaviour serves "router"', async () => {
    const fn = await edgeFunction()
    await attachEdge(blueId(), fn.arn)
    expect(servedBy(model, HOSTS.domain)).toEqual(new Set(['stage', 'router']))
  })

  test('a router whose other behaviours lack the function (they bypass the ratio) is "partial-router"', async () => {
    const fn = await edgeFunction()
    const { config, etag } = await read(blueId())
    await clients.cloudfront.send(
      new UpdateDistributionCommand({
        Id: blueId(),
        IfMatch: etag,
        DistributionConfig: withEdge(config, fn.arn, true)
      })
    )
    model.deployAll()
    expect(servedBy(model, HOSTS.domain)).toEqual(new Set(['partial-router']))
  })

  test('a distribution whose behaviours point to two environments serves a mix', () => {
    const blue = model.distribution(blueId())
    const prodApi = environmentConfig(PROD, [], 'x').Origins?.Items?.[1]
    if (prodApi === undefined) throw new Error('no api origin')
    const mixed: DistributionConfig = {
      ...blue.config,
      Origins: {
        Quantity: 2,
        Items: [blue.config.Origins?.Items?.[0] ?? prodApi, { ...prodApi, Id: 'api-abcd1234' }]
      }
    }
    expect(model.environmentOf(mixed)).toBe('prod+stage')
  })
})

describe('the invariant checker', () => {
  test('records the call index and command that broke it', async () => {
    const spec = specBefore(model, HOSTS, 'router')
    expect(spec.served).toEqual([HOSTS.domain, HOSTS.green])
    const violations: Violation[] = []
    model.onMutation((call) => violations.push(...checkInvariant(model, spec, call)))
    await setAliases(greenId(), []) // drops G2: an outage on every edge that sees it
    expect(violations).toEqual([
      expect.objectContaining({
        kind: 'outage',
        host: HOSTS.green,
        command: 'UpdateDistribution',
        call: 1
      })
    ])
  })

  test('D served by an environment outside the allowed set is a violation', async () => {
    const spec = specBefore(model, HOSTS, 'router')
    const violations: Violation[] = []
    model.onMutation((call) => violations.push(...checkInvariant(model, spec, call)))
    await setAliases(blueId(), [])
    await setAliases(greenId(), [HOSTS.green, HOSTS.domain])
    expect(violations.filter((v) => v.kind === 'wrong-environment').map((v) => v.host)).toContain(
      HOSTS.domain
    )
  })

  test('the router answering D while its 302 target B1 does not resolve is a redirect-target violation', async () => {
    const spec = specBefore(model, HOSTS, 'router', { blueEnv: 'stage', greenEnv: 'prod' })
    const violations: Violation[] = []
    model.onMutation((call) => violations.push(...checkInvariant(model, spec, call)))
    const fn = await edgeFunction()
    await setAliases(blueId(), ['*.deep.mg'])
    model.deployAll()
    const cert = model.distribution(blueId()).config.ViewerCertificate?.ACMCertificateArn ?? ''
    const router = withEdge(environmentConfig(STAGE, [HOSTS.domain], cert), fn.arn)
    await clients.cloudfront.send(
      new CreateDistributionWithTagsCommand({
        DistributionConfigWithTags: {
          DistributionConfig: { ...router, CallerReference: 'router' },
          Tags: { Items: [] }
        }
      })
    )
    expect(violations.filter((v) => v.kind !== 'redirect-target')).toEqual([])
    expect(violations.filter((v) => v.kind === 'redirect-target').map((v) => v.host)).toContain(
      HOSTS.blue
    )
  })

  test('DNS that stops reaching CloudFront is a violation', async () => {
    const spec = specBefore(model, HOSTS, 'router')
    const violations: Violation[] = []
    model.onMutation((call) => violations.push(...checkInvariant(model, spec, call)))
    await clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: world.zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'DELETE',
              ResourceRecordSet: {
                Name: HOSTS.green,
                Type: 'A',
                AliasTarget: {
                  HostedZoneId: CLOUDFRONT_ZONE_ID,
                  DNSName: `${model.distribution(greenId()).domainName}.`,
                  EvaluateTargetHealth: false
                }
              }
            }
          ]
        }
      })
    )
    expect(violations.map((v) => v.kind)).toEqual(['dns'])
  })
})

describe('fault injection', () => {
  test('throttle / server faults fail the k-th mutating call before it applies', async () => {
    model.beginRun()
    model.failOn(1, 'throttle')
    model.failOn(2, 'server')
    await expect(setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])).rejects.toMatchObject({
      name: 'Throttling'
    })
    await expect(setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])).rejects.toMatchObject({
      $metadata: { httpStatusCode: 503 }
    })
    expect(model.distribution(blueId()).config.Aliases?.Items).toEqual([HOSTS.domain])
    await setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])
    expect(model.runCalls().map((c) => c.outcome)).toEqual(['fault', 'fault', 'ok'])
  })

  test('a conflict fault moves the ETag on (someone else changed it): PreconditionFailed', async () => {
    const before = model.distribution(blueId()).etag
    model.beginRun()
    model.failOn(1, 'conflict')
    await expect(setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])).rejects.toBeInstanceOf(
      PreconditionFailed
    )
    expect(model.distribution(blueId()).etag).not.toBe(before)
  })

  test('a lost response applies the call, then fails', async () => {
    model.beginRun()
    model.failOn(1, 'lost-response')
    await expect(setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 }
    })
    expect(model.distribution(blueId()).config.Aliases?.Items).toEqual([HOSTS.domain, '*.deep.mg'])
  })

  test('snapshot / restore brings the whole world back', async () => {
    const saved = model.snapshot()
    await setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])
    model.restore(saved)
    expect(model.distribution(blueId()).config.Aliases?.Items).toEqual([HOSTS.domain])
  })
})

describe('wiring', () => {
  test('a command the model does not implement fails loudly and is reported', async () => {
    const { ListFunctionsCommand } = await import('@aws-sdk/client-lambda')
    await expect(clients.edgeLambda.send(new ListFunctionsCommand({}))).rejects.toThrow(
      'model does not implement'
    )
    expect(mocks.unimplemented()).toEqual(['ListFunctionsCommand'])
  })

  test('environments are told apart by origin', () => {
    expect(model.environmentOf(environmentConfig(STAGE, [], 'x'))).toBe('stage')
    expect(model.environmentOf(environmentConfig(PROD, [], 'x'))).toBe('prod')
  })
})

// Rules real distributions bring (issue 8), each one from AWS's documentation.
describe('what real distributions carry', () => {
  const fixture = (name: string): string =>
    readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')

  test("CloudFront Functions and Lambda@Edge can't share viewer events of a behaviour; origin events may", async () => {
    const { arn } = await edgeFunction()
    const { config, etag } = await read(blueId())
    const b = config.DefaultCacheBehavior
    if (b === undefined) throw new Error('no default behaviour')
    const fn = {
      Quantity: 1,
      Items: [
        {
          EventType: 'viewer-response' as const,
          FunctionARN: 'arn:aws:cloudfront::123456789012:function/security-headers'
        }
      ]
    }
    const withBoth = (eventType: 'viewer-request' | 'origin-request'): DistributionConfig => ({
      ...config,
      DefaultCacheBehavior: {
        ...b,
        FunctionAssociations: fn,
        LambdaFunctionAssociations: {
          Quantity: 1,
          Items: [{ EventType: eventType, LambdaFunctionARN: arn }]
        }
      }
    })
    await expect(
      clients.cloudfront.send(
        new UpdateDistributionCommand({
          Id: blueId(),
          IfMatch: etag,
          DistributionConfig: withBoth('viewer-request')
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidLambdaFunctionAssociation' })
    await clients.cloudfront.send(
      new UpdateDistributionCommand({
        Id: blueId(),
        IfMatch: etag,
        DistributionConfig: withBoth('origin-request')
      })
    )
  })

  test('an S3 origin behind Origin Access Control answers only the distribution its bucket names', () => {
    const w = deepWorld({}, { realBlue: true })
    const blue = w.model.distribution(w.ids.stage ?? '')
    // Blue itself is served (its OAC bucket allows it)...
    expect(w.model.environmentOf(blue.config, blue)).toBe('stage')
    // ...a clone of blue in another distribution is denied by the bucket.
    const clone = {
      ...blue,
      id: 'ECLONE',
      arn: 'arn:aws:cloudfront::123456789012:distribution/ECLONE'
    }
    expect(w.model.environmentOf(blue.config, clone)).toMatch(/^denied: .*Origin Access Control/)
    expect(w.model.state.oacBuckets.get(oacBucket(STAGE))).toBe(blue.arn)
  })

  test("an origin that is a distribution's CloudFront domain is served by that distribution, two deep at most", () => {
    const w = deepWorld({}, { realBlue: true })
    const blue = w.model.distribution(w.ids.stage ?? '')
    const via = (domain: string) =>
      routerConfig({
        originDomain: domain,
        blue: blue.config,
        aliases: [],
        edgeArn: undefined,
        callerReference: 'r',
        comment: 'r',
        enabled: true
      })
    expect(w.model.environmentOf(via(blue.domainName))).toBe('stage')
    const first = w.model.addDistribution(via(blue.domainName))
    expect(w.model.environmentOf(via(first.domainName))).toMatch(/^denied: .*third distribution/)
    blue.deployed = { ...blue.config, Enabled: false }
    expect(w.model.environmentOf(via(blue.domainName))).toMatch(/^denied: .*disabled/)
  })

  test('a distribution with a continuous-deployment policy refuses alias changes; a staging one holds none', async () => {
    const d = model.distribution(blueId())
    d.config = { ...d.config, ContinuousDeploymentPolicyId: 'cd-policy-1' }
    await expect(setAliases(blueId(), ['*.deep.mg'])).rejects.toBeInstanceOf(IllegalUpdate)
    await expect(setAliases(blueId(), ['*.deep.mg'])).rejects.toThrow(
      /not supported for continuous deployment/
    )
    // Other changes pass.
    const { config, etag } = await read(blueId())
    await clients.cloudfront.send(
      new UpdateDistributionCommand({
        Id: blueId(),
        IfMatch: etag,
        DistributionConfig: { ...config, Comment: 'still editable' }
      })
    )
    const cert = model.addCertificate('deep.mg', ['*.deep.mg'])
    await expect(
      clients.cloudfront.send(
        new CreateDistributionWithTagsCommand({
          DistributionConfigWithTags: {
            DistributionConfig: { ...environmentConfig(QA, ['qa.deep.mg'], cert), Staging: true },
            Tags: { Items: [] }
          }
        })
      )
    ).rejects.toBeInstanceOf(InvalidArgument)
  })

  test('a multi-tenant distribution (ConnectionMode tenant-only) holds no aliases', async () => {
    const cert = model.addCertificate('deep.mg', ['*.deep.mg'])
    await expect(
      clients.cloudfront.send(
        new CreateDistributionWithTagsCommand({
          DistributionConfigWithTags: {
            DistributionConfig: {
              ...environmentConfig(QA, ['qa.deep.mg'], cert),
              ConnectionMode: 'tenant-only'
            },
            Tags: { Items: [] }
          }
        })
      )
    ).rejects.toThrow(/multi-tenant/)
  })

  test('an IAM server certificate covers the names in its PEM, and only those', async () => {
    const wide = model.addServerCertificate('deep-mg', fixture('iam-deep-mg.pem'))
    const narrow = model.addServerCertificate('www-only', fixture('iam-www-only.pem'))
    const withIam = async (id: string, aliases: string[]) => {
      const { config, etag } = await read(greenId())
      return clients.cloudfront.send(
        new UpdateDistributionCommand({
          Id: greenId(),
          IfMatch: etag,
          DistributionConfig: {
            ...withAliases(config, aliases),
            ViewerCertificate: { IAMCertificateId: id, SSLSupportMethod: 'sni-only' }
          }
        })
      )
    }
    await expect(withIam(narrow, [HOSTS.green])).rejects.toBeInstanceOf(InvalidViewerCertificate)
    await withIam(wide, [HOSTS.green])
    const list = await clients.iam.send(new ListServerCertificatesCommand({}))
    const name = list.ServerCertificateMetadataList?.find((m) => m.ServerCertificateId === wide)
    const body = await clients.iam.send(
      new GetServerCertificateCommand({ ServerCertificateName: name?.ServerCertificateName })
    )
    expect(body.ServerCertificate?.CertificateBody).toContain('BEGIN CERTIFICATE')
  })

  test('UpdateFunctionConfiguration moves the runtime; the function is busy until the update settles', async () => {
    const { name } = await edgeFunction()
    await clients.edgeLambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: name, Runtime: 'nodejs22.x' })
    )
    await expect(
      clients.edgeLambda.send(new PublishVersionCommand({ FunctionName: name }))
    ).rejects.toBeInstanceOf(ResourceConflictException)
    model.deployAll()
    const fn = await clients.edgeLambda.send(new GetFunctionCommand({ FunctionName: name }))
    expect(fn.Configuration?.Runtime).toBe('nodejs22.x')
  })

  test('attached role policies are listed (paged)', async () => {
    await clients.iam.send(
      new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: EDGE_TRUST })
    )
    for (const arn of [
      'arn:aws:iam::aws:policy/a',
      'arn:aws:iam::aws:policy/b',
      'arn:aws:iam::aws:policy/c'
    ]) {
      await clients.iam.send(new AttachRolePolicyCommand({ RoleName: 'r', PolicyArn: arn }))
    }
    const first = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'r' }))
    expect(first.AttachedPolicies).toHaveLength(2)
    expect(first.IsTruncated).toBe(true)
  })

  test('the hosted-zone list pages by name and id when several zones share a name', async () => {
    model.addZone('deep.mg')
    model.addZone('deep.mg')
    const first = await clients.route53.send(
      new ListHostedZonesByNameCommand({ DNSName: 'deep.mg', MaxItems: 2 })
    )
    expect(first.IsTruncated).toBe(true)
    const next = await clients.route53.send(
      new ListHostedZonesByNameCommand({
        DNSName: first.NextDNSName,
        HostedZoneId: first.NextHostedZoneId,
        MaxItems: 2
      })
    )
    expect(next.HostedZones?.[0]?.Id).toBe(`/hostedzone/${first.NextHostedZoneId ?? ''}`)
  })
})

describe('answer lost (the SDK retries a call that was applied)', () => {
  test('CreateRole: applied once; the retry meets EntityAlreadyExists', async () => {
    model.beginRun()
    model.failOn(1, 'answer-lost')
    await expect(
      clients.iam.send(
        new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: EDGE_TRUST })
      )
    ).rejects.toBeInstanceOf(EntityAlreadyExistsException)
    expect(model.state.roles.has('r')).toBe(true)
    expect(model.runCalls().map((c) => c.outcome)).toEqual(['fault', 'rejected'])
  })

  test('UpdateDistribution: applied once; the retry with the old IfMatch meets PreconditionFailed', async () => {
    model.beginRun()
    model.failOn(1, 'answer-lost')
    await expect(setAliases(blueId(), [HOSTS.domain, '*.deep.mg'])).rejects.toBeInstanceOf(
      PreconditionFailed
    )
    expect(model.distribution(blueId()).config.Aliases?.Items).toEqual([HOSTS.domain, '*.deep.mg'])
  })

  test('a router answering D while the outside DNS provider has no record of B1 is a violation', async () => {
    const w = deepWorld({}, { zone: false })
    world = w
    model = w.model
    const spec = {
      ...specBefore(model, HOSTS, 'router', { blueEnv: STAGE.name, greenEnv: PROD.name }),
      outsideDns: (host: string) => host !== HOSTS.blue
    }
    const { arn } = await edgeFunction()
    await setAliases(blueId(), ['*.deep.mg'])
    model.deployAll()
    const violations: Violation[] = []
    const stop = model.onMutation((call) => violations.push(...checkInvariant(model, spec, call)))
    const cert = model.addCertificate('deep.mg', ['*.deep.mg'])
    await clients.cloudfront.send(
      new CreateDistributionWithTagsCommand({
        DistributionConfigWithTags: {
          DistributionConfig: {
            ...withEdge(environmentConfig(STAGE, [HOSTS.domain], cert), arn),
            CallerReference: 'router'
          },
          Tags: { Items: [] }
        }
      })
    )
    stop()
    expect(violations.some((v) => v.kind === 'redirect-target' && v.host === HOSTS.blue)).toBe(true)
  })
})

test('realBlueConfig is what the model accepts as an environment (so the journey starts from a real blue)', () => {
  const w = deepWorld({}, { realBlue: true })
  const blue = w.model.distribution(w.ids.stage ?? '')
  expect(blue.config.CacheBehaviors?.Quantity).toBe(3)
  expect(
    realBlueConfig(STAGE, [], 'x', 'y').DefaultCacheBehavior?.FunctionAssociations?.Quantity
  ).toBe(1)
})
