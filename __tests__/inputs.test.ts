import {
  InputError,
  parseInputs,
  type PublishRequest,
  type RawInputs,
  type ReplicateRequest
} from '../src/inputs.js'

const base: RawInputs = {
  blue: 'stage:abcd1234',
  green: 'prod:wxyz0987',
  'domain-name': 'www.deep.mg'
}

function issuesOf(raw: RawInputs): InputError['issues'] {
  try {
    parseInputs(raw)
  } catch (error) {
    if (error instanceof InputError) return error.issues
    throw error
  }
  throw new Error(`expected an InputError for ${JSON.stringify(raw)}`)
}

function publish(raw: RawInputs): PublishRequest {
  const r = parseInputs({ ...base, ...raw })
  if (r.command !== 'publish') throw new Error('expected publish')
  return r
}

describe('bad input names the input, the value and the rule', () => {
  // [description, inputs (merged over a valid publish), the input the error must name]
  const cases: [string, RawInputs, string][] = [
    ['ratio not numbers', { ratio: 'abc' }, 'ratio'],
    ['ratio 0:0', { ratio: '0:0' }, 'ratio'],
    ['ratio negative blue', { ratio: '-1:2' }, 'ratio'],
    ['ratio negative green', { ratio: '1:-2' }, 'ratio'],
    ['ratio empty blue side', { ratio: ':1' }, 'ratio'],
    ['ratio empty green side', { ratio: '9:' }, 'ratio'],
    ['ratio three parts', { ratio: '1:2:3' }, 'ratio'],
    ['ratio one part', { ratio: '9' }, 'ratio'],
    ['ratio decimal', { ratio: '1.5:1' }, 'ratio'],
    ['ratio mixed separators', { ratio: '1:2/3' }, 'ratio'],
    ['ratio percent sign', { ratio: '90%:10%' }, 'ratio'],
    ['ratio hex', { ratio: '0x9:1' }, 'ratio'],
    ['ratio huge', { ratio: '99999999999:1' }, 'ratio'],
    ['blue-percent over 100', { 'blue-percent': '101' }, 'blue-percent'],
    ['blue-percent negative', { 'blue-percent': '-5' }, 'blue-percent'],
    ['blue-percent decimal', { 'blue-percent': '50.5' }, 'blue-percent'],
    ['green-percent words', { 'green-percent': 'half' }, 'green-percent'],
    [
      'percents not adding to 100',
      { 'blue-percent': '50', 'green-percent': '60' },
      'green-percent'
    ],
    ['ratio disagrees with blue-percent', { ratio: '9:1', 'blue-percent': '50' }, 'blue-percent'],
    [
      'ratio disagrees with green-percent',
      { ratio: '1:1', 'green-percent': '90' },
      'green-percent'
    ],
    ['blue missing', { blue: '' }, 'blue'],
    ['green missing', { green: '' }, 'green'],
    ['blue and green equal ids', { blue: 'E2QWRUHAPOMQZL', green: 'E2QWRUHAPOMQZL' }, 'green'],
    ['blue and green equal aliases', { blue: 'www1.deep.mg', green: 'WWW1.deep.mg' }, 'green'],
    ['same env:hash twice', { blue: 'prod:abcd1234', green: 'abcd1234:prod' }, 'green'],
    ['same bare hash twice', { blue: 'abcd1234', green: 'stage:abcd1234' }, 'green'],
    ['blue with two colons', { blue: 'a:b:c' }, 'blue'],
    ['blue env:hash with bad hash', { blue: 'stage:xyz' }, 'blue'],
    ['green env without hash', { green: 'prod:' }, 'green'],
    ['blue hash too short', { blue: 'stage:abc' }, 'blue'],
    ['blue with spaces', { blue: 'E2 QW' }, 'blue'],
    ['green alias with bad label', { green: 'www_2.deep.mg' }, 'green'],
    ['domain-name missing', { 'domain-name': '' }, 'domain-name'],
    ['domain-name a URL', { 'domain-name': 'https://www.deep.mg' }, 'domain-name'],
    ['domain-name with a path', { 'domain-name': 'www.deep.mg/x' }, 'domain-name'],
    ['domain-name single label', { 'domain-name': 'localhost' }, 'domain-name'],
    ['domain-name an apex', { 'domain-name': 'deep.mg' }, 'domain-name'],
    ['domain-name a wildcard', { 'domain-name': '*.deep.mg' }, 'domain-name'],
    ['domain-name with underscore', { 'domain-name': 'w_w.deep.mg' }, 'domain-name'],
    [
      'domain-name too long',
      {
        'domain-name': `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.mg`
      },
      'domain-name'
    ],
    ['blue-hostname outside the apex', { 'blue-hostname': 'www1.other.mg' }, 'blue-hostname'],
    ['green-hostname two labels deep', { 'green-hostname': 'a.www2.deep.mg' }, 'green-hostname'],
    ['green-hostname equal to domain-name', { 'green-hostname': 'www.deep.mg' }, 'green-hostname'],
    [
      'hostnames equal',
      { 'blue-hostname': 'x.deep.mg', 'green-hostname': 'x.deep.mg' },
      'green-hostname'
    ],
    ['dns unknown', { dns: 'cloudflare' }, 'dns'],
    ['dns-resolvers a hostname', { 'dns-resolvers': 'dns.google' }, 'dns-resolvers'],
    ['dns-resolvers a URL', { 'dns-resolvers': 'https://1.1.1.1/dns-query' }, 'dns-resolvers'],
    ['dns-resolvers port out of range', { 'dns-resolvers': '1.1.1.1:70000' }, 'dns-resolvers'],
    ['dry-run yes', { 'dry-run': 'yes' }, 'dry-run'],
    ['wait 1', { wait: '1' }, 'wait'],
    ['cleanup True (case)', { cleanup: 'True' }, 'cleanup'],
    ['update-green-alias y', { 'update-green-alias': 'y' }, 'update-green-alias'],
    ['data-replicate on', { 'data-replicate': 'on' }, 'data-replicate'],
    ['cleanup-min-age bare number', { 'cleanup-min-age': '24' }, 'cleanup-min-age'],
    ['cleanup-min-age bad unit', { 'cleanup-min-age': '2w' }, 'cleanup-min-age'],
    ['wait-timeout zero', { 'wait-timeout': '0s' }, 'wait-timeout'],
    ['wait-timeout words', { 'wait-timeout': 'forever' }, 'wait-timeout'],
    ['command unknown', { command: 'deploy' }, 'command'],
    ['command replicate without action', { command: 'replicate' }, 'command'],
    ['region not a region', { region: 'europe' }, 'region'],
    ['segments zero', { segments: '0' }, 'segments'],
    ['segment not a number', { segment: 'first' }, 'segment'],
    ['segment not below segments', { segment: '4', segments: '4' }, 'segment'],
    ['tables with a bad name', { tables: 'ok_table, a b' }, 'tables'],
    ['tables with two equals', { tables: 'a1x=b1x=c1x' }, 'tables'],
    ['tables paired with itself', { tables: 'Todo=Todo' }, 'tables'],
    ['ramp with ratio', { ramp: '10,50,100', ratio: '9:1' }, 'ramp'],
    ['ramp with green-percent', { ramp: '10,50,100', 'green-percent': '10' }, 'ramp'],
    ['ramp with blue-percent', { ramp: '10,50,100', 'blue-percent': '90' }, 'ramp'],
    ['ramp with cleanup', { ramp: '10,50,100', cleanup: 'true' }, 'cleanup'],
    ['ramp not numbers', { ramp: 'ten,fifty' }, 'ramp'],
    ['ramp over 100', { ramp: '50,150' }, 'ramp'],
    ['ramp not ending at 100', { ramp: '10,25,50' }, 'ramp'],
    ['ramp back not ending at 0', { ramp: '50,25' }, 'ramp'],
    ['ramp up then down', { ramp: '10,50,25,100' }, 'ramp'],
    ['ramp repeating a step', { ramp: '10,10,100' }, 'ramp'],
    ['ramp of one middle step', { ramp: '50' }, 'ramp'],
    [
      'ramp of too many steps',
      { ramp: Array.from({ length: 21 }, (_, i) => i * 5).join(',') },
      'ramp'
    ],
    ['ramp-interval bare number', { ramp: '50,100', 'ramp-interval': '24' }, 'ramp-interval'],
    ['ramp-interval zero', { ramp: '50,100', 'ramp-interval': '0s' }, 'ramp-interval'],
    ['ramp-restart without ramp', { 'ramp-restart': 'true' }, 'ramp-restart'],
    ['ramp-restart yes', { ramp: '50,100', 'ramp-restart': 'yes' }, 'ramp-restart'],
    ['rollback-alarms a bare star', { 'rollback-alarms': '*' }, 'rollback-alarms'],
    ['rollback-alarms star in the middle', { 'rollback-alarms': 'a*b*' }, 'rollback-alarms'],
    [
      'rollback-alarms a bad ARN',
      { 'rollback-alarms': 'arn:aws:sns:us-east-1:1:x' },
      'rollback-alarms'
    ],
    ['rollback-alarms only commas', { 'rollback-alarms': ', ,' }, 'rollback-alarms'],
    ['rollback-alarms name too long', { 'rollback-alarms': 'a'.repeat(256) }, 'rollback-alarms'],
    ['on-alarm unknown', { 'rollback-alarms': 'x', 'on-alarm': 'ignore' }, 'on-alarm'],
    ['bake-time without alarms', { 'bake-time': '1h' }, 'bake-time'],
    ['rollback-alarms without ramp', { ratio: '9:1', 'rollback-alarms': 'x' }, 'rollback-alarms'],
    ['github-token without ramp', { ratio: '9:1', 'github-token': 'ghs_x' }, 'github-token'],
    ['bake-time words', { 'rollback-alarms': 'x', 'bake-time': 'long' }, 'bake-time'],
    ['environment too long', { environment: 'e'.repeat(256) }, 'environment'],
    ['buckets with a bad name', { buckets: 'private:Blue_Bucket=green-bucket' }, 'buckets'],
    ['buckets paired with itself', { buckets: 'private:same-b=same-b' }, 'buckets'],
    ['buckets unknown kind marker', { buckets: 'secret:blue-b=green-b' }, 'buckets'],
    ['buckets non-DEEP name without a partner', { buckets: 'my-bucket' }, 'buckets'],
    ['resources unknown kind', { resources: 'tables,queues' }, 'resources'],
    [
      'resources leaves out the tables listed',
      { tables: 'Todo', resources: 'buckets' },
      'resources'
    ],
    [
      'resources leaves out the buckets listed',
      { buckets: 'private:b-1=g-1', resources: 'tables' },
      'resources'
    ],
    ['overwrite-green yes', { 'overwrite-green': 'yes' }, 'overwrite-green'],
    ['replay-over-green-writes 1', { 'replay-over-green-writes': '1' }, 'replay-over-green-writes']
  ]

  it.each(cases)('%s', (_description, raw, input) => {
    const merged = { ...base, ...raw }
    const issues = issuesOf(merged)
    const issue = issues.find((i) => i.input === input)
    expect(issue).toBeDefined()
    // The issue shows the value the operator gave (empty when the input was missing).
    expect(issue?.value).toBe((merged as Record<string, string>)[input]?.trim() ?? '')
    expect(issue?.message.length).toBeGreaterThan(10)
  })

  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40)
  })

  it('reports every bad input of a run together', () => {
    const issues = issuesOf({ ratio: 'abc', dns: 'x', blue: 'a:b:c', green: 'prod:wxyz0987' })
    expect(issues.map((i) => i.input).sort()).toEqual(['blue', 'dns', 'domain-name', 'ratio'])
  })

  it('the error message names each input and its value', () => {
    expect(() => parseInputs({ ...base, ratio: '0:0' })).toThrow(
      /input 'ratio' = "0:0": 0:0 sends traffic nowhere/
    )
  })
})

describe('ratio and percents', () => {
  it.each([
    ['9:1', { blue: 9, green: 1 }],
    ['90:10', { blue: 9, green: 1 }],
    ['2/9', { blue: 2, green: 9 }],
    ['1|3', { blue: 1, green: 3 }],
    [' 4 : 6 ', { blue: 2, green: 3 }],
    ['1:0', { blue: 1, green: 0 }],
    ['0:7', { blue: 0, green: 1 }]
  ])('ratio %s is %o', (ratio, weights) => {
    expect(publish({ ratio }).weights).toEqual(weights)
  })

  it('defaults to the seed: 0 blue / 100 green', () => {
    expect(publish({}).weights).toEqual({ blue: 0, green: 1 })
  })

  it('computes the missing percent as 100 minus the other', () => {
    expect(publish({ 'blue-percent': '30' }).weights).toEqual({ blue: 3, green: 7 })
    expect(publish({ 'green-percent': '25' }).weights).toEqual({ blue: 3, green: 1 })
  })

  it('accepts a ratio and percents that agree', () => {
    expect(publish({ ratio: '9:1', 'blue-percent': '90', 'green-percent': '10' }).weights).toEqual({
      blue: 9,
      green: 1
    })
  })
})

describe('environments, names and defaults', () => {
  it('tells ids, aliases and env:hash apart by shape', () => {
    const r = publish({ blue: 'abc123XYZ', green: 'www2.deep.mg' })
    expect(r.blue).toEqual({ kind: 'distribution', id: 'abc123XYZ' })
    expect(r.green).toEqual({ kind: 'alias', alias: 'www2.deep.mg' })
    expect(publish({ blue: 'abcd1234:stage' }).blue).toEqual({
      kind: 'deep',
      env: 'stage',
      hash: 'abcd1234'
    })
    expect(publish({ blue: 'abcd1234' }).blue).toEqual({
      kind: 'deep',
      env: undefined,
      hash: 'abcd1234'
    })
  })

  it('allows the same hash in two different envs (seed rule)', () => {
    const r = publish({ blue: 'stage:abcd1234', green: 'prod:abcd1234' })
    expect(r.green).toEqual({ kind: 'deep', env: 'prod', hash: 'abcd1234' })
  })

  it('dns-resolvers: IPv4 and IPv6 servers, with or without a port; default the system resolver', () => {
    expect(publish({}).dnsResolvers).toEqual([])
    expect(
      publish({ 'dns-resolvers': '1.1.1.1, 127.0.0.1:5353\n2606:4700:4700::1111,[::1]:53' })
        .dnsResolvers
    ).toEqual(['1.1.1.1', '127.0.0.1:5353', '2606:4700:4700::1111', '[::1]:53'])
  })

  it('derives the blue and green hostnames from domain-name', () => {
    const r = publish({ 'domain-name': 'Todo.Deep.MG.' })
    expect([r.domainName, r.apex, r.blueHostname, r.greenHostname]).toEqual([
      'todo.deep.mg',
      'deep.mg',
      'todo1.deep.mg',
      'todo2.deep.mg'
    ])
  })

  it('fills defaults for every optional input', () => {
    const r = publish({})
    expect(r).toMatchObject({
      dns: 'auto',
      updateGreenAlias: false,
      dataReplicate: false,
      cleanup: false,
      cleanupMinAgeMs: 24 * 3600_000,
      dryRun: false,
      wait: true,
      waitTimeoutMs: 30 * 60_000,
      region: 'us-east-1'
    })
  })

  it('parses durations, booleans and the default region', () => {
    const r = parseInputs(
      {
        ...base,
        'cleanup-min-age': '1h30m',
        'wait-timeout': '45s',
        cleanup: 'true',
        'dry-run': 'true'
      },
      { defaultRegion: 'eu-west-2' }
    )
    expect(r).toMatchObject({
      cleanupMinAgeMs: 90 * 60_000,
      waitTimeoutMs: 45_000,
      cleanup: true,
      dryRun: true,
      region: 'eu-west-2'
    })
  })

  it('parses a replicate request with tables, segments and ignore lists', () => {
    const r = parseInputs({
      command: 'replicate prepare',
      blue: 'stage:abcd1234',
      green: 'prod:wxyz0987',
      tables: 'Todo, Users=UsersCopy\nOrders',
      segments: '8',
      segment: '3',
      'public-ignore': '*.map\n# comment\nlogs/'
    }) as ReplicateRequest
    expect(r).toMatchObject({
      command: 'replicate',
      action: 'prepare',
      tables: [{ blue: 'Todo' }, { blue: 'Users', green: 'UsersCopy' }, { blue: 'Orders' }],
      segments: 8,
      segment: 3,
      publicIgnore: ['*.map', 'logs/']
    })
  })

  it('parses bucket pairs and the resources filter', () => {
    const r = parseInputs({
      command: 'replicate prepare',
      blue: 'stage:abcd1234',
      green: 'prod:wxyz0987',
      buckets:
        'private:blue-data=green-data\npublic:blue-web=green-web, deep.stage.public.abcd1234',
      resources: 'buckets'
    }) as ReplicateRequest
    expect(r).toMatchObject({
      buckets: [
        { blue: 'blue-data', green: 'green-data', kind: 'private' },
        { blue: 'blue-web', green: 'green-web', kind: 'public' },
        { blue: 'deep.stage.public.abcd1234' }
      ],
      resources: { tables: false, buckets: true }
    })
    const both = parseInputs({
      command: 'replicate status',
      blue: 'stage:abcd1234',
      green: 'prod:wxyz0987'
    })
    expect(both).toMatchObject({ buckets: [], resources: { tables: true, buckets: true } })
    expect(
      parseInputs({
        command: 'replicate status',
        blue: 'stage:abcd1234',
        green: 'prod:wxyz0987',
        resources: 'S3, DynamoDB'
      })
    ).toMatchObject({ resources: { tables: true, buckets: true } })
  })

  it('without resources, replicate covers the kinds tables and buckets list, or both when neither lists any', () => {
    const refs = { command: 'replicate prepare', blue: 'stage:abcd1234', green: 'prod:wxyz0987' }
    expect(parseInputs({ ...refs, tables: 'Todo' })).toMatchObject({
      resources: { tables: true, buckets: false }
    })
    expect(parseInputs({ ...refs, buckets: 'private:b-1=g-1' })).toMatchObject({
      resources: { tables: false, buckets: true }
    })
    expect(parseInputs({ ...refs, tables: 'Todo', buckets: 'private:b-1=g-1' })).toMatchObject({
      resources: { tables: true, buckets: true }
    })
    // publish with data-replicate passes the ignore lists on to replication.
    expect(
      parseInputs({
        ...refs,
        command: 'publish',
        'domain-name': 'www.deep.mg',
        'private-ignore': 'temp\ncache/'
      })
    ).toMatchObject({
      privateIgnore: ['temp', 'cache/'],
      resources: { tables: true, buckets: true }
    })
  })

  it('parses replicate repair, and the two opt-ins of replicate (off unless set)', () => {
    const refs = { blue: 'stage:abcd1234', green: 'prod:wxyz0987' }
    expect(parseInputs({ command: 'replicate repair', ...refs })).toMatchObject({
      command: 'replicate',
      action: 'repair',
      overwriteGreen: false,
      replayOverGreenWrites: false
    })
    expect(
      parseInputs({
        command: 'replicate start',
        ...refs,
        'overwrite-green': 'true',
        'replay-over-green-writes': 'true'
      })
    ).toMatchObject({ action: 'start', overwriteGreen: true, replayOverGreenWrites: true })
  })

  it('does not require domain-name for replicate', () => {
    expect(
      parseInputs({ command: 'replicate status', blue: 'stage:abcd1234', green: 'prod:wxyz0987' })
        .command
    ).toBe('replicate')
  })
})

describe('rollout inputs', () => {
  it('parses a ramp with its interval and restart', () => {
    const r = publish({ ramp: '10, 25,50 100%', 'ramp-interval': '6h', 'ramp-restart': 'true' })
    expect(r.ramp).toEqual({
      ramp: { steps: [10, 25, 50, 100], intervalMs: 6 * 3600_000 },
      restart: true
    })
  })

  it('parses a ramp back to blue and defaults ramp-interval to 1d', () => {
    expect(publish({ ramp: '50,25,0' }).ramp).toEqual({
      ramp: { steps: [50, 25, 0], intervalMs: 24 * 3600_000 },
      restart: false
    })
  })

  it('has no ramp, gate or deployment when the inputs are empty', () => {
    expect(publish({})).toMatchObject({ ramp: undefined, alarms: undefined, deployment: undefined })
  })

  it('parses alarm names, prefixes and ARNs, on-alarm and bake-time', () => {
    const r = publish({
      ramp: '10,100',
      'rollback-alarms':
        'www-5xx, www-prod-*, arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-errors',
      'on-alarm': 'hold',
      'bake-time': '30m'
    })
    expect(r.alarms).toEqual({
      specs: [
        { kind: 'name', name: 'www-5xx', region: undefined },
        { kind: 'prefix', prefix: 'www-prod-', region: undefined },
        { kind: 'name', name: 'api-errors', region: 'eu-west-1' }
      ],
      policy: { onAlarm: 'hold', bakeTimeMs: 30 * 60_000 }
    })
  })

  it('reads one alarm per line, so a name may contain commas', () => {
    const r = publish({
      ramp: '10,100',
      'rollback-alarms': 'errors, 5xx\nlatency\n# comment\nlatency'
    })
    expect(r.alarms?.specs).toEqual([
      { kind: 'name', name: 'errors, 5xx', region: undefined },
      { kind: 'name', name: 'latency', region: undefined }
    ])
    expect(r.alarms?.policy).toEqual({ onAlarm: 'rollback', bakeTimeMs: 0 })
  })

  it('records a deployment only with a github-token, in production by default', () => {
    expect(publish({ ramp: '10,100', 'github-token': 'ghs_x' }).deployment).toEqual({
      token: 'ghs_x',
      environment: 'production'
    })
    expect(
      publish({ ramp: '10,100', 'github-token': 'ghs_x', environment: 'www' }).deployment
        ?.environment
    ).toBe('www')
  })
})
