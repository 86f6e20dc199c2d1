/**
 * publish's vocabulary, shared by discover (which fills Observed), the planner (Observed +
 * PlanRequest → Plan) and apply (which carries out a Plan with the raw configs discover read).
 * Types and constants only: no AWS SDK, no I/O.
 */
import type { PublishState, Server } from '../report.js'

export type { PublishState } from '../report.js'
export type Colour = 'blue' | 'green'
export type DistKey = 'blue' | 'green' | 'router'
/** What serves a hostname: a colour, the router's edge function, or a distribution not ours. */
export type ServedBy = Server

/** The resource of a row about a router this run has not created yet (apply names it after). */
export const NEW_ROUTER = '(new router)'
/** The target of a DNS row that points at a router this run has not created yet. */
export const NEW_ROUTER_DOMAIN = '(the router this run creates)'

/**
 * What the router distribution does: `edge` = the router shape with the desired edge version on
 * viewer-request; `edge-stale` = our edge function, but another version or an older shape (a
 * clone of blue an older release made); `pass-blue` / `pass-green` = the router shape without
 * the edge function, falling back to that colour; `other` = none of these (hand-edited, or an
 * older release's pass-through clone).
 */
export type RouterMode = 'edge' | 'edge-stale' | 'pass-blue' | 'pass-green' | 'other'
/** Modes the planner can put the router into. */
export type TargetRouterMode = 'edge' | 'pass-blue' | 'pass-green'

/** The tags on the router: the only state publish keeps (ramps read and write them too). */
export const ROUTER_TAGS = {
  domain: 'bluegreen:domain',
  blue: 'bluegreen:blue',
  green: 'bluegreen:green',
  weights: 'bluegreen:weights',
  switchedAt: 'bluegreen:switched-at',
  runUrl: 'bluegreen:run-url',
  /** The GitHub login that started the run (GITHUB_ACTOR). */
  actor: 'bluegreen:actor',
  updatedAt: 'bluegreen:updated-at'
} as const

/** Every router's Comment starts with this (tags are the proof; the comment finds candidates). */
export const ROUTER_COMMENT_PREFIX = 'bluegreen-router'

export interface Names {
  /** D */
  domain: string
  /** A */
  apex: string
  /** W = *.A */
  wildcard: string
  /** B1 */
  blueHost: string
  /** G2 */
  greenHost: string
}

/** How a distribution takes part in CloudFront continuous deployment. */
export type ContinuousDeployment = 'none' | 'primary' | 'staging'

export interface DistFacts {
  id: string
  /** dxxxx.cloudfront.net */
  domainName: string
  enabled: boolean
  /** Every alias it holds, lower case (ours and others'). */
  aliases: string[]
  /** Names its certificate covers (empty: the default *.cloudfront.net certificate). */
  certNames: string[]
  /** Human name of the certificate, for messages. */
  certificate: string
  ipv6: boolean
  deployed: boolean
  /** A continuous-deployment policy attached (primary) or a staging distribution. */
  continuousDeployment: ContinuousDeployment
  /** `tenant-only` for a multi-tenant distribution (its domains live on tenants). */
  connectionMode: string
}

export interface RouterFacts extends DistFacts {
  mode: RouterMode
  tags: Record<string, string>
}

export interface ObservedRecord {
  name: string
  type: string
  /** Alias target DNS name (lower case, no trailing dot); undefined for plain records. */
  aliasTarget: string | undefined
  /** Weighted, latency, failover, geolocation... records carry one. */
  setIdentifier?: string | undefined
}

/** Where a host's records live (route53 mode): the most specific hosted zone that holds it. */
export interface HostZone {
  host: string
  zoneId: string
  zoneName: string
}

/** Does a host resolve to CloudFront (manual DNS, checked through the configured resolvers)? */
export interface HostResolution {
  host: string
  resolves: boolean
  /** What the resolvers answered, for the operator. */
  detail: string
}

/** The router's Lambda@Edge function, its role and versions, as discover read them. */
export interface EdgeFacts {
  functionName: string
  roleName: string
  /** undefined: the role does not exist. */
  roleArn: string | undefined
  /** Is the basic execution (logging) policy attached to the role? */
  rolePolicyAttached: boolean
  /** $LATEST; undefined: the function does not exist. */
  fn:
    | {
        runtime: string
        codeSha256: string
        /** Pending / Active / ... */
        state: string
        /** InProgress / Successful / Failed */
        lastUpdateStatus: string
      }
    | undefined
  /** A published version already carrying the desired package (by its description). */
  desiredVersionArn: string | undefined
}

/** The package the target needs (split only): what the function's code and version must be. */
export interface DesiredEdge {
  /** Base64 SHA-256 of the zip, as Lambda reports it. */
  sha256: string
  /** The version's description, which identifies the package. */
  description: string
  runtime: string
}

export interface Observed {
  names: Names
  blue: DistFacts
  green: DistFacts
  router: RouterFacts | undefined
  /** Distributions other than blue/green/router holding any of D, W, B1, G2. */
  others: { id: string; aliases: string[]; enabled: boolean }[]
  /** route53 when every zone was found and readable; manual otherwise. */
  dnsMode: 'route53' | 'manual'
  /** Why DNS is manual in auto mode, when it is (for the warning). */
  manualReason?: string | undefined
  /** The zone of each of D, B1, G2 (route53 mode). */
  zones?: HostZone[] | undefined
  /** Records at D, B1, G2 (route53 mode). */
  records: ObservedRecord[]
  /**
   * NS records that delegate D, B1 or G2 (or a name between it and its zone) to name servers
   * of a zone this role cannot see: a record written in the parent zone would not be answered.
   */
  delegations?: { host: string; name: string; zoneName: string }[] | undefined
  /** Manual mode with a split target: whether B1 and G2 resolve (undefined: not checked). */
  resolution?: HostResolution[] | undefined
  /** Does the edge function exist (read only when cleanup is asked)? */
  edgeFunctionExists: boolean
  /** The edge function (read when the target is split). */
  edge?: EdgeFacts | undefined
}

export interface PlanRequest {
  weights: { blue: number; green: number }
  dns: 'auto' | 'route53' | 'manual'
  cleanup: boolean
  cleanupMinAgeMs: number
  /** Did the operator allow adding G2 to green (update-green-alias, or Y at the prompt)? */
  greenAliasConsent: boolean
  /** Wait for the last change to be Deployed. Intermediate barriers are always kept. */
  wait: boolean
  waitTimeoutMs: number
  now: Date
  /** The package the edge function must carry (split). */
  desiredEdge?: DesiredEdge | undefined
  /** The workflow run, recorded on the router's tags. */
  runUrl?: string | undefined
  /** Who started the run, recorded on the router's tags. */
  actor?: string | undefined
  /**
   * The rollout's record (bluegreen:ramp* tags), written in the same TagResource as the router's
   * own tags once every other step is done: a ramp's state, or a ramp this publish stops.
   */
  rolloutTags?: Record<string, string> | undefined
  /**
   * Rollout tags written before the first change (a rollback records itself first, so that a
   * run dying halfway leaves the ramp rolled back, not resumable).
   */
  rolloutFirst?: Record<string, string> | undefined
}

export interface WantedRecord {
  name: string
  /** CNAME only in manual instructions for an outside DNS provider. */
  type: 'A' | 'AAAA' | 'CNAME'
  /** The distribution the record points at (its domain is known only once it exists). */
  dist: DistKey
}

interface StepBase {
  description: string
  resource: string
}

export type Step = StepBase &
  (
    | { kind: 'edge-role' }
    | { kind: 'edge-role-policy' }
    | { kind: 'edge-function' }
    | { kind: 'edge-runtime' }
    | { kind: 'edge-code' }
    | { kind: 'edge-version' }
    | { kind: 'update'; dist: 'blue' | 'green'; aliases: string[] }
    | {
        kind: 'router-create'
        aliases: string[]
        mode: TargetRouterMode
        tags: Record<string, string>
      }
    /** `keep`: only the aliases change, on the router's current config. */
    | {
        kind: 'router-update'
        aliases: string[]
        mode: TargetRouterMode | 'keep'
        enabled: boolean
      }
    | { kind: 'wait'; dists: DistKey[] }
    /** One change batch in one hosted zone. */
    | { kind: 'dns'; zoneId: string; zoneName: string; records: WantedRecord[] }
    /** Wait until every change batch of this run so far is INSYNC. */
    | { kind: 'dns-sync' }
    | { kind: 'router-tags'; tags: Record<string, string> }
    | { kind: 'router-disable' }
    | { kind: 'router-delete' }
    | { kind: 'edge-delete' }
  )

/** What a run needs to know that is not a step: names, settings and the DNS it prints. */
export interface Plan {
  state: PublishState
  steps: Step[]
  /** Every record the target (or this phase) needs: manual DNS prints these. */
  records: WantedRecord[]
  dnsMode: 'route53' | 'manual'
  /** Manual DNS, split asked but B1/G2 do not resolve yet: only the router-free changes. */
  phase: 'complete' | 'records-first'
  warnings: string[]
  /** The router's identity (a create uses these). */
  router: { comment: string; callerReference: string }
  /** The edge version the router will run when no step publishes one (reused). */
  edgeVersionArn: string | undefined
  /** A Route53 AccessDenied on a record write may fall back to manual (dns: auto). */
  dnsFallback: boolean
  waitTimeoutMs: number
  /**
   * Who serves D, B1 and G2 as read (undefined: nobody, or a disabled holder) and once this
   * plan is carried out (manual DNS phase 1: the router-free state it stops at).
   */
  serving: { before: Record<string, ServedBy | undefined>; after: Record<string, ServedBy> }
}

export interface ApplyResult {
  routerId: string | undefined
  /** The edge version the router runs after this run (split), if any. */
  edgeVersionArn: string | undefined
  dnsMode: 'route53' | 'manual'
}

export function stateOf(weights: { blue: number; green: number }): PublishState {
  if (weights.blue > 0 && weights.green > 0) return 'split'
  return weights.blue > 0 ? 'all-blue' : 'all-green'
}
