/**
 * The local CloudFront stand-in (helpers/edge-standin.ts) over the emulator, at the HTTP level:
 * a router set up by the built action, its edge function's real code downloaded from the
 * emulator's Lambda, viewers with cookie jars, and where they land. Also the moto patch that
 * makes GetFunction's Code.Location serve each version's own zip (scripts/moto/lambda_code.py).
 */
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  waitUntilFunctionUpdatedV2
} from '@aws-sdk/client-lambda'
import type { DistributionSummary } from '@aws-sdk/client-cloudfront'
import { strToU8, unzipSync, zipSync } from 'fflate'
import { runAction } from './helpers/action.js'
import {
  getThroughEmulator,
  pickDistribution,
  sampleTraffic,
  startEdgeStandIn,
  Viewer,
  type EdgeStandIn
} from './helpers/edge-standin.js'
import { emulatorEndpoint } from './helpers/emulator.js'
import { createSite, type Site } from './helpers/site.js'

const hasEmulator = (process.env.AWS_ENDPOINT_URL ?? '').startsWith('http://127.0.0.1:')
const describeEmulator = hasEmulator ? describe : describe.skip

function summary(id: string, aliases: string[], enabled = true): DistributionSummary {
  return {
    Id: id,
    DomainName: `${id.toLowerCase()}.cloudfront.net`,
    Enabled: enabled,
    Aliases: { Quantity: aliases.length, Items: aliases }
  } as DistributionSummary
}

describe('pickDistribution: the most specific alias, as CloudFront routes', () => {
  const blue = summary('BLUE', ['*.deep.mg'])
  const green = summary('GREEN', ['www2.deep.mg'])
  const router = summary('ROUTER', ['www.deep.mg'])
  const all = [blue, green, router]

  it.each([
    ['www.deep.mg', 'ROUTER'],
    ['www1.deep.mg', 'BLUE'],
    ['www2.deep.mg', 'GREEN'],
    ['WWW2.deep.mg.', 'GREEN'],
    ['green.cloudfront.net', 'GREEN']
  ])('%s is served by %s', (host, id) => {
    expect(pickDistribution(all, host)?.Id).toBe(id)
  })

  it('no holder, or a name deeper than the wildcard: nothing', () => {
    expect(pickDistribution(all, 'deep.mg')).toBeUndefined()
    expect(pickDistribution(all, 'a.b.deep.mg')).toBeUndefined()
  })

  it('a disabled holder still holds the name (and so serves nothing)', () => {
    const disabled = summary('OLD', ['www.deep.mg'], false)
    expect(pickDistribution([blue, disabled], 'www.deep.mg')?.Id).toBe('OLD')
  })
})

describeEmulator('the edge stand-in over a router made by the built action', () => {
  let site: Site
  let edge: EdgeStandIn
  const D = 'https://www.deep.mg/'

  const publish = async (ratio: string) => {
    const res = await runAction({
      command: 'publish',
      blue: 'stage:abcd1234',
      green: 'prod:wxyz0987',
      ratio,
      'domain-name': 'www.deep.mg',
      'wait-timeout': '2m'
    })
    expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
    await edge.refresh()
    return res
  }

  beforeAll(async () => {
    site = await createSite()
    edge = await startEdgeStandIn({ endpoint: emulatorEndpoint() })
  })
  afterAll(async () => {
    await edge.close()
  })

  test('before any publish, blue serves www.deep.mg and nobody serves www1', async () => {
    const visit = await new Viewer(edge).visit(D)
    expect(visit).toEqual({ status: 200, servedBy: site.blueId, hops: [D] })
    expect((await new Viewer(edge).visit('https://www1.deep.mg/')).status).toBe(403)
  })

  test('9:1: the router function answers 302 + cookie; about 90 % land on blue, returning viewers stay', async () => {
    const res = await publish('9:1')
    const routerId = res.outputs['router-distribution-id'] ?? ''
    expect(edge.servingDistribution('www.deep.mg')?.Id).toBe(routerId)

    const visit = await new Viewer(edge).visit('https://www.deep.mg/shop?x=1')
    expect(visit.hops[1]).toMatch(/^https:\/\/www[12]\.deep\.mg\/shop\?x=1$/)
    expect([site.blueId, site.greenId]).toContain(visit.servedBy)

    const sample = await sampleTraffic(edge, D, { viewers: 200, returns: 2 })
    const blue = sample.first[site.blueId] ?? 0
    const green = sample.first[site.greenId] ?? 0
    console.log(`9:1 through the stand-in: blue ${blue}, green ${green}, stayed ${sample.stayed}`)
    expect(blue + green).toBe(200)
    // Binomial(200, 0.1): mean 20, sd 4.2; these bounds fail by chance about once in 10^6 runs.
    expect(green).toBeGreaterThanOrEqual(4)
    expect(green).toBeLessThanOrEqual(42)
    expect(sample).toMatchObject({ stayed: 400, moved: 0 })
  })

  test('1:1: a new edge version is downloaded and run; both colours get viewers', async () => {
    await publish('1:1')
    const sample = await sampleTraffic(edge, D, { viewers: 100, returns: 1 })
    expect(sample.first[site.blueId]).toBeGreaterThan(25)
    expect(sample.first[site.greenId]).toBeGreaterThan(25)
    expect(sample.moved).toBe(0)
  })

  test('0:1: green serves www.deep.mg and www1 directly, no redirect', async () => {
    await publish('0:1')
    for (const host of ['www.deep.mg', 'www1.deep.mg', 'www2.deep.mg']) {
      const visit = await new Viewer(edge).visit(`https://${host}/`)
      expect({ host, ...visit }).toEqual({
        host,
        status: 200,
        servedBy: site.greenId,
        hops: [`https://${host}/`]
      })
    }
  })

  test('a host that no distribution holds gets 403', async () => {
    expect((await new Viewer(edge).visit('https://other.example/')).status).toBe(403)
  })
})

describeEmulator("moto patch: GetFunction's Code.Location serves each version's zip", () => {
  const lambda = new LambdaClient({ region: 'us-east-1' })

  async function download(location: string): Promise<Record<string, string>> {
    const files = unzipSync(await getThroughEmulator(emulatorEndpoint(), location))
    return Object.fromEntries(
      Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('utf8')])
    )
  }

  test('version 1 keeps its code after UpdateFunctionCode; $LATEST and version 2 have the new one', async () => {
    const role = await new IAMClient({ region: 'us-east-1' }).send(
      new CreateRoleCommand({ RoleName: 'code-location-test', AssumeRolePolicyDocument: '{}' })
    )
    const zip = (text: string) => zipSync({ 'index.js': strToU8(text) })
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'code-location-test',
        Runtime: 'nodejs22.x',
        Role: role.Role?.Arn,
        Handler: 'index.handler',
        Code: { ZipFile: zip('one') }
      })
    )
    const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: 'code-location-test' }))
    await lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'code-location-test', ZipFile: zip('two') })
    )
    await waitUntilFunctionUpdatedV2(
      { client: lambda, maxWaitTime: 30 },
      { FunctionName: 'code-location-test' }
    )
    const v2 = await lambda.send(new PublishVersionCommand({ FunctionName: 'code-location-test' }))
    const code = async (name: string) => {
      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: name }))
      expect(new URL(fn.Code?.Location ?? '').host).toBe(
        'awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com'
      )
      return download(fn.Code?.Location ?? '')
    }
    expect(await code(v1.FunctionArn ?? '')).toEqual({ 'index.js': 'one' })
    expect(await code(v2.FunctionArn ?? '')).toEqual({ 'index.js': 'two' })
    expect(await code('code-location-test')).toEqual({ 'index.js': 'two' })
  })
})
