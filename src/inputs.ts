/**
 * Every input of the action (and flag of the CLI) parsed once into a typed request.
 * Errors are collected, not thrown one at a time: a run reports every bad input together, each
 * naming the input, the value and the rule. Nothing here touches the network.
 */
import { isIP } from 'node:net'
import { z } from 'zod'
import { parseAlarmSpecs } from './rollout/gate.js'
import { parseRampSteps } from './rollout/ramp.js'
import type { AlarmSpec, GatePolicy, Ramp } from './rollout/types.js'
import { parseBucketSpec, type BucketSpec } from './replicate/s3/pairing.js'

export const COMMANDS = [
  'publish',
  'replicate prepare',
  'replicate status',
  'replicate start',
  'replicate stop',
  'replicate terminate',
  'replicate verify',
  'replicate repair'
] as const
export type Command = (typeof COMMANDS)[number]
export type ReplicateAction =
  'prepare' | 'status' | 'start' | 'stop' | 'terminate' | 'verify' | 'repair'

/** Names of every input, as in action.yml and as CLI flags. */
export const INPUT_NAMES = [
  'command',
  'blue',
  'green',
  'ratio',
  'blue-percent',
  'green-percent',
  'domain-name',
  'blue-hostname',
  'green-hostname',
  'dns',
  'dns-resolvers',
  'update-green-alias',
  'data-replicate',
  'cleanup',
  'cleanup-min-age',
  'tables',
  'private-ignore',
  'public-ignore',
  'buckets',
  'resources',
  'segment',
  'segments',
  'dry-run',
  'wait',
  'wait-timeout',
  'region',
  'ramp',
  'ramp-interval',
  'ramp-restart',
  'rollback-alarms',
  'on-alarm',
  'bake-time',
  'github-token',
  'environment',
  'overwrite-green',
  'replay-over-green-writes'
] as const
export type InputName = (typeof INPUT_NAMES)[number]
export type RawInputs = Partial<Record<InputName, string>>

/** How the operator named an environment. */
export type EnvRef =
  | { kind: 'distribution'; id: string }
  | { kind: 'alias'; alias: string }
  | { kind: 'deep'; env: string | undefined; hash: string }

/** Traffic weights, reduced by their gcd (90:10 becomes 9:1); never both zero. */
export interface Weights {
  blue: number
  green: number
}

export type DnsMode = 'auto' | 'route53' | 'manual'

/** A blue table (or DEEP model name) and, when given as `blue=green`, its green partner. */
export interface TableSpec {
  blue: string
  green?: string
}

interface CommonRequest {
  blue: EnvRef
  green: EnvRef
  region: string
  dryRun: boolean
  wait: boolean
  waitTimeoutMs: number
  /** Tables to replicate; empty means every blue table with a green partner. */
  tables: TableSpec[]
  /** Total scan segments of the backfill (replicate prepare, and publish with data-replicate). */
  segments: number
  /** Bucket pairs to replicate; empty means DEEP's private and public buckets of blue and green. */
  buckets: BucketSpec[]
  /**
   * What replicate covers. Unset: the kinds that `tables` / `buckets` list, or both when neither
   * lists any (each kind where it can be paired).
   */
  resources: Resources
  /** Ignore lists of the private and public buckets (patterns, or one file of the repository). */
  privateIgnore: string[]
  publicIgnore: string[]
}

/** The kinds of data replicate covers (`resources`). */
export interface Resources {
  tables: boolean
  buckets: boolean
}

export interface PublishRequest extends CommonRequest {
  command: 'publish'
  weights: Weights
  /** D, e.g. www.deep.mg */
  domainName: string
  /** A, e.g. deep.mg; the wildcard W is `*.${apex}` */
  apex: string
  /** B1, e.g. www1.deep.mg */
  blueHostname: string
  /** G2, e.g. www2.deep.mg */
  greenHostname: string
  dns: DnsMode
  /** Servers that check B1/G2 in manual DNS (`1.1.1.1`, `127.0.0.1:5353`); empty: the system's. */
  dnsResolvers: string[]
  updateGreenAlias: boolean
  dataReplicate: boolean
  cleanup: boolean
  cleanupMinAgeMs: number
  /**
   * A ramp that moves traffic one step per run; `weights` then keeps the ratio default and the
   * ramp's decision sets the traffic. Undefined: ratio or the percents set it.
   */
  ramp: RampRequest | undefined
  /** The alarm gate of a rollout; undefined when rollback-alarms is empty. */
  alarms: AlarmGateRequest | undefined
  /** Record the rollout as a GitHub deployment; undefined when github-token is empty. */
  deployment: DeploymentRequest | undefined
}

export interface RampRequest {
  ramp: Ramp
  /** ramp-restart: replace a different or rolled-back ramp of the same blue and green. */
  restart: boolean
}

export interface AlarmGateRequest {
  specs: AlarmSpec[]
  policy: GatePolicy
}

export interface DeploymentRequest {
  token: string
  /** The GitHub environment (default production). */
  environment: string
}

export interface ReplicateRequest extends CommonRequest {
  command: 'replicate'
  action: ReplicateAction
  /** The one segment this job scans (matrix sharing); undefined: all of them. */
  segment: number | undefined
  /** prepare may copy into green tables that hold items (and removes the keys blue lacks). */
  overwriteGreen: boolean
  /** start may replay blue's streams from TRIM_HORIZON although green takes writes of its own. */
  replayOverGreenWrites: boolean
}

export type Request = PublishRequest | ReplicateRequest

export interface InputIssue {
  input: InputName
  value: string
  message: string
}

/** Bad input: carries every issue found, each naming the input, the value and the rule. */
export class InputError extends Error {
  constructor(readonly issues: InputIssue[]) {
    super(
      issues.length === 1
        ? formatIssue(issues[0] as InputIssue)
        : `${issues.length} inputs are invalid:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`
    )
    this.name = 'InputError'
  }
}

function formatIssue(issue: InputIssue): string {
  return `input '${issue.input}' = ${JSON.stringify(issue.value)}: ${issue.message}`
}

// ---------------------------------------------------------------------------------------------
// Field parsers: each turns a string into a value or reports an issue through zod's context.

/** DEEP's environment hash: 8 lower-case letters or digits (abcd1234, wxyz0987). */
const HASH = /^[a-z0-9]{8}$/
const ENV_NAME = /^[a-z][a-z0-9-]{0,31}$/
const DISTRIBUTION_ID = /^[A-Za-z0-9]{1,128}$/
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/** A parser's answer: the value, or the rule the input broke. */
export type Parse<T> = { ok: true; value: T } | { ok: false; error: string }
const ok = <T>(value: T): Parse<T> => ({ ok: true, value })
const err = <T>(error: string): Parse<T> => ({ ok: false, error })

/** Parses `blue:green` weights; `:`, `/` and `|` separate them. */
export function parseRatio(value: string): Parse<Weights> {
  const parts = value.trim().split(/[:/|]/)
  if (parts.length !== 2) {
    return err('must be two weights blue:green, such as 9:1, 1:1 or 0:1 (separators : / |)')
  }
  const [b, g] = parts.map((p) => p.trim()) as [string, string]
  if (b === '' || g === '') return err('both sides need a weight, such as 9:1 or 0:1')
  if (!/^\d+$/.test(b) || !/^\d+$/.test(g)) {
    return err('weights must be whole numbers of 0 or more, such as 9:1 or 2:9')
  }
  if (b.length > 9 || g.length > 9)
    return err('weights must be below 1000000000; use a smaller ratio')
  const blue = Number(b)
  const green = Number(g)
  if (blue === 0 && green === 0) {
    return err('0:0 sends traffic nowhere; use 1:0 (all blue) or 0:1 (all green)')
  }
  return ok(reduce(blue, green))
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b)
}

export function reduce(blue: number, green: number): Weights {
  const d = gcd(blue, green)
  return { blue: blue / d, green: green / d }
}

/** Parses an environment reference by its shape (never by prefix: emulator ids differ). */
export function parseEnvRef(raw: string): Parse<EnvRef> {
  const value = raw.trim()
  if (value.includes(':')) {
    const parts = value.toLowerCase().split(':')
    if (parts.length !== 2) return err('env:hash takes exactly one colon, such as prod:wxyz0987')
    const [a, b] = parts as [string, string]
    // env:hash is the canonical order; hash:env when only the first side is hash-shaped.
    if (HASH.test(b) && ENV_NAME.test(a)) return ok({ kind: 'deep', env: a, hash: b })
    if (HASH.test(a) && ENV_NAME.test(b)) return ok({ kind: 'deep', env: b, hash: a })
    return err('must be env:hash (or hash:env) with an 8-character hash, such as stage:abcd1234')
  }
  if (value.includes('.')) {
    const host = parseHostname(value)
    return host.ok ? ok({ kind: 'alias', alias: host.value }) : host
  }
  // A bare hash is lower-case; CloudFront (and emulator) distribution ids are upper-case.
  if (HASH.test(value)) return ok({ kind: 'deep', env: undefined, hash: value })
  if (DISTRIBUTION_ID.test(value)) return ok({ kind: 'distribution', id: value })
  return err(
    'must be a CloudFront distribution id (E2QWRUHAPOMQZL), an alias it holds (www1.deep.mg) or env:hash (prod:wxyz0987)'
  )
}

/** A hostname, lower-cased, without a trailing dot. */
export function parseHostname(raw: string): Parse<string> {
  const value = raw.trim().toLowerCase().replace(/\.$/, '')
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(value) || value.includes('/')) {
    return err('looks like a URL; give only the hostname, such as www.deep.mg')
  }
  if (value.startsWith('*')) return err('must be an exact hostname, not a wildcard')
  if (value.length > 253) return err('is longer than 253 characters')
  if (value.split('.').some((l) => !LABEL.test(l))) {
    return err('is not a hostname: labels of letters, digits and inner hyphens, separated by dots')
  }
  return ok(value)
}

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/

/** `90m`, `24h`, `1h30m`, `2d`, `45s` → milliseconds. */
export function parseDuration(raw: string): Parse<number> {
  const value = raw.trim()
  const m = DURATION.exec(value)
  if (value === '' || m === null) {
    return err('must be a duration such as 90m, 24h, 1h30m or 45s (units d, h, m, s)')
  }
  const [, d, h, min, s] = m
  const hours = Number(d ?? 0) * 24 + Number(h ?? 0)
  return ok((hours * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000)
}

function splitList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'))
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/

function parseTables(value: string): Parse<TableSpec[]> {
  const specs: TableSpec[] = []
  for (const item of splitList(value)) {
    const [blue = '', green, extra] = item.split('=').map((s) => s.trim())
    if (extra !== undefined) return err(`'${item}' has more than one '='; write blue=green`)
    for (const name of green === undefined ? [blue] : [blue, green]) {
      if (!TABLE_NAME.test(name)) {
        return err(`'${name}' is not a DynamoDB table or model name (3-255 of A-Z a-z 0-9 _ . -)`)
      }
    }
    if (green === blue) return err(`'${item}' pairs a table with itself`)
    specs.push(green === undefined ? { blue } : { blue, green })
  }
  return ok(specs)
}

function parseBuckets(value: string): Parse<BucketSpec[]> {
  const specs: BucketSpec[] = []
  for (const item of splitList(value)) {
    const spec = parseBucketSpec(item)
    if (!spec.ok) return err(spec.error)
    specs.push(spec.value)
  }
  return ok(specs)
}

const RESOURCE_WORDS: Record<string, keyof Resources | 'all'> = {
  tables: 'tables',
  table: 'tables',
  dynamodb: 'tables',
  buckets: 'buckets',
  bucket: 'buckets',
  s3: 'buckets',
  all: 'all'
}

/** `tables`, `buckets` (also `dynamodb`, `s3`), or both: `tables,buckets` or `all`. */
function parseResources(value: string): Parse<Resources> {
  const resources: Resources = { tables: false, buckets: false }
  for (const item of splitList(value)) {
    const word = RESOURCE_WORDS[item.toLowerCase()]
    if (word === undefined) {
      return err(
        `'${item}' is not a kind of resource; give tables, buckets, or both (tables,buckets)`
      )
    }
    if (word === 'all') return ok({ tables: true, buckets: true })
    resources[word] = true
  }
  return ok(resources)
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/

/** DNS servers: `1.1.1.1`, `1.1.1.1:53`, `2606:4700::1111` or `[2606:4700::1111]:53`. */
export function parseResolvers(value: string): Parse<string[]> {
  const out: string[] = []
  for (const item of splitList(value)) {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(item)
    const v4 = /^([\d.]+)(?::(\d+))?$/.exec(item)
    const [host, port] = bracketed
      ? [bracketed[1] ?? '', bracketed[2]]
      : v4
        ? [v4[1] ?? '', v4[2]]
        : [item, undefined]
    if (isIP(host) === 0) {
      return err(
        `'${item}' is not a DNS server address: give IP addresses, such as 1.1.1.1, 8.8.8.8:53 or [2606:4700:4700::1111]:53`
      )
    }
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
      return err(`'${item}' has a port outside 1-65535`)
    }
    out.push(item)
  }
  return ok(out)
}

// zod turns a parser into a schema that reports the parser's rule as the issue.
function field<T>(parse: (value: string) => Parse<T>) {
  return z.string().transform((value, ctx) => {
    const result = parse(value)
    if (result.ok) return result.value
    ctx.addIssue({ code: 'custom', message: result.error })
    return z.NEVER
  })
}

const bool = field((v) =>
  v === 'true' ? ok(true) : v === 'false' ? ok(false) : err<boolean>("must be 'true' or 'false'")
)

const percent = z
  .string()
  .regex(/^\d{1,3}$/, 'must be a whole number from 0 to 100')
  .transform(Number)
  .refine((n) => n <= 100, 'must be a whole number from 0 to 100')

const count = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`)

/** Field schemas; a field that is absent (or empty) takes the default applied in parseInputs. */
const FIELDS = {
  command: z.enum(COMMANDS, { error: `must be one of: ${COMMANDS.join(', ')}` }),
  blue: field(parseEnvRef),
  green: field(parseEnvRef),
  ratio: field(parseRatio),
  'blue-percent': percent,
  'green-percent': percent,
  'domain-name': field(parseHostname),
  'blue-hostname': field(parseHostname),
  'green-hostname': field(parseHostname),
  dns: z.enum(['auto', 'route53', 'manual'], { error: 'must be one of: auto, route53, manual' }),
  'dns-resolvers': field(parseResolvers),
  'update-green-alias': bool,
  'data-replicate': bool,
  cleanup: bool,
  'cleanup-min-age': field(parseDuration),
  tables: field(parseTables),
  'private-ignore': z.string().transform(splitList),
  'public-ignore': z.string().transform(splitList),
  buckets: field(parseBuckets),
  resources: field(parseResources),
  segment: count(0, 999_999),
  segments: count(1, 1_000_000),
  'dry-run': bool,
  wait: bool,
  'wait-timeout': field(parseDuration),
  region: z.string().regex(REGION, 'must be an AWS region such as us-east-1 or eu-west-2'),
  ramp: field(parseRampSteps),
  'ramp-interval': field(parseDuration),
  'ramp-restart': bool,
  'rollback-alarms': field(parseAlarmSpecs),
  'on-alarm': z.enum(['rollback', 'hold'], { error: 'must be rollback or hold' }),
  'bake-time': field(parseDuration),
  'github-token': z.string(),
  environment: z
    .string()
    .refine(
      (v) => v.length <= 255 && !/\p{Cc}/u.test(v),
      'must be a GitHub environment name (1-255 characters)'
    ),
  'overwrite-green': bool,
  'replay-over-green-writes': bool
} satisfies Record<InputName, z.ZodType>

/** Inputs that take `true` or `false` (a CLI flag alone means true). */
export const BOOLEAN_INPUTS: readonly InputName[] = INPUT_NAMES.filter(
  (name) => FIELDS[name] === bool
)

type Parsed = { [K in InputName]?: z.output<(typeof FIELDS)[K]> }

export interface ParseOptions {
  /** Region used when the input is empty (the action passes AWS_REGION / AWS_DEFAULT_REGION). */
  defaultRegion?: string | undefined
}

/** Parses every input; throws InputError listing every issue found. */
export function parseInputs(raw: RawInputs, options: ParseOptions = {}): Request {
  const issues: InputIssue[] = []
  const parsed: Parsed = {}
  const rawOf = (name: InputName): string => raw[name]?.trim() ?? ''
  const fail = (input: InputName, message: string): void => {
    issues.push({ input, value: rawOf(input), message })
  }

  for (const name of INPUT_NAMES) {
    const value = rawOf(name)
    if (value === '') continue
    const result = FIELDS[name].safeParse(value)
    if (result.success) {
      ;(parsed as Record<string, unknown>)[name] = result.data
    } else {
      fail(name, result.error.issues[0]?.message ?? 'is invalid')
    }
  }
  const has = (name: InputName): boolean => rawOf(name) !== ''
  const valid = (name: InputName): boolean => has(name) && parsed[name] !== undefined

  const command: Command = parsed.command ?? 'publish'

  // blue / green: required, and different (unless env:hash with the same hash, other envs).
  for (const side of ['blue', 'green'] as const) {
    if (!has(side)) fail(side, 'is required: a distribution id, an alias it holds, or env:hash')
  }
  if (
    parsed.blue !== undefined &&
    parsed.green !== undefined &&
    sameEnv(parsed.blue, parsed.green)
  ) {
    fail(
      'green',
      `is the same environment as blue (${rawOf('blue')}); give two different ones (env:hash pairs may share the hash when the envs differ)`
    )
  }

  const region = parsed.region ?? options.defaultRegion ?? 'us-east-1'
  if (!has('region') && !REGION.test(region)) {
    issues.push({
      input: 'region',
      value: region,
      message: 'the default region (AWS_REGION) is not a region such as us-east-1'
    })
  }

  const segments = parsed.segments ?? 4
  if (parsed.segment !== undefined && parsed.segment >= segments) {
    fail(
      'segment',
      `must be below segments (${segments}); segments are numbered 0 to ${segments - 1}`
    )
  }

  const common = {
    region,
    dryRun: parsed['dry-run'] ?? false,
    wait: parsed.wait ?? true,
    waitTimeoutMs: parsed['wait-timeout'] ?? 30 * 60_000,
    tables: parsed.tables ?? [],
    segments,
    buckets: parsed.buckets ?? [],
    resources: resolveResources(parsed, has, fail),
    privateIgnore: parsed['private-ignore'] ?? [],
    publicIgnore: parsed['public-ignore'] ?? []
  }
  if (valid('wait-timeout') && common.waitTimeoutMs === 0)
    fail('wait-timeout', 'must be longer than 0s')

  if (command === 'publish') {
    const weights = resolveWeights(parsed, rawOf, fail)
    const names = resolveNames(parsed, has, valid, fail)
    const rollout = resolveRollout(parsed, has, rawOf, fail)
    if (issues.length > 0) throw new InputError(issues)
    return {
      command,
      blue: parsed.blue as EnvRef,
      green: parsed.green as EnvRef,
      ...common,
      weights: weights as Weights,
      ...(names as NonNullable<typeof names>),
      dns: parsed.dns ?? 'auto',
      dnsResolvers: parsed['dns-resolvers'] ?? [],
      updateGreenAlias: parsed['update-green-alias'] ?? false,
      dataReplicate: parsed['data-replicate'] ?? false,
      cleanup: parsed.cleanup ?? false,
      cleanupMinAgeMs: parsed['cleanup-min-age'] ?? 24 * 3_600_000,
      ...rollout
    }
  }

  if (issues.length > 0) throw new InputError(issues)
  return {
    command: 'replicate',
    action: command.slice('replicate '.length) as ReplicateAction,
    blue: parsed.blue as EnvRef,
    green: parsed.green as EnvRef,
    ...common,
    segment: parsed.segment,
    overwriteGreen: parsed['overwrite-green'] ?? false,
    replayOverGreenWrites: parsed['replay-over-green-writes'] ?? false
  }
}

/**
 * `resources` as given, or the kinds `tables` and `buckets` list (both when neither does). A
 * kind that is listed but left out of `resources` is an error.
 */
function resolveResources(
  parsed: Parsed,
  has: (n: InputName) => boolean,
  fail: (input: InputName, message: string) => void
): Resources {
  const listed = { tables: has('tables'), buckets: has('buckets') }
  const given = parsed.resources
  if (given === undefined) {
    return listed.tables === listed.buckets ? { tables: true, buckets: true } : listed
  }
  for (const kind of ['tables', 'buckets'] as const) {
    if (listed[kind] && !given[kind])
      fail(
        'resources',
        `leaves out ${kind}, but \`${kind}\` lists some: add ${kind}, or empty \`${kind}\``
      )
  }
  return given
}

function sameEnv(a: EnvRef, b: EnvRef): boolean {
  if (a.kind === 'deep' && b.kind === 'deep') {
    return a.hash === b.hash && (a.env === b.env || a.env === undefined || b.env === undefined)
  }
  if (a.kind === 'distribution' && b.kind === 'distribution') return a.id === b.id
  if (a.kind === 'alias' && b.kind === 'alias') return a.alias === b.alias
  return false
}

/** ratio and/or percents → exact weights; defaults to 0 blue / 100 green. */
function resolveWeights(
  parsed: Parsed,
  rawOf: (n: InputName) => string,
  fail: (input: InputName, message: string) => void
): Weights | undefined {
  const bp = parsed['blue-percent']
  const gp = parsed['green-percent']
  let fromPercent: Weights | undefined
  if (bp !== undefined && gp !== undefined) {
    if (bp + gp !== 100) {
      fail(
        'green-percent',
        `blue-percent ${bp} + green-percent ${gp} = ${bp + gp}; the two must add up to 100`
      )
    } else fromPercent = reduce(bp, gp)
  } else if (bp !== undefined) fromPercent = reduce(bp, 100 - bp)
  else if (gp !== undefined) fromPercent = reduce(100 - gp, gp)

  const ratio = parsed.ratio
  if (ratio !== undefined && fromPercent !== undefined) {
    if (ratio.blue * fromPercent.green !== ratio.green * fromPercent.blue) {
      const which = bp !== undefined ? 'blue-percent' : 'green-percent'
      fail(which, `disagrees with ratio ${rawOf('ratio')}; give one of them, or values that agree`)
    }
  }
  if (rawOf('ratio') !== '' && ratio === undefined) return undefined
  if (
    (rawOf('blue-percent') !== '' && bp === undefined) ||
    (rawOf('green-percent') !== '' && gp === undefined)
  ) {
    return undefined
  }
  return ratio ?? fromPercent ?? { blue: 0, green: 1 }
}

/** ramp, the alarm gate and the GitHub deployment of a publish, with the rules between them. */
function resolveRollout(
  parsed: Parsed,
  has: (n: InputName) => boolean,
  rawOf: (n: InputName) => string,
  fail: (input: InputName, message: string) => void
): Pick<PublishRequest, 'ramp' | 'alarms' | 'deployment'> {
  const steps = parsed.ramp
  for (const other of ['ratio', 'blue-percent', 'green-percent'] as const) {
    if (has('ramp') && has(other)) {
      fail(
        'ramp',
        `cannot be combined with ${other} (${rawOf(other)}): the ramp sets the traffic step by step; give one of them`
      )
    }
  }
  if (has('ramp') && parsed.cleanup === true) {
    fail(
      'cleanup',
      'cannot run with ramp: cleanup removes the router once traffic is all on one side; run it in its own workflow a day after the ramp finished'
    )
  }
  if (!has('ramp') && parsed['ramp-restart'] === true) {
    fail('ramp-restart', 'needs ramp: it replaces a ramp under way with the one in ramp')
  }
  const intervalMs = parsed['ramp-interval'] ?? 24 * 3_600_000
  if (parsed['ramp-interval'] === 0) fail('ramp-interval', 'must be longer than 0s')
  const specs = parsed['rollback-alarms']
  if (has('bake-time') && !has('rollback-alarms')) {
    fail(
      'bake-time',
      'needs rollback-alarms: it is how long those alarms must have been out of ALARM before a step'
    )
  }
  // The gate and the deployment belong to a ramp's runs; a ratio publish is neither gated nor
  // recorded, so accepting them there would promise a check that never happens.
  for (const name of ['rollback-alarms', 'github-token'] as const) {
    if (has(name) && !has('ramp')) {
      fail(
        name,
        name === 'rollback-alarms'
          ? 'needs ramp: the alarms gate the steps of a ramp (a publish with ratio is not gated); add ramp, or remove rollback-alarms'
          : 'needs ramp: it records a ramp as a GitHub deployment (a publish with ratio is not recorded); add ramp, or remove github-token'
      )
    }
  }
  const token = rawOf('github-token')
  return {
    ramp:
      steps === undefined
        ? undefined
        : { ramp: { steps, intervalMs }, restart: parsed['ramp-restart'] ?? false },
    alarms:
      specs === undefined
        ? undefined
        : {
            specs,
            policy: {
              onAlarm: parsed['on-alarm'] ?? 'rollback',
              bakeTimeMs: parsed['bake-time'] ?? 0
            }
          },
    deployment:
      token === '' ? undefined : { token, environment: parsed.environment ?? 'production' }
  }
}

function resolveNames(
  parsed: Parsed,
  has: (n: InputName) => boolean,
  valid: (n: InputName) => boolean,
  fail: (input: InputName, message: string) => void
): { domainName: string; apex: string; blueHostname: string; greenHostname: string } | undefined {
  if (!has('domain-name')) {
    fail('domain-name', 'is required for publish: the hostname viewers use, such as www.deep.mg')
    return undefined
  }
  const domainName = parsed['domain-name']
  if (domainName === undefined) return undefined
  const [label, ...rest] = domainName.split('.')
  if (rest.length < 2 || label === undefined) {
    fail(
      'domain-name',
      `needs a subdomain, such as www.${domainName}: publish puts the wildcard alias on its parent (*.${domainName})`
    )
    return undefined
  }
  const apex = rest.join('.')
  const blueHostname = parsed['blue-hostname'] ?? `${label}1.${apex}`
  const greenHostname = parsed['green-hostname'] ?? `${label}2.${apex}`
  let ok = true
  for (const [input, host] of [
    ['blue-hostname', blueHostname],
    ['green-hostname', greenHostname]
  ] as const) {
    if (has(input) && !valid(input)) {
      ok = false
      continue
    }
    if (!host.endsWith(`.${apex}`) || host.slice(0, -apex.length - 1).includes('.')) {
      fail(
        input,
        `must be one label under ${apex} (such as ${label}1.${apex}) so that *.${apex} covers it`
      )
      ok = false
    } else if (host === domainName) {
      fail(input, `must differ from domain-name ${domainName}`)
      ok = false
    }
  }
  if (ok && blueHostname === greenHostname) {
    fail('green-hostname', `must differ from blue-hostname ${blueHostname}`)
    ok = false
  }
  return ok ? { domainName, apex, blueHostname, greenHostname } : undefined
}

/** Percent of traffic to each side, exact to two decimals (2:9 → 18.18 / 81.82). */
export function percents(w: Weights): { blue: string; green: string } {
  const total = w.blue + w.green
  const fmt = (n: number): string => String(Math.round((n * 10000) / total) / 100)
  return { blue: fmt(w.blue), green: fmt(w.green) }
}

export function formatRatio(w: Weights): string {
  return `${w.blue}:${w.green}`
}
