/**
 * An in-memory CloudFront + Route53 (+ the ACM, Lambda and IAM that publish needs) that enforces
 * the AWS rules publish relies on (DESIGN.md 2 and 6): alias conflicts, certificate coverage,
 * ETags, InProgress → Deployed, delete-only-when-disabled, Lambda@Edge version rules, Route53
 * change batches. The mock wiring (harness.ts) routes the real SDK clients' commands here.
 *
 * Every mutating command goes through `mutation()`: it is counted, may be failed by an injected
 * fault, and the listeners (the invariant checker) run after it.
 */
import { createHash } from 'node:crypto'
import {
  CNAMEAlreadyExists,
  DistributionAlreadyExists,
  DistributionNotDisabled,
  IllegalUpdate,
  InvalidArgument,
  InvalidIfMatchVersion,
  InvalidLambdaFunctionAssociation,
  InvalidTagging,
  InvalidViewerCertificate,
  NoSuchDistribution,
  NoSuchOrigin,
  NoSuchResource,
  PreconditionFailed,
  type CreateDistributionWithTagsCommandInput,
  type CreateDistributionWithTagsCommandOutput,
  type DeleteDistributionCommandInput,
  type DeleteDistributionCommandOutput,
  type Distribution,
  type DistributionConfig,
  type DistributionSummary,
  type GetDistributionCommandInput,
  type GetDistributionCommandOutput,
  type GetDistributionConfigCommandInput,
  type GetDistributionConfigCommandOutput,
  type ListDistributionsCommandInput,
  type ListDistributionsCommandOutput,
  type ListTagsForResourceCommandInput,
  type ListTagsForResourceCommandOutput,
  type Tag,
  type TagResourceCommandInput,
  type TagResourceCommandOutput,
  type UntagResourceCommandInput,
  type UntagResourceCommandOutput,
  type UpdateDistributionCommandInput,
  type UpdateDistributionCommandOutput
} from '@aws-sdk/client-cloudfront'
import {
  InvalidChangeBatch,
  NoSuchChange,
  NoSuchHostedZone,
  type ChangeResourceRecordSetsCommandInput,
  type ChangeResourceRecordSetsCommandOutput,
  type GetChangeCommandInput,
  type GetChangeCommandOutput,
  type ListHostedZonesByNameCommandInput,
  type ListHostedZonesByNameCommandOutput,
  type ListResourceRecordSetsCommandInput,
  type ListResourceRecordSetsCommandOutput,
  type ResourceRecordSet
} from '@aws-sdk/client-route-53'
import {
  ResourceNotFoundException as AcmNotFound,
  type DescribeCertificateCommandInput,
  type DescribeCertificateCommandOutput
} from '@aws-sdk/client-acm'
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException as LambdaNotFound,
  type CreateFunctionCommandInput,
  type CreateFunctionCommandOutput,
  type DeleteFunctionCommandInput,
  type DeleteFunctionCommandOutput,
  type FunctionConfiguration,
  type GetFunctionCommandInput,
  type GetFunctionCommandOutput,
  type GetFunctionConfigurationCommandInput,
  type GetFunctionConfigurationCommandOutput,
  type ListVersionsByFunctionCommandInput,
  type ListVersionsByFunctionCommandOutput,
  type PublishVersionCommandInput,
  type PublishVersionCommandOutput,
  type UpdateFunctionCodeCommandInput,
  type UpdateFunctionCodeCommandOutput,
  type UpdateFunctionConfigurationCommandInput,
  type UpdateFunctionConfigurationCommandOutput
} from '@aws-sdk/client-lambda'
import {
  EntityAlreadyExistsException,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  type AttachRolePolicyCommandInput,
  type AttachRolePolicyCommandOutput,
  type CreateRoleCommandInput,
  type CreateRoleCommandOutput,
  type GetRoleCommandInput,
  type GetRoleCommandOutput,
  type GetServerCertificateCommandInput,
  type GetServerCertificateCommandOutput,
  type ListAttachedRolePoliciesCommandInput,
  type ListAttachedRolePoliciesCommandOutput,
  type ListServerCertificatesCommandInput,
  type ListServerCertificatesCommandOutput,
  type Role
} from '@aws-sdk/client-iam'
import { X509Certificate } from 'node:crypto'
import {
  concurrentChange,
  serverError,
  throttling,
  type FaultKind,
  type Service
} from './faults.js'
import { conflicts, covered, normalise } from './names.js'

export const ACCOUNT = '123456789012'
/** What an injected concurrent change appends to the distribution's Comment. */
export const CONCURRENT_EDIT = ' [edited concurrently]'
export const GLOBAL_REGION = 'us-east-1'
/** The hosted zone id every CloudFront alias target uses. */
export const CLOUDFRONT_ZONE_ID = 'Z2FDTNDATAQYW2'

const meta = { httpStatusCode: 200, requestId: 'model', attempts: 1, totalRetryDelay: 0 }

// ---------------------------------------------------------------------------------------------
// State: plain data (structuredClone-able), so a test can snapshot and restore the world.

export type DeployStatus = 'InProgress' | 'Deployed'

export interface DistributionRecord {
  id: string
  arn: string
  domainName: string
  etag: string
  status: DeployStatus
  /** The latest config (what Get/GetConfig return). */
  config: DistributionConfig
  /** The config the edges serve; undefined while a new distribution is not yet deployed. */
  deployed: DistributionConfig | undefined
  /**
   * Configs accepted since the last Deployed, oldest first (the last one is `config`): while
   * InProgress an edge may serve any of them, or still `deployed`.
   */
  pending: DistributionConfig[]
  /** GetDistribution polls left before InProgress becomes Deployed. */
  pollsLeft: number
  tags: Tag[]
  lastModified: number
}

export interface CertificateRecord {
  arn: string
  domainName: string
  sans: string[]
}

/** An IAM server certificate (CloudFront's IAMCertificateId is its id). */
export interface ServerCertificateRecord {
  id: string
  name: string
  pem: string
}

export interface ZoneRecord {
  /** Without the /hostedzone/ prefix. */
  id: string
  /** Lower case, no trailing dot. */
  name: string
  /** Names stored normalised (lower case, `*` not escaped, no trailing dot). */
  records: ResourceRecordSet[]
}

export interface VersionRecord {
  version: string
  codeSha256: string
  config: FunctionConfiguration
  /** Set once a deployed distribution has referenced it: Lambda@Edge replicas exist. */
  replicated: boolean
  /** When no distribution references it any more (replicas linger for a while after). */
  detachedAt: number | undefined
}

export interface FunctionRecord {
  name: string
  arn: string
  role: string
  runtime: string
  handler: string
  memorySize: number
  timeout: number
  environment: Record<string, string> | undefined
  description: string
  code: Uint8Array
  codeSha256: string
  state: 'Pending' | 'Active'
  lastUpdateStatus: 'InProgress' | 'Successful'
  pollsLeft: number
  /** Model time at which a Pending / InProgress function settles even without polls. */
  settleAt: number
  versions: VersionRecord[]
  nextVersion: number
  revision: number
  lastModified: number
}

export interface RoleRecord {
  name: string
  arn: string
  trust: string
  policies: string[]
  created: number
}

export interface ChangeRecord {
  id: string
  status: 'PENDING' | 'INSYNC'
  submittedAt: number
  pollsLeft: number
}

export interface ModelState {
  clock: number
  seq: number
  distributions: Map<string, DistributionRecord>
  certificates: Map<string, CertificateRecord>
  zones: Map<string, ZoneRecord>
  functions: Map<string, FunctionRecord>
  roles: Map<string, RoleRecord>
  changes: Map<string, ChangeRecord>
  /** Environment name → the origin domain names that identify it. */
  environments: Map<string, string[]>
  serverCertificates: Map<string, ServerCertificateRecord>
  /**
   * S3 origins behind Origin Access Control: bucket domain → the one distribution ARN its
   * bucket policy allows (AWS:SourceArn). Any other distribution gets 403 from the bucket.
   */
  oacBuckets: Map<string, string>
}

export interface ModelSettings {
  /** GetDistribution polls after a change until the distribution reports Deployed. */
  pollsToDeploy: number
  /** GetFunction polls until a new function is Active / an update Successful... */
  lambdaPolls: number
  /** ...or this much model time, whichever comes first. */
  lambdaSettleMs: number
  /**
   * A new role cannot be assumed by Lambda for this much model time (IAM is eventually
   * consistent: CreateFunction right after CreateRole fails with InvalidParameterValue).
   */
  rolePropagationMs: number
  /** GetChange polls until a Route53 change is INSYNC. */
  changePolls: number
  /** Page size of the list operations (small, so code that ignores paging is caught). */
  pageSize: number
  /** How long Lambda@Edge replicas linger after the last distribution drops a version. */
  replicaLingerMs: number
  /**
   * A disabled distribution keeps its aliases (true in AWS: CNAMEAlreadyExists still applies),
   * and the model assumes it still wins the host match and then serves an error.
   */
  disabledHoldsAliases: boolean
}

export const DEFAULT_SETTINGS: ModelSettings = {
  pollsToDeploy: 2,
  lambdaPolls: 2,
  lambdaSettleMs: 10_000,
  rolePropagationMs: 8_000,
  changePolls: 1,
  pageSize: 2,
  replicaLingerMs: 3_600_000,
  disabledHoldsAliases: true
}

export interface CallRecord {
  /** 1-based index over the model's lifetime. */
  index: number
  service: Service
  command: string
  /** The resource the call touched (distribution id, zone, function name...). */
  target: string
  /** What the call did, for a person ("aliases: [*.deep.mg]", "UPSERT A www1.deep.mg"). */
  detail: string
  outcome: 'ok' | 'fault' | 'rejected'
  error?: string
}

export type MutationListener = (call: CallRecord) => void

// ---------------------------------------------------------------------------------------------

export function aliasesOf(config: DistributionConfig | undefined): string[] {
  return (config?.Aliases?.Items ?? []).map(normalise)
}

/** The Lambda@Edge version ARN associated with the default behaviour's viewer request. */
export function edgeFunctionOf(config: DistributionConfig | undefined): string | undefined {
  const items = config?.DefaultCacheBehavior?.LambdaFunctionAssociations?.Items ?? []
  return items.find((a) => a.EventType === 'viewer-request')?.LambdaFunctionARN
}

function quantityMatches(
  q: { Quantity?: number | undefined; Items?: unknown[] | undefined } | undefined
): boolean {
  if (q === undefined) return true
  return (q.Quantity ?? 0) === (q.Items ?? []).length
}

const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u
const VERSION_ARN = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+):(\d+)$/

function cfError<T extends Error>(
  Ctor: new (o: { message: string; $metadata: object }) => T,
  message: string
): T {
  return new Ctor({ message, $metadata: { httpStatusCode: 400 } })
}

function clone<T>(value: T): T {
  return structuredClone(value)
}

function zoneIdOf(raw: string | undefined): string {
  return (raw ?? '').replace(/^\/hostedzone\//, '')
}

/** Route53 shows names with a trailing dot and `*` as `\052`. */
function wireName(name: string): string {
  return `${normalise(name).replace(/^\*/, '\\052')}.`
}

/** The DNS names of a PEM certificate's subject alternative names. */
function pemSans(pem: string): string[] {
  return (new X509Certificate(pem).subjectAltName ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4))
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64')
}

export class AwsModel {
  state: ModelState
  readonly settings: ModelSettings
  readonly calls: CallRecord[] = []
  private readonly listeners: MutationListener[] = []
  private readonly faults = new Map<number, FaultKind>()
  private runStart = 0

  constructor(settings: Partial<ModelSettings> = {}) {
    this.settings = { ...DEFAULT_SETTINGS, ...settings }
    this.state = {
      clock: Date.UTC(2026, 0, 1),
      seq: 0,
      distributions: new Map(),
      certificates: new Map(),
      zones: new Map(),
      functions: new Map(),
      roles: new Map(),
      changes: new Map(),
      environments: new Map(),
      serverCertificates: new Map(),
      oacBuckets: new Map()
    }
  }

  // -- test controls ---------------------------------------------------------------------------

  snapshot(): ModelState {
    return clone(this.state)
  }

  restore(state: ModelState): void {
    this.state = clone(state)
  }

  onMutation(listener: MutationListener): () => void {
    this.listeners.push(listener)
    return () => {
      const i = this.listeners.indexOf(listener)
      if (i >= 0) this.listeners.splice(i, 1)
    }
  }

  /** Starts counting a run's mutating calls from 1 (for failOn) and clears pending faults. */
  beginRun(): void {
    this.runStart = this.calls.length
    this.faults.clear()
  }

  /** Mutating calls since beginRun(). */
  runCalls(): CallRecord[] {
    return this.calls.slice(this.runStart)
  }

  /** Makes the k-th mutating call (1-based, counted from beginRun) fail. */
  failOn(k: number, kind: FaultKind): void {
    this.faults.set(k, kind)
  }

  advance(ms: number): void {
    this.state.clock += ms
  }

  /** Every change reaches every edge now (distributions, functions, DNS changes). */
  deployAll(): void {
    for (const d of this.state.distributions.values()) {
      if (d.status === 'InProgress') this.deploy(d)
    }
    for (const f of this.state.functions.values()) {
      f.state = 'Active'
      f.lastUpdateStatus = 'Successful'
      f.pollsLeft = 0
    }
    for (const c of this.state.changes.values()) c.status = 'INSYNC'
  }

  /** Names an environment by the origin domain names its distribution points to. */
  defineEnvironment(name: string, originDomains: string[]): void {
    this.state.environments.set(name, originDomains.map(normalise))
  }

  addCertificate(domainName: string, sans: string[]): string {
    const arn = `arn:aws:acm:${GLOBAL_REGION}:${ACCOUNT}:certificate/${this.nextId('cert').toLowerCase()}`
    this.state.certificates.set(arn, { arn, domainName, sans: [domainName, ...sans] })
    return arn
  }

  /** Uploads an IAM server certificate (its names are read from the PEM, as CloudFront does). */
  addServerCertificate(name: string, pem: string): string {
    const id = `ASCA${this.nextId('scert')}`
    this.state.serverCertificates.set(id, { id, name, pem })
    return id
  }

  /**
   * Seeds a published Lambda@Edge version (with its role), as an environment's own edge
   * function would be before the first publish: not counted, no rules beyond the model's.
   */
  seedEdgeVersion(name: string): string {
    const roleName = `${name}-role`
    const role: RoleRecord = {
      name: roleName,
      arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
      trust: JSON.stringify({
        Statement: [
          { Principal: { Service: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] } }
        ]
      }),
      policies: [],
      created: this.state.clock - this.settings.rolePropagationMs
    }
    this.state.roles.set(roleName, role)
    const code = new TextEncoder().encode(`// ${name}`)
    const fn: FunctionRecord = {
      name,
      arn: `arn:aws:lambda:${GLOBAL_REGION}:${ACCOUNT}:function:${name}`,
      role: role.arn,
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      memorySize: 128,
      timeout: 5,
      environment: undefined,
      description: name,
      code,
      codeSha256: sha256(code),
      state: 'Active',
      lastUpdateStatus: 'Successful',
      pollsLeft: 0,
      settleAt: this.state.clock,
      versions: [],
      nextVersion: 1,
      revision: 1,
      lastModified: this.state.clock
    }
    this.codeBySha.set(fn.codeSha256, code)
    this.state.functions.set(name, fn)
    return this.publishNow(fn).FunctionArn ?? ''
  }

  /** The bucket behind `bucketDomain` lets only this distribution read it (OAC). */
  allowOac(bucketDomain: string, distributionArn: string): void {
    this.state.oacBuckets.set(normalise(bucketDomain), distributionArn)
  }

  addZone(name: string): string {
    const id = `Z${this.nextId('zone')}`
    this.state.zones.set(id, { id, name: normalise(name), records: [] })
    return id
  }

  /** Seeds an A alias record (no rules, no counting: this is the world before the test). */
  addAliasRecord(zoneId: string, name: string, distributionId: string): void {
    const zone = this.state.zones.get(zoneId)
    const d = this.state.distributions.get(distributionId)
    if (zone === undefined || d === undefined)
      throw new Error('addAliasRecord: unknown zone or distribution')
    zone.records.push({
      Name: normalise(name),
      Type: 'A',
      AliasTarget: {
        HostedZoneId: CLOUDFRONT_ZONE_ID,
        DNSName: `${d.domainName}.`,
        EvaluateTargetHealth: false
      }
    })
  }

  /** Does the config's certificate (ACM, or an IAM server certificate's PEM) cover host? */
  certificateCovers(config: DistributionConfig, host: string): boolean {
    const vc = config.ViewerCertificate
    if ((vc?.IAMCertificateId ?? '') !== '') {
      const cert = this.state.serverCertificates.get(vc?.IAMCertificateId ?? '')
      return cert !== undefined && covered(pemSans(cert.pem), host)
    }
    const arn = vc?.ACMCertificateArn
    const cert = arn === undefined ? undefined : this.state.certificates.get(arn)
    return cert !== undefined && covered(cert.sans, host)
  }

  /** Seeds a deployed distribution (validated like CreateDistribution, not counted). */
  addDistribution(config: DistributionConfig, tags: Tag[] = []): DistributionRecord {
    this.validateConfig(undefined, config)
    const d = this.newDistribution(config, tags)
    this.deploy(d)
    return d
  }

  distribution(id: string): DistributionRecord {
    const d = this.state.distributions.get(id)
    if (d === undefined) throw new Error(`model: no distribution ${id}`)
    return d
  }

  /** The distribution whose DomainName is this (as in an alias record's target). */
  distributionByDomain(domain: string): DistributionRecord | undefined {
    const n = normalise(domain)
    return [...this.state.distributions.values()].find((d) => d.domainName === n)
  }

  zoneRecords(): ResourceRecordSet[] {
    return [...this.state.zones.values()].flatMap((z) => z.records)
  }

  /**
   * The environment a distribution config serves (see DESIGN 6): router, or by origin. An origin
   * that is another distribution's CloudFront domain is that distribution (CloudFront chains two
   * deep; it routes the request by that domain, so aliases play no part). An S3 origin behind
   * Origin Access Control answers only the distribution its bucket policy names: anyone else
   * gets 403 (`denied: ...`).
   */
  environmentOf(config: DistributionConfig, self?: DistributionRecord, depth = 0): string {
    const behaviours = [config.DefaultCacheBehavior, ...(config.CacheBehaviors?.Items ?? [])]
    const edge = behaviours.map((b) =>
      (b?.LambdaFunctionAssociations?.Items ?? []).some((a) => a.EventType === 'viewer-request')
    )
    // A router sends every path by ratio; a behaviour without the function bypasses it.
    if (edge.every(Boolean)) return 'router'
    if (edge.some(Boolean)) return 'partial-router'
    // Otherwise: the environment every behaviour's origin belongs to (or a mix, which is wrong).
    const envs = new Set(
      behaviours.map((b) => {
        const origin = config.Origins?.Items?.find((o) => o.Id === b?.TargetOriginId)
        const domain = normalise(origin?.DomainName ?? '')
        const chained = this.distributionByDomain(domain)
        if (chained !== undefined) {
          const target = chained.deployed ?? chained.config
          if (depth >= 1) return `denied: ${chained.id} is a third distribution in the chain`
          if (target.Enabled !== true) return `denied: ${chained.id} is disabled`
          return this.environmentOf(target, chained, depth + 1)
        }
        const allowed = this.state.oacBuckets.get(domain)
        if (allowed !== undefined && (origin?.OriginAccessControlId ?? '') !== '') {
          if (self?.arn !== allowed) {
            return `denied: ${domain} answers only ${allowed} (Origin Access Control), not ${self?.id ?? 'this distribution'}`
          }
        }
        for (const [name, domains] of this.state.environments) {
          if (domains.includes(domain)) return name
        }
        return `unknown(${domain})`
      })
    )
    return [...envs].sort().join('+')
  }

  // -- the mutation gate -----------------------------------------------------------------------

  private mutation<T>(
    service: Service,
    command: string,
    target: string,
    detail: string,
    apply: () => T,
    onConflict?: () => Error
  ): T {
    const index = this.calls.length + 1
    const k = index - this.runStart
    const fault = this.faults.get(k)
    const record: CallRecord = { index, service, command, target, detail, outcome: 'ok' }
    this.calls.push(record)
    try {
      if (fault !== undefined && fault !== 'lost-response' && fault !== 'answer-lost') {
        record.outcome = 'fault'
        if (fault === 'throttle') throw throttling(service, command)
        if (fault === 'server') throw serverError(service, command, k % 2 === 0)
        throw onConflict?.() ?? concurrentChange(service, command)
      }
      let result: T
      try {
        result = apply()
      } catch (e) {
        record.outcome = 'rejected'
        throw e
      }
      this.refreshReplicas()
      if (fault === 'lost-response') {
        record.outcome = 'fault'
        throw serverError(service, `${command} (applied, response lost)`)
      }
      if (fault === 'answer-lost') {
        // The answer never reached the client; the SDK retries the same request, and the run
        // hears the retry's answer (an "already exists", or the same result again).
        record.outcome = 'fault'
        record.error = 'applied; answer lost, the SDK retries'
        return this.mutation(service, command, target, `${detail} (SDK retry)`, apply, onConflict)
      }
      return result
    } catch (e) {
      record.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
      throw e
    } finally {
      for (const listener of [...this.listeners]) listener(record)
    }
  }

  private nextId(kind: string): string {
    this.state.seq += 1
    const n = this.state.seq.toString(36).toUpperCase()
    return `${kind.slice(0, 1).toUpperCase()}${n.padStart(12, '0')}`.slice(-13)
  }

  private newEtag(): string {
    return `E${this.nextId('etag')}`
  }

  // -- CloudFront ------------------------------------------------------------------------------

  private newDistribution(config: DistributionConfig, tags: Tag[]): DistributionRecord {
    const id = `E${this.nextId('dist')}`
    const d: DistributionRecord = {
      id,
      arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/${id}`,
      domainName: `d${id.slice(1).toLowerCase()}.cloudfront.net`,
      etag: this.newEtag(),
      status: 'InProgress',
      config: clone(config),
      deployed: undefined,
      pending: [clone(config)],
      pollsLeft: this.settings.pollsToDeploy,
      tags: clone(tags),
      lastModified: this.state.clock
    }
    this.state.distributions.set(id, d)
    return d
  }

  private deploy(d: DistributionRecord): void {
    d.status = 'Deployed'
    d.deployed = clone(d.config)
    d.pending = []
    d.pollsLeft = 0
    this.refreshReplicas()
  }

  private distributionOut(d: DistributionRecord): Distribution {
    return {
      Id: d.id,
      ARN: d.arn,
      Status: d.status,
      LastModifiedTime: new Date(d.lastModified),
      InProgressInvalidationBatches: 0,
      DomainName: d.domainName,
      DistributionConfig: clone(d.config)
    }
  }

  private requireDistribution(id: string | undefined): DistributionRecord {
    const d = id === undefined ? undefined : this.state.distributions.get(id)
    if (d === undefined) {
      throw cfError(
        NoSuchDistribution,
        `The specified distribution does not exist: ${id ?? '(no Id)'}`
      )
    }
    return d
  }

  private checkIfMatch(d: DistributionRecord, ifMatch: string | undefined): void {
    if (ifMatch === undefined || ifMatch === '') {
      throw cfError(
        InvalidIfMatchVersion,
        'The If-Match version is missing or not valid for the resource.'
      )
    }
    if (ifMatch !== d.etag) {
      throw cfError(
        PreconditionFailed,
        `The precondition given in one or more of the request header fields evaluated to false (If-Match ${ifMatch}, current ${d.etag}).`
      )
    }
  }

  /** The CloudFront rules a config must satisfy (for `self`, or a new distribution). */
  validateConfig(self: DistributionRecord | undefined, config: DistributionConfig): void {
    if (config.CallerReference === undefined || config.CallerReference === '') {
      throw cfError(InvalidArgument, 'CallerReference is required.')
    }
    if (config.Comment === undefined) throw cfError(InvalidArgument, 'Comment is required.')
    if (config.Enabled === undefined) throw cfError(InvalidArgument, 'Enabled is required.')
    const origins = config.Origins?.Items ?? []
    if (origins.length === 0) throw cfError(InvalidArgument, 'At least one origin is required.')
    for (const [name, q] of [
      ['Aliases', config.Aliases],
      ['Origins', config.Origins],
      ['CacheBehaviors', config.CacheBehaviors],
      [
        'DefaultCacheBehavior.LambdaFunctionAssociations',
        config.DefaultCacheBehavior?.LambdaFunctionAssociations
      ],
      ...(config.CacheBehaviors?.Items ?? []).map(
        (b, i) =>
          [`CacheBehaviors[${i}].LambdaFunctionAssociations`, b.LambdaFunctionAssociations] as const
      )
    ] as const) {
      if (!quantityMatches(q)) {
        throw cfError(InvalidArgument, `${name}: Quantity does not match the number of Items.`)
      }
    }
    const originIds = new Set(origins.map((o) => o.Id))
    const behaviours = [config.DefaultCacheBehavior, ...(config.CacheBehaviors?.Items ?? [])]
    for (const b of behaviours) {
      if (b === undefined) throw cfError(InvalidArgument, 'DefaultCacheBehavior is required.')
      if (!originIds.has(b.TargetOriginId)) {
        throw cfError(
          NoSuchOrigin,
          `No origin has the Id ${b.TargetOriginId ?? '(none)'} targeted by a cache behavior.`
        )
      }
      for (const a of b.LambdaFunctionAssociations?.Items ?? [])
        this.validateEdgeFunction(a.LambdaFunctionARN, a.EventType)
      // AWS: "You can't combine CloudFront Functions and Lambda@Edge in viewer events" (viewer
      // request and viewer response), per cache behaviour.
      const viewer = (e: string | undefined): boolean =>
        e === 'viewer-request' || e === 'viewer-response'
      const lambdaViewer = (b.LambdaFunctionAssociations?.Items ?? []).some((a) =>
        viewer(a.EventType)
      )
      const functionViewer = (b.FunctionAssociations?.Items ?? []).some((f) => viewer(f.EventType))
      if (lambdaViewer && functionViewer) {
        throw cfError(
          InvalidLambdaFunctionAssociation,
          "You can't combine CloudFront Functions and Lambda@Edge in viewer events (viewer request and viewer response) of one cache behavior."
        )
      }
    }

    // Aliases: unique among distributions (same wildcard included), covered by the certificate.
    const aliases = aliasesOf(config)
    if (new Set(aliases).size !== aliases.length) {
      throw cfError(InvalidArgument, `Aliases contain duplicates: ${aliases.join(', ')}`)
    }
    for (const other of this.state.distributions.values()) {
      if (other === self) continue
      for (const alias of aliases) {
        if (aliasesOf(other.config).some((a) => conflicts(a, alias))) {
          throw cfError(
            CNAMEAlreadyExists,
            `One or more of the CNAMEs you provided are already associated with a different resource: ${alias} (held by ${other.id}).`
          )
        }
      }
    }
    if (aliases.length > 0 && config.Staging === true) {
      throw cfError(
        InvalidArgument,
        'A staging distribution cannot have alternate domain names (CNAMEs).'
      )
    }
    if (aliases.length > 0 && config.ConnectionMode === 'tenant-only') {
      throw cfError(
        InvalidArgument,
        'A multi-tenant distribution (ConnectionMode tenant-only) cannot have alternate domain names: they belong to its distribution tenants.'
      )
    }
    const vc = config.ViewerCertificate
    const iamId = vc?.IAMCertificateId
    if (iamId !== undefined && iamId !== '') {
      const cert = this.state.serverCertificates.get(iamId)
      if (cert === undefined) {
        throw cfError(InvalidViewerCertificate, `The IAM certificate ${iamId} does not exist.`)
      }
      const sans = pemSans(cert.pem)
      for (const alias of aliases) {
        if (!covered(sans, alias)) {
          throw cfError(
            InvalidViewerCertificate,
            `The certificate that is attached to your distribution doesn't cover the alternate domain name (CNAME) that you're trying to add: ${alias}.`
          )
        }
      }
      return
    }
    const acm = vc?.ACMCertificateArn
    if (vc?.CloudFrontDefaultCertificate === true && acm !== undefined) {
      throw cfError(
        InvalidViewerCertificate,
        'Specify either CloudFrontDefaultCertificate or ACMCertificateArn, not both.'
      )
    }
    if (aliases.length === 0 && acm === undefined) return
    if (acm === undefined) {
      throw cfError(
        InvalidViewerCertificate,
        'To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a trusted certificate that validates your authorization to use the domain name.'
      )
    }
    const cert = this.state.certificates.get(acm)
    if (cert === undefined || !acm.includes(`:${GLOBAL_REGION}:`)) {
      throw cfError(
        InvalidViewerCertificate,
        `The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or doesn't include a valid certificate chain: ${acm}`
      )
    }
    if (vc?.SSLSupportMethod === undefined) {
      throw cfError(
        InvalidViewerCertificate,
        'SSLSupportMethod is required with an ACM certificate.'
      )
    }
    for (const alias of aliases) {
      if (!covered(cert.sans, alias)) {
        throw cfError(
          InvalidViewerCertificate,
          `The certificate that is attached to your distribution doesn't cover the alternate domain name (CNAME) that you're trying to add: ${alias} (certificate covers ${cert.sans.join(', ')}).`
        )
      }
    }
  }

  private validateEdgeFunction(arn: string | undefined, eventType: string | undefined): void {
    const bad = (why: string): never => {
      throw cfError(
        InvalidLambdaFunctionAssociation,
        `The function ARN ${arn ?? '(none)'} is not valid for Lambda@Edge: ${why}`
      )
    }
    const m = VERSION_ARN.exec(arn ?? '')
    if (m === null)
      return bad(
        'the ARN must reference a specific function version (end with the version number; not $LATEST or an alias)'
      )
    const [, region, , name, version] = m
    if (region !== GLOBAL_REGION) return bad('the function must be in us-east-1')
    const fn = this.state.functions.get(name ?? '')
    const v = fn?.versions.find((x) => x.version === version)
    if (fn === undefined || v === undefined) return bad('the function version does not exist')
    const env = v.config.Environment?.Variables ?? {}
    if (Object.keys(env).length > 0) return bad('the function must not have environment variables')
    const role = [...this.state.roles.values()].find((r) => r.arn === v.config.Role)
    if (
      role === undefined ||
      !role.trust.includes('edgelambda.amazonaws.com') ||
      !role.trust.includes('lambda.amazonaws.com')
    ) {
      return bad(
        'the function execution role must be assumable with edgelambda.amazonaws.com as well as lambda.amazonaws.com principals'
      )
    }
    if (eventType === 'viewer-request' || eventType === 'viewer-response') {
      if ((v.config.MemorySize ?? 128) > 128) return bad('viewer triggers allow at most 128 MB')
      if ((v.config.Timeout ?? 3) > 5) return bad('viewer triggers allow at most 5 seconds')
      if ((v.config.CodeSize ?? 0) > 1_048_576)
        return bad('viewer triggers allow a package of at most 1 MB')
    }
    return undefined
  }

  /** Marks versions referenced by a deployed config as replicated; notes when they detach. */
  private refreshReplicas(): void {
    const referencedNow = new Set<string>()
    for (const d of this.state.distributions.values()) {
      for (const config of [d.deployed, ...d.pending]) {
        for (const b of [config?.DefaultCacheBehavior, ...(config?.CacheBehaviors?.Items ?? [])]) {
          for (const a of b?.LambdaFunctionAssociations?.Items ?? []) {
            if (a.LambdaFunctionARN !== undefined) referencedNow.add(a.LambdaFunctionARN)
          }
        }
      }
    }
    for (const fn of this.state.functions.values()) {
      for (const v of fn.versions) {
        const arn = `${fn.arn}:${v.version}`
        if (referencedNow.has(arn)) {
          v.replicated = true
          v.detachedAt = undefined
        } else if (v.replicated && v.detachedAt === undefined) {
          v.detachedAt = this.state.clock
        }
      }
    }
  }

  listDistributions(input: ListDistributionsCommandInput): ListDistributionsCommandOutput {
    const all = [...this.state.distributions.values()].sort((a, b) => a.id.localeCompare(b.id))
    const start =
      input.Marker === undefined || input.Marker === ''
        ? 0
        : all.findIndex((d) => d.id === input.Marker)
    if (start < 0) throw cfError(InvalidArgument, `Marker ${input.Marker ?? ''} is not valid.`)
    const size = Math.min(input.MaxItems ?? 100, this.settings.pageSize)
    const page = all.slice(start, start + size)
    const next = all[start + size]
    const items: DistributionSummary[] = page.map((d) => ({
      Id: d.id,
      ARN: d.arn,
      ETag: d.etag,
      Status: d.status,
      LastModifiedTime: new Date(d.lastModified),
      DomainName: d.domainName,
      Aliases: clone(d.config.Aliases ?? { Quantity: 0 }),
      Origins: clone(d.config.Origins),
      DefaultCacheBehavior: clone(d.config.DefaultCacheBehavior),
      CacheBehaviors: clone(d.config.CacheBehaviors ?? { Quantity: 0 }),
      CustomErrorResponses: clone(d.config.CustomErrorResponses ?? { Quantity: 0 }),
      Comment: d.config.Comment,
      PriceClass: d.config.PriceClass ?? 'PriceClass_All',
      Enabled: d.config.Enabled,
      ViewerCertificate: clone(
        d.config.ViewerCertificate ?? { CloudFrontDefaultCertificate: true }
      ),
      Restrictions: clone(
        d.config.Restrictions ?? { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } }
      ),
      WebACLId: d.config.WebACLId ?? '',
      HttpVersion: d.config.HttpVersion ?? 'http2',
      IsIPV6Enabled: d.config.IsIPV6Enabled ?? true,
      Staging: d.config.Staging ?? false
    }))
    return {
      $metadata: meta,
      DistributionList: {
        Marker: input.Marker ?? '',
        MaxItems: size,
        IsTruncated: next !== undefined,
        Quantity: items.length,
        Items: items,
        ...(next === undefined ? {} : { NextMarker: next.id })
      }
    }
  }

  getDistribution(input: GetDistributionCommandInput): GetDistributionCommandOutput {
    const d = this.requireDistribution(input.Id)
    if (d.status === 'InProgress') {
      d.pollsLeft -= 1
      if (d.pollsLeft <= 0) this.deploy(d)
    }
    return { $metadata: meta, Distribution: this.distributionOut(d), ETag: d.etag }
  }

  getDistributionConfig(
    input: GetDistributionConfigCommandInput
  ): GetDistributionConfigCommandOutput {
    const d = this.requireDistribution(input.Id)
    return { $metadata: meta, DistributionConfig: clone(d.config), ETag: d.etag }
  }

  createDistributionWithTags(
    input: CreateDistributionWithTagsCommandInput
  ): CreateDistributionWithTagsCommandOutput {
    const config = input.DistributionConfigWithTags?.DistributionConfig
    const detail = `create aliases=[${aliasesOf(config).join(', ')}] env=${config === undefined ? '?' : this.environmentOf(config)}`
    return this.mutation('cloudfront', 'CreateDistributionWithTags', '(new)', detail, () => {
      if (config === undefined) throw cfError(InvalidArgument, 'DistributionConfig is required.')
      const tags = input.DistributionConfigWithTags?.Tags?.Items ?? []
      this.validateTags(tags)
      const same = [...this.state.distributions.values()].find(
        (d) => d.config.CallerReference === config.CallerReference
      )
      // AWS (CreateDistribution, DistributionConfig.CallerReference): "If CallerReference is a
      // value that you already sent in a previous request to create a distribution, CloudFront
      // returns a DistributionAlreadyExists error", whatever the content.
      if (same !== undefined) {
        throw cfError(
          DistributionAlreadyExists,
          `The caller reference you attempted to create the distribution with is associated with another distribution (${same.id}).`
        )
      }
      this.validateConfig(undefined, config)
      const d = this.newDistribution(config, tags)
      return {
        $metadata: { ...meta, httpStatusCode: 201 },
        Distribution: this.distributionOut(d),
        ETag: d.etag,
        Location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${d.id}`
      }
    })
  }

  updateDistribution(input: UpdateDistributionCommandInput): UpdateDistributionCommandOutput {
    const config = input.DistributionConfig
    const detail = `aliases=[${aliasesOf(config).join(', ')}] enabled=${config?.Enabled ?? '?'} env=${config === undefined ? '?' : this.environmentOf(config)}`
    return this.mutation(
      'cloudfront',
      'UpdateDistribution',
      input.Id ?? '?',
      detail,
      () => {
        const d = this.requireDistribution(input.Id)
        this.checkIfMatch(d, input.IfMatch)
        if (config === undefined) throw cfError(InvalidArgument, 'DistributionConfig is required.')
        if (config.CallerReference !== d.config.CallerReference) {
          throw cfError(IllegalUpdate, 'CallerReference cannot be changed.')
        }
        const continuous =
          (d.config.ContinuousDeploymentPolicyId ?? '') !== '' || d.config.Staging === true
        const aliasesChange =
          JSON.stringify(aliasesOf(config).sort()) !== JSON.stringify(aliasesOf(d.config).sort())
        if (continuous && aliasesChange) {
          throw cfError(
            IllegalUpdate,
            'One or more fields updated are not supported for continuous deployment.'
          )
        }
        if ((d.config.ConnectionMode ?? 'direct') !== (config.ConnectionMode ?? 'direct')) {
          throw cfError(IllegalUpdate, 'ConnectionMode cannot be changed.')
        }
        this.validateConfig(d, config)
        d.config = clone(config)
        d.pending.push(clone(config))
        d.etag = this.newEtag()
        d.status = 'InProgress'
        d.pollsLeft = this.settings.pollsToDeploy
        d.lastModified = this.state.clock
        return { $metadata: meta, Distribution: this.distributionOut(d), ETag: d.etag }
      },
      () => this.concurrentDistributionChange(input.Id)
    )
  }

  deleteDistribution(input: DeleteDistributionCommandInput): DeleteDistributionCommandOutput {
    return this.mutation(
      'cloudfront',
      'DeleteDistribution',
      input.Id ?? '?',
      'delete',
      () => {
        const d = this.requireDistribution(input.Id)
        this.checkIfMatch(d, input.IfMatch)
        if (d.config.Enabled !== false || d.status !== 'Deployed') {
          throw cfError(
            DistributionNotDisabled,
            `The distribution you are trying to delete has not been disabled (Enabled=${d.config.Enabled ?? '?'}, Status=${d.status}).`
          )
        }
        this.state.distributions.delete(d.id)
        return { $metadata: { ...meta, httpStatusCode: 204 } }
      },
      () => this.concurrentDistributionChange(input.Id)
    )
  }

  /** Someone else updated the distribution: its ETag moves on; the caller's IfMatch is stale. */
  private concurrentDistributionChange(id: string | undefined): Error {
    const d = id === undefined ? undefined : this.state.distributions.get(id)
    if (d !== undefined) {
      // Someone edits the distribution (its Comment) first: a blind overwrite would lose it.
      d.config = { ...clone(d.config), Comment: `${d.config.Comment ?? ''}${CONCURRENT_EDIT}` }
      d.pending.push(clone(d.config))
      d.status = 'InProgress'
      d.pollsLeft = this.settings.pollsToDeploy
      d.etag = this.newEtag()
    }
    return cfError(
      PreconditionFailed,
      `The precondition given in one or more of the request header fields evaluated to false (injected concurrent change of ${id ?? '?'}).`
    )
  }

  private distributionByArn(arn: string | undefined): DistributionRecord {
    const d = [...this.state.distributions.values()].find((x) => x.arn === arn)
    if (d === undefined)
      throw cfError(NoSuchResource, `The specified resource does not exist: ${arn ?? '(none)'}`)
    return d
  }

  private validateTags(tags: Tag[]): void {
    for (const t of tags) {
      const key = t.Key ?? ''
      const value = t.Value ?? ''
      if (key.length < 1 || key.length > 128 || !TAG_CHARS.test(key) || key.startsWith('aws:')) {
        throw cfError(
          InvalidTagging,
          `Tag key ${JSON.stringify(key)} is not valid (1-128 of letters, digits, spaces and _ . : / = + - @).`
        )
      }
      if (value.length > 256 || !TAG_CHARS.test(value)) {
        throw cfError(
          InvalidTagging,
          `Tag value ${JSON.stringify(value)} of ${key} is not valid (up to 256 of letters, digits, spaces and _ . : / = + - @).`
        )
      }
    }
    if (tags.length > 50) throw cfError(InvalidTagging, 'At most 50 tags per resource.')
  }

  listTagsForResource(input: ListTagsForResourceCommandInput): ListTagsForResourceCommandOutput {
    const d = this.distributionByArn(input.Resource)
    return { $metadata: meta, Tags: { Items: clone(d.tags) } }
  }

  tagResource(input: TagResourceCommandInput): TagResourceCommandOutput {
    const items = input.Tags?.Items ?? []
    return this.mutation(
      'cloudfront',
      'TagResource',
      input.Resource ?? '?',
      items.map((t) => `${t.Key ?? ''}=${t.Value ?? ''}`).join(' '),
      () => {
        const d = this.distributionByArn(input.Resource)
        this.validateTags(items)
        const merged = new Map(d.tags.map((t) => [t.Key, t]))
        for (const t of items) merged.set(t.Key, clone(t))
        this.validateTags([...merged.values()])
        d.tags = [...merged.values()]
        return { $metadata: { ...meta, httpStatusCode: 204 } }
      }
    )
  }

  untagResource(input: UntagResourceCommandInput): UntagResourceCommandOutput {
    const keys = input.TagKeys?.Items ?? []
    return this.mutation(
      'cloudfront',
      'UntagResource',
      input.Resource ?? '?',
      keys.join(' '),
      () => {
        const d = this.distributionByArn(input.Resource)
        d.tags = d.tags.filter((t) => !keys.includes(t.Key ?? ''))
        return { $metadata: { ...meta, httpStatusCode: 204 } }
      }
    )
  }

  // -- Route53 ---------------------------------------------------------------------------------

  private requireZone(id: string | undefined): ZoneRecord {
    const zone = this.state.zones.get(zoneIdOf(id))
    if (zone === undefined) {
      throw new NoSuchHostedZone({
        message: `No hosted zone found with ID: ${id ?? '(none)'}`,
        $metadata: { httpStatusCode: 404 }
      })
    }
    return zone
  }

  listHostedZonesByName(
    input: ListHostedZonesByNameCommandInput
  ): ListHostedZonesByNameCommandOutput {
    // Route53 orders by the name with its labels reversed (com.example.www).
    const key = (name: string): string => normalise(name).split('.').reverse().join('.')
    const zones = [...this.state.zones.values()].sort(
      (a, b) => key(a.name).localeCompare(key(b.name)) || a.id.localeCompare(b.id)
    )
    const from =
      input.DNSName === undefined
        ? 0
        : zones.findIndex((z) => {
            const c = key(z.name).localeCompare(key(input.DNSName ?? ''))
            return (
              c > 0 || (c === 0 && (input.HostedZoneId === undefined || z.id >= input.HostedZoneId))
            )
          })
    const size = Math.min(input.MaxItems ?? 100, this.settings.pageSize)
    const rest = from < 0 ? [] : zones.slice(from)
    const page = rest.slice(0, size)
    const next = rest[size]
    return {
      $metadata: meta,
      HostedZones: page.map((z) => ({
        Id: `/hostedzone/${z.id}`,
        Name: `${z.name}.`,
        CallerReference: z.id,
        Config: { PrivateZone: false },
        ResourceRecordSetCount: z.records.length + 2
      })),
      ...(input.DNSName === undefined ? {} : { DNSName: input.DNSName }),
      IsTruncated: next !== undefined,
      MaxItems: size,
      ...(next === undefined ? {} : { NextDNSName: `${next.name}.`, NextHostedZoneId: next.id })
    }
  }

  private wireRecord(r: ResourceRecordSet): ResourceRecordSet {
    return { ...clone(r), Name: wireName(r.Name ?? '') }
  }

  listResourceRecordSets(
    input: ListResourceRecordSetsCommandInput
  ): ListResourceRecordSetsCommandOutput {
    const zone = this.requireZone(input.HostedZoneId)
    const key = (r: ResourceRecordSet): string =>
      `${normalise(r.Name ?? '')
        .split('.')
        .reverse()
        .join('.')} ${r.Type ?? ''}`
    const all = [...zone.records].sort((a, b) => key(a).localeCompare(key(b)))
    let from = 0
    if (input.StartRecordName !== undefined) {
      const start = `${normalise(input.StartRecordName).split('.').reverse().join('.')} ${input.StartRecordType ?? ''}`
      from = all.findIndex((r) => key(r) >= start)
      if (from < 0) from = all.length
    }
    const size = Math.min(input.MaxItems ?? 300, this.settings.pageSize)
    const page = all.slice(from, from + size)
    const next = all[from + size]
    return {
      $metadata: meta,
      ResourceRecordSets: page.map((r) => this.wireRecord(r)),
      IsTruncated: next !== undefined,
      MaxItems: size,
      ...(next === undefined
        ? {}
        : { NextRecordName: wireName(next.Name ?? ''), NextRecordType: next.Type })
    }
  }

  changeResourceRecordSets(
    input: ChangeResourceRecordSetsCommandInput
  ): ChangeResourceRecordSetsCommandOutput {
    const changes = input.ChangeBatch?.Changes ?? []
    const detail = changes
      .map(
        (c) =>
          `${c.Action ?? '?'} ${c.ResourceRecordSet?.Type ?? '?'} ${normalise(c.ResourceRecordSet?.Name ?? '')} → ${c.ResourceRecordSet?.AliasTarget?.DNSName ?? (c.ResourceRecordSet?.ResourceRecords ?? []).map((v) => v.Value).join(',')}`
      )
      .join('; ')
    return this.mutation(
      'route53',
      'ChangeResourceRecordSets',
      zoneIdOf(input.HostedZoneId),
      detail,
      () => {
        const zone = this.requireZone(input.HostedZoneId)
        const invalid = (message: string): never => {
          throw new InvalidChangeBatch({
            message,
            messages: [message],
            $metadata: { httpStatusCode: 400 }
          })
        }
        if (changes.length === 0) invalid('The change batch is empty.')
        const records = clone(zone.records)
        const sameSet = (a: ResourceRecordSet, b: ResourceRecordSet): boolean =>
          normalise(a.Name ?? '') === normalise(b.Name ?? '') &&
          a.Type === b.Type &&
          (a.SetIdentifier ?? '') === (b.SetIdentifier ?? '')
        for (const change of changes) {
          const raw = change.ResourceRecordSet
          if (raw === undefined) return invalid('ResourceRecordSet is required.')
          const rr: ResourceRecordSet = { ...clone(raw), Name: normalise(raw.Name ?? '') }
          const name = rr.Name ?? ''
          const label = `[name='${name}.', type='${rr.Type ?? ''}']`
          if (name !== zone.name && !name.endsWith(`.${zone.name}`)) {
            invalid(`RRSet with DNS name ${name}. is not permitted in zone ${zone.name}.`)
          }
          if (rr.AliasTarget !== undefined) {
            const target = normalise(rr.AliasTarget.DNSName ?? '')
            rr.AliasTarget = { ...rr.AliasTarget, DNSName: `${target}.` }
            if (target.endsWith('.cloudfront.net')) {
              if (rr.AliasTarget.HostedZoneId !== CLOUDFRONT_ZONE_ID) {
                invalid(
                  `Tried to create an alias that targets ${target}., type ${rr.Type ?? ''} in zone ${rr.AliasTarget.HostedZoneId ?? ''}, but the alias target name does not lie within the target zone`
                )
              }
              if (this.distributionByDomain(target) === undefined && change.Action !== 'DELETE') {
                invalid(
                  `Tried to create an alias that targets ${target}., type ${rr.Type ?? ''} in zone ${CLOUDFRONT_ZONE_ID}, but the alias target name does not lie within the target zone`
                )
              }
              if (rr.AliasTarget.EvaluateTargetHealth === true) {
                invalid(
                  'EvaluateTargetHealth must be false for an alias to a CloudFront distribution.'
                )
              }
            }
            if (rr.TTL !== undefined || (rr.ResourceRecords ?? []).length > 0) {
              invalid(`${label}: an alias record takes neither TTL nor ResourceRecords.`)
            }
          }
          const i = records.findIndex((r) => sameSet(r, rr))
          if (change.Action === 'CREATE') {
            if (i >= 0)
              invalid(`Tried to create resource record set ${label} but it already exists`)
            records.push(rr)
          } else if (change.Action === 'DELETE') {
            const current = records[i]
            if (current === undefined)
              invalid(`Tried to delete resource record set ${label} but it was not found`)
            else if (JSON.stringify(current) !== JSON.stringify(rr)) {
              invalid(
                `Tried to delete resource record set ${label} but the values provided do not match the current values`
              )
            }
            records.splice(i, 1)
          } else if (change.Action === 'UPSERT') {
            if (i >= 0) records.splice(i, 1, rr)
            else records.push(rr)
          } else invalid('Change.Action must be CREATE, DELETE or UPSERT.')
          const sameName = records.filter((r) => normalise(r.Name ?? '') === name)
          if (sameName.some((r) => r.Type === 'CNAME') && sameName.length > 1) {
            invalid(
              `RRSet of type CNAME with DNS name ${name}. is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}.`
            )
          }
        }
        zone.records = records
        const id = `C${this.nextId('change')}`
        this.state.changes.set(id, {
          id,
          status: 'PENDING',
          submittedAt: this.state.clock,
          pollsLeft: this.settings.changePolls
        })
        return {
          $metadata: meta,
          ChangeInfo: {
            Id: `/change/${id}`,
            Status: 'PENDING',
            SubmittedAt: new Date(this.state.clock)
          }
        }
      }
    )
  }

  getChange(input: GetChangeCommandInput): GetChangeCommandOutput {
    const id = (input.Id ?? '').replace(/^\/change\//, '')
    const c = this.state.changes.get(id)
    if (c === undefined)
      throw new NoSuchChange({
        message: `A change with the specified change ID does not exist: ${id}`,
        $metadata: { httpStatusCode: 404 }
      })
    if (c.status === 'PENDING') {
      c.pollsLeft -= 1
      if (c.pollsLeft <= 0) c.status = 'INSYNC'
    }
    return {
      $metadata: meta,
      ChangeInfo: { Id: `/change/${c.id}`, Status: c.status, SubmittedAt: new Date(c.submittedAt) }
    }
  }

  // -- ACM -------------------------------------------------------------------------------------

  describeCertificate(input: DescribeCertificateCommandInput): DescribeCertificateCommandOutput {
    const cert = this.state.certificates.get(input.CertificateArn ?? '')
    if (cert === undefined) {
      throw new AcmNotFound({
        message: `Could not find certificate ${input.CertificateArn ?? '(none)'}.`,
        $metadata: { httpStatusCode: 400 }
      })
    }
    const inUseBy = [...this.state.distributions.values()]
      .filter((d) => d.config.ViewerCertificate?.ACMCertificateArn === cert.arn)
      .map((d) => d.arn)
    return {
      $metadata: meta,
      Certificate: {
        CertificateArn: cert.arn,
        DomainName: cert.domainName,
        SubjectAlternativeNames: [...cert.sans],
        Status: 'ISSUED',
        Type: 'AMAZON_ISSUED',
        InUseBy: inUseBy
      }
    }
  }

  // -- Lambda ----------------------------------------------------------------------------------

  private parseFunctionName(
    raw: string | undefined,
    qualifier?: string
  ): { fn: FunctionRecord; qualifier: string | undefined } {
    const value = raw ?? ''
    let name = value
    let q = qualifier
    const arn =
      /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::([$A-Za-z0-9_-]+))?$/.exec(
        value
      )
    if (arn !== null) {
      name = arn[1] ?? ''
      q = q ?? arn[2]
    } else if (value.includes(':')) {
      const [n, qq] = value.split(':')
      name = n ?? ''
      q = q ?? qq
    }
    const fn = this.state.functions.get(name)
    if (fn === undefined) {
      throw new LambdaNotFound({
        message: `Function not found: arn:aws:lambda:${GLOBAL_REGION}:${ACCOUNT}:function:${name}`,
        $metadata: { httpStatusCode: 404 }
      })
    }
    return { fn, qualifier: q }
  }

  private functionConfig(fn: FunctionRecord): FunctionConfiguration {
    return {
      FunctionName: fn.name,
      FunctionArn: fn.arn,
      Runtime: fn.runtime === 'nodejs22.x' ? 'nodejs22.x' : 'nodejs20.x',
      Role: fn.role,
      Handler: fn.handler,
      CodeSize: fn.code.length,
      Description: fn.description,
      Timeout: fn.timeout,
      MemorySize: fn.memorySize,
      LastModified: new Date(fn.lastModified).toISOString(),
      CodeSha256: fn.codeSha256,
      Version: '$LATEST',
      ...(fn.environment === undefined
        ? {}
        : { Environment: { Variables: { ...fn.environment } } }),
      RevisionId: `rev-${fn.revision}`,
      State: fn.state,
      LastUpdateStatus: fn.lastUpdateStatus,
      PackageType: 'Zip',
      Architectures: ['x86_64']
    }
  }

  /** A poll (GetFunction) counts towards settling; time alone settles it too. */
  private pollFunction(fn: FunctionRecord, poll = true): void {
    if (fn.state === 'Pending' || fn.lastUpdateStatus === 'InProgress') {
      if (poll) fn.pollsLeft -= 1
      if (fn.pollsLeft <= 0 || this.state.clock >= fn.settleAt) {
        fn.state = 'Active'
        fn.lastUpdateStatus = 'Successful'
      }
    }
  }

  private versionConfig(fn: FunctionRecord, qualifier: string | undefined): FunctionConfiguration {
    if (qualifier === undefined || qualifier === '$LATEST') return this.functionConfig(fn)
    const v = fn.versions.find((x) => x.version === qualifier)
    if (v === undefined) {
      throw new LambdaNotFound({
        message: `Function not found: ${fn.arn}:${qualifier}`,
        $metadata: { httpStatusCode: 404 }
      })
    }
    return clone(v.config)
  }

  /** The code bytes of a function version (tests read the router's config.json from them). */
  functionCode(versionArn: string): Uint8Array | undefined {
    const m = VERSION_ARN.exec(versionArn)
    const fn = m === null ? undefined : this.state.functions.get(m[3] ?? '')
    const v = fn?.versions.find((x) => x.version === m?.[4])
    return v === undefined ? undefined : this.codeBySha.get(v.codeSha256)
  }

  private readonly codeBySha = new Map<string, Uint8Array>()

  getFunction(input: GetFunctionCommandInput): GetFunctionCommandOutput {
    const { fn, qualifier } = this.parseFunctionName(input.FunctionName, input.Qualifier)
    this.pollFunction(fn)
    return {
      $metadata: meta,
      Configuration: this.versionConfig(fn, qualifier),
      Code: {
        RepositoryType: 'S3',
        Location: `https://awslambda-us-east-1-tasks.s3.amazonaws.com/${fn.name}`
      }
    }
  }

  getFunctionConfiguration(
    input: GetFunctionConfigurationCommandInput
  ): GetFunctionConfigurationCommandOutput {
    const { fn, qualifier } = this.parseFunctionName(input.FunctionName, input.Qualifier)
    this.pollFunction(fn)
    return { $metadata: meta, ...this.versionConfig(fn, qualifier) }
  }

  /** Publishes $LATEST; `description` (PublishVersion's) overrides the function's. */
  private publishNow(fn: FunctionRecord, description?: string): FunctionConfiguration {
    const latest = fn.versions[fn.versions.length - 1]
    // Publishing unchanged code returns the latest version instead of a new one.
    if (latest !== undefined && latest.codeSha256 === fn.codeSha256) return clone(latest.config)
    const version = String(fn.nextVersion)
    fn.nextVersion += 1
    const config: FunctionConfiguration = {
      ...this.functionConfig(fn),
      Version: version,
      FunctionArn: `${fn.arn}:${version}`,
      Description: description ?? fn.description,
      State: 'Active',
      LastUpdateStatus: 'Successful'
    }
    fn.versions.push({
      version,
      codeSha256: fn.codeSha256,
      config,
      replicated: false,
      detachedAt: undefined
    })
    return clone(config)
  }

  createFunction(input: CreateFunctionCommandInput): CreateFunctionCommandOutput {
    return this.mutation(
      'lambda',
      'CreateFunction',
      input.FunctionName ?? '?',
      `create publish=${input.Publish ?? false}`,
      () => {
        const name = input.FunctionName ?? ''
        if (this.state.functions.has(name)) {
          throw new ResourceConflictException({
            message: `Function already exist: ${name}`,
            $metadata: { httpStatusCode: 409 }
          })
        }
        const role = [...this.state.roles.values()].find((r) => r.arn === input.Role)
        const propagating =
          role !== undefined && this.state.clock < role.created + this.settings.rolePropagationMs
        if (role === undefined || propagating || !role.trust.includes('lambda.amazonaws.com')) {
          throw new InvalidParameterValueException({
            message: 'The role defined for the function cannot be assumed by Lambda.',
            $metadata: { httpStatusCode: 400 }
          })
        }
        const code = input.Code?.ZipFile
        if (code === undefined || code.length === 0) {
          throw new InvalidParameterValueException({
            message: 'Code.ZipFile is required (the model does not read S3).',
            $metadata: { httpStatusCode: 400 }
          })
        }
        const fn: FunctionRecord = {
          name,
          arn: `arn:aws:lambda:${GLOBAL_REGION}:${ACCOUNT}:function:${name}`,
          role: input.Role ?? '',
          runtime: input.Runtime ?? 'nodejs20.x',
          handler: input.Handler ?? 'index.handler',
          memorySize: input.MemorySize ?? 128,
          timeout: input.Timeout ?? 3,
          environment: input.Environment?.Variables,
          description: input.Description ?? '',
          code: new Uint8Array(code),
          codeSha256: sha256(code),
          state: 'Pending',
          lastUpdateStatus: 'Successful',
          pollsLeft: this.settings.lambdaPolls,
          settleAt: this.state.clock + this.settings.lambdaSettleMs,
          versions: [],
          nextVersion: 1,
          revision: 1,
          lastModified: this.state.clock
        }
        this.codeBySha.set(fn.codeSha256, fn.code)
        this.state.functions.set(name, fn)
        const out = input.Publish === true ? this.publishNow(fn) : this.functionConfig(fn)
        return { $metadata: { ...meta, httpStatusCode: 201 }, ...out }
      }
    )
  }

  private requireIdle(fn: FunctionRecord): void {
    this.pollFunction(fn, false)
    if (fn.state === 'Pending' || fn.lastUpdateStatus === 'InProgress') {
      throw new ResourceConflictException({
        message: `The operation cannot be performed at this time. An update is in progress for resource: ${fn.arn}`,
        $metadata: { httpStatusCode: 409 }
      })
    }
  }

  updateFunctionCode(input: UpdateFunctionCodeCommandInput): UpdateFunctionCodeCommandOutput {
    return this.mutation(
      'lambda',
      'UpdateFunctionCode',
      input.FunctionName ?? '?',
      `code publish=${input.Publish ?? false}`,
      () => {
        const { fn } = this.parseFunctionName(input.FunctionName)
        this.requireIdle(fn)
        const code = input.ZipFile
        if (code === undefined || code.length === 0) {
          throw new InvalidParameterValueException({
            message: 'ZipFile is required (the model does not read S3).',
            $metadata: { httpStatusCode: 400 }
          })
        }
        if (input.RevisionId !== undefined && input.RevisionId !== `rev-${fn.revision}`) {
          throw new PreconditionFailedException({
            message: 'The Revision Id provided does not match the latest Revision Id.',
            $metadata: { httpStatusCode: 412 }
          })
        }
        fn.code = new Uint8Array(code)
        fn.codeSha256 = sha256(code)
        this.codeBySha.set(fn.codeSha256, fn.code)
        fn.revision += 1
        fn.lastModified = this.state.clock
        fn.lastUpdateStatus = 'InProgress'
        fn.pollsLeft = this.settings.lambdaPolls
        fn.settleAt = this.state.clock + this.settings.lambdaSettleMs
        if (input.Publish === true) {
          // Lambda publishes once the update is done; the model does it at once.
          fn.lastUpdateStatus = 'Successful'
          return { $metadata: meta, ...this.publishNow(fn) }
        }
        return { $metadata: meta, ...this.functionConfig(fn) }
      }
    )
  }

  updateFunctionConfiguration(
    input: UpdateFunctionConfigurationCommandInput
  ): UpdateFunctionConfigurationCommandOutput {
    return this.mutation(
      'lambda',
      'UpdateFunctionConfiguration',
      input.FunctionName ?? '?',
      `runtime=${input.Runtime ?? '(same)'}`,
      () => {
        const { fn } = this.parseFunctionName(input.FunctionName)
        this.requireIdle(fn)
        if (input.Environment?.Variables !== undefined) fn.environment = input.Environment.Variables
        if (input.Runtime !== undefined) fn.runtime = input.Runtime
        if (input.Description !== undefined) fn.description = input.Description
        fn.revision += 1
        fn.lastModified = this.state.clock
        fn.lastUpdateStatus = 'InProgress'
        fn.pollsLeft = this.settings.lambdaPolls
        fn.settleAt = this.state.clock + this.settings.lambdaSettleMs
        return { $metadata: meta, ...this.functionConfig(fn) }
      }
    )
  }

  publishVersion(input: PublishVersionCommandInput): PublishVersionCommandOutput {
    return this.mutation('lambda', 'PublishVersion', input.FunctionName ?? '?', 'publish', () => {
      const { fn } = this.parseFunctionName(input.FunctionName)
      this.requireIdle(fn)
      if (input.CodeSha256 !== undefined && input.CodeSha256 !== fn.codeSha256) {
        throw new InvalidParameterValueException({
          message: `CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${fn.codeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
          $metadata: { httpStatusCode: 400 }
        })
      }
      if (input.RevisionId !== undefined && input.RevisionId !== `rev-${fn.revision}`) {
        throw new PreconditionFailedException({
          message: 'The Revision Id provided does not match the latest Revision Id.',
          $metadata: { httpStatusCode: 412 }
        })
      }
      return {
        $metadata: { ...meta, httpStatusCode: 201 },
        ...this.publishNow(fn, input.Description)
      }
    })
  }

  listVersionsByFunction(
    input: ListVersionsByFunctionCommandInput
  ): ListVersionsByFunctionCommandOutput {
    const { fn } = this.parseFunctionName(input.FunctionName)
    const all = [this.functionConfig(fn), ...fn.versions.map((v) => clone(v.config))]
    const from = input.Marker === undefined ? 0 : Number(input.Marker)
    const size = Math.min(input.MaxItems ?? 50, this.settings.pageSize)
    const next = from + size < all.length ? String(from + size) : undefined
    return {
      $metadata: meta,
      Versions: all.slice(from, from + size),
      ...(next === undefined ? {} : { NextMarker: next })
    }
  }

  deleteFunction(input: DeleteFunctionCommandInput): DeleteFunctionCommandOutput {
    const target = `${input.FunctionName ?? '?'}${input.Qualifier === undefined ? '' : `:${input.Qualifier}`}`
    return this.mutation('lambda', 'DeleteFunction', target, 'delete', () => {
      const { fn, qualifier } = this.parseFunctionName(input.FunctionName, input.Qualifier)
      if (qualifier === '$LATEST') {
        throw new InvalidParameterValueException({
          message: '$LATEST version cannot be deleted without deleting the function.',
          $metadata: { httpStatusCode: 400 }
        })
      }
      const versions =
        qualifier === undefined ? fn.versions : fn.versions.filter((v) => v.version === qualifier)
      if (qualifier !== undefined && versions.length === 0) {
        throw new LambdaNotFound({
          message: `Function not found: ${fn.arn}:${qualifier}`,
          $metadata: { httpStatusCode: 404 }
        })
      }
      for (const v of versions) {
        const lingering =
          v.replicated &&
          (v.detachedAt === undefined ||
            this.state.clock < v.detachedAt + this.settings.replicaLingerMs)
        if (lingering) {
          throw new InvalidParameterValueException({
            message: `Lambda was unable to delete ${fn.arn}:${v.version} because it is a replicated function. Please see our documentation for Deleting Lambda@Edge Functions and Replicas.`,
            $metadata: { httpStatusCode: 400 }
          })
        }
      }
      if (qualifier === undefined) this.state.functions.delete(fn.name)
      else fn.versions = fn.versions.filter((v) => v.version !== qualifier)
      return { $metadata: { ...meta, httpStatusCode: 204 } }
    })
  }

  // -- IAM -------------------------------------------------------------------------------------

  getRole(input: GetRoleCommandInput): GetRoleCommandOutput {
    const role = this.state.roles.get(input.RoleName ?? '')
    if (role === undefined) {
      throw new NoSuchEntityException({
        message: `The role with name ${input.RoleName ?? ''} cannot be found.`,
        $metadata: { httpStatusCode: 404 }
      })
    }
    return { $metadata: meta, Role: this.roleOut(role) }
  }

  private roleOut(role: RoleRecord): Role {
    return {
      Path: '/',
      RoleName: role.name,
      RoleId: `AROA${role.name
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 16)}`,
      Arn: role.arn,
      CreateDate: new Date(role.created),
      // IAM returns the trust policy URL-encoded.
      AssumeRolePolicyDocument: encodeURIComponent(role.trust)
    }
  }

  createRole(input: CreateRoleCommandInput): CreateRoleCommandOutput {
    return this.mutation('iam', 'CreateRole', input.RoleName ?? '?', 'create', () => {
      const name = input.RoleName ?? ''
      if (this.state.roles.has(name)) {
        throw new EntityAlreadyExistsException({
          message: `Role with name ${name} already exists.`,
          $metadata: { httpStatusCode: 409 }
        })
      }
      const trust = input.AssumeRolePolicyDocument ?? ''
      try {
        JSON.parse(trust)
      } catch {
        throw new MalformedPolicyDocumentException({
          message: 'This policy contains invalid Json',
          $metadata: { httpStatusCode: 400 }
        })
      }
      const role: RoleRecord = {
        name,
        arn: `arn:aws:iam::${ACCOUNT}:role${input.Path ?? '/'}${name}`,
        trust,
        policies: [],
        created: this.state.clock
      }
      this.state.roles.set(name, role)
      return { $metadata: meta, Role: this.roleOut(role) }
    })
  }

  listAttachedRolePolicies(
    input: ListAttachedRolePoliciesCommandInput
  ): ListAttachedRolePoliciesCommandOutput {
    const role = this.state.roles.get(input.RoleName ?? '')
    if (role === undefined) {
      throw new NoSuchEntityException({
        message: `The role with name ${input.RoleName ?? ''} cannot be found.`,
        $metadata: { httpStatusCode: 404 }
      })
    }
    const from = input.Marker === undefined ? 0 : Number(input.Marker)
    const size = Math.min(input.MaxItems ?? 100, this.settings.pageSize)
    const page = role.policies.slice(from, from + size)
    const more = from + size < role.policies.length
    return {
      $metadata: meta,
      AttachedPolicies: page.map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })),
      IsTruncated: more,
      ...(more ? { Marker: String(from + size) } : {})
    }
  }

  listServerCertificates(
    input: ListServerCertificatesCommandInput
  ): ListServerCertificatesCommandOutput {
    const all = [...this.state.serverCertificates.values()]
    const from = input.Marker === undefined ? 0 : Number(input.Marker)
    const size = Math.min(input.MaxItems ?? 100, this.settings.pageSize)
    const more = from + size < all.length
    return {
      $metadata: meta,
      ServerCertificateMetadataList: all.slice(from, from + size).map((c) => ({
        Path: '/cloudfront/',
        ServerCertificateName: c.name,
        ServerCertificateId: c.id,
        Arn: `arn:aws:iam::${ACCOUNT}:server-certificate/cloudfront/${c.name}`
      })),
      IsTruncated: more,
      ...(more ? { Marker: String(from + size) } : {})
    }
  }

  getServerCertificate(input: GetServerCertificateCommandInput): GetServerCertificateCommandOutput {
    const cert = [...this.state.serverCertificates.values()].find(
      (c) => c.name === input.ServerCertificateName
    )
    if (cert === undefined) {
      throw new NoSuchEntityException({
        message: `The Server Certificate with name ${input.ServerCertificateName ?? ''} cannot be found.`,
        $metadata: { httpStatusCode: 404 }
      })
    }
    return {
      $metadata: meta,
      ServerCertificate: {
        ServerCertificateMetadata: {
          Path: '/cloudfront/',
          ServerCertificateName: cert.name,
          ServerCertificateId: cert.id,
          Arn: `arn:aws:iam::${ACCOUNT}:server-certificate/cloudfront/${cert.name}`
        },
        CertificateBody: cert.pem
      }
    }
  }

  attachRolePolicy(input: AttachRolePolicyCommandInput): AttachRolePolicyCommandOutput {
    return this.mutation(
      'iam',
      'AttachRolePolicy',
      input.RoleName ?? '?',
      input.PolicyArn ?? '?',
      () => {
        const role = this.state.roles.get(input.RoleName ?? '')
        if (role === undefined) {
          throw new NoSuchEntityException({
            message: `The role with name ${input.RoleName ?? ''} cannot be found.`,
            $metadata: { httpStatusCode: 404 }
          })
        }
        if (input.PolicyArn !== undefined && !role.policies.includes(input.PolicyArn))
          role.policies.push(input.PolicyArn)
        return { $metadata: meta }
      }
    )
  }
}
