/**
 * The plan vocabulary of `replicate`: the facts discover reads (ReplicationState), the steps the
 * planners return (ReplicateStep) and the plan. discover.ts, the planners and execute.ts import
 * only these; the executor is described entirely by the steps and the state it was planned from.
 *
 * Both are split by kind of resource: `shared` (control table, function, role, failure queue),
 * `tables` (DynamoDB pairs, their streams and mappings) and `buckets` (S3 pairs, the delivery of
 * blue's object events and the function's mapping on the events queue).
 */
import type { StreamStatus, TableInfo, TypeViolation } from '../aws/dynamodb.js'
import type { Rule, Target } from '../aws/eventbridge.js'
import type { RoleState } from '../aws/iam.js'
import type { FunctionState, Mapping } from '../aws/lambda.js'
import type { ControlState, EnablingMarker, TableControl } from './control.js'
import type { ReplicationNames } from './names.js'
import type { BucketControl } from './s3/records.js'
import type { BucketInfo } from './s3/delivery.js'
import type { BucketKind, IgnoreSource } from './s3/ignore.js'
import type { IteratorLag } from './status.js'

/** Everything known about one blue → green table pair, read before planning. */
export interface TableFacts {
  blue: string
  green: string
  /** undefined: the table does not exist (or was not read for this command). */
  blueInfo: TableInfo | undefined
  greenInfo: TableInfo | undefined
  /** DescribeStream of blue's current stream; undefined without a stream. */
  streamStatus: StreamStatus | undefined
  control: TableControl | undefined
  marker: EnablingMarker | undefined
  /** Mappings of other functions on blue's current stream (their readers). */
  otherReaders: Mapping[]
  /** Our function's mappings on the stream recorded for this table (or on blue's stream). */
  ours: Mapping[]
  /** Green holds at least one item; undefined when not read (only prepare needs it). */
  greenHasItems: boolean | undefined
  /** Items of a blue sample whose attributes do not fit the type of a green index key. */
  indexViolations: TypeViolation[]
}

/** Everything known about one blue → green bucket pair, read before planning. */
export interface BucketFacts {
  blue: string
  green: string
  kind: BucketKind
  /**
   * The ignore list of this run: the input when given, else the one prepare recorded, else
   * DEEP's default for the kind (then `patterns` is empty).
   */
  ignore: { patterns: string[]; source: IgnoreSource | { kind: 'recorded' } }
  /** undefined: not read for this command. */
  blueInfo: BucketInfo | undefined
  greenInfo: BucketInfo | undefined
  /** Blue's website configuration exists: copies keep each object's redirect location. */
  blueWebsite: boolean
  /** What the control table holds for the pair. */
  control: BucketControl | undefined
  /** Objects of blue as CloudWatch last counted them (NumberOfObjects, daily), when known. */
  objectEstimate: number | undefined
}

/** The events queue between EventBridge and the function. */
export interface EventsQueueFacts {
  url: string
  arn: string
  attributes: Record<string, string>
  /** Events waiting plus in flight; undefined when they could not be counted. */
  backlog: number | undefined
}

/** How blue's object events reach the function: our rule, its target, the events queue. */
export interface DeliveryFacts {
  rule: Rule | undefined
  targets: Target[]
  queue: EventsQueueFacts | undefined
  /** The failure queue's resource policy (EventBridge's dead letters need it). */
  failureQueuePolicy: string | undefined
  /** The other rules of the default event bus (who else may use a bucket's events). */
  otherRules: Rule[]
  /** Our function's mappings on the events queue. */
  mappings: Mapping[]
}

export interface QueueFacts {
  url: string
  arn: string
  /** ApproximateNumberOfMessages; undefined when it could not be read (then `countError`). */
  messages: number | undefined
  countError: string | undefined
}

export interface ReplicationState {
  names: ReplicationNames
  /** The replication region (tables, the function, its queues, blue's buckets). */
  region: string
  /** How the operator named blue and green (recorded in the control table). */
  envs: { blue: string; green: string }
  now: Date
  control: ControlState | undefined
  tables: TableFacts[]
  buckets: BucketFacts[]
  delivery: DeliveryFacts
  fn: FunctionState | undefined
  role: RoleState | undefined
  queue: QueueFacts | undefined
  /** Every mapping of our function (any table, any state). */
  mappings: Mapping[]
  /** CodeSha256 of the function package this release deploys. */
  codeSha256: string
  /** Since when green takes writes of its own (recorded by publish), if it does. */
  greenTrafficSince: string | undefined
  /** The function's IteratorAge, read when some table is in the stream phase. */
  lag: IteratorLag
  /** What discover could not read but the command can do without (report warnings). */
  warnings: string[]
}

interface Row {
  /** For the operator: what the step changes, naming the AWS calls. */
  description: string
  /** The resource it changes. */
  resource: string
}

export type SharedStep = Row & { section: 'shared' } & (
    | { kind: 'control-create' }
    | { kind: 'control-delete' }
    | { kind: 'queue-create' }
    | { kind: 'queue-delete' }
    | { kind: 'role-create' }
    /** The inline policy for these tables (stream ARNs resolved when it runs). */
    | { kind: 'role-policy'; tables: { blue: string; green: string }[]; buckets: BucketPairing[] }
    | { kind: 'role-delete' }
    | { kind: 'function-create'; environment: Record<string, string> }
    | { kind: 'function-code' }
    | { kind: 'function-config'; environment: Record<string, string> }
    | { kind: 'function-delete' }
    /** Re-applies the keys of every failed batch in the queue, deleting each once applied. */
    | { kind: 'drain-queue'; tables: { blue: string; green: string }[]; buckets: BucketPairing[] }
  )

export type TableStep = Row & { section: 'tables'; table: string } &
  /** UpdateTable (stream on), then the marker naming the new stream. */
  (
    | { kind: 'enable-stream' }
    /** A marker that does not name the table's stream any more. */
    | { kind: 'clear-marker' }
    /** Waits for DescribeStream ENABLED, then records T0 and the stream. */
    | {
        kind: 'record-t0'
        green: string
        segments: number
        streamEnabledByUs: boolean
        greenHadItems: boolean
      }
    | { kind: 'backfill'; green: string; segments: number[]; removeExtra: boolean }
    | { kind: 'mapping-create'; streamArn: string }
    /** Enables a Disabled mapping (after any Disabling) and sets its settings. */
    | { kind: 'mapping-update'; uuid: string; enable: boolean }
    /** DeleteEventSourceMapping, then waits until it is gone. */
    | { kind: 'mapping-delete'; uuid: string }
    /** A mapping already Deleting: wait until it is gone. */
    | { kind: 'mapping-wait-gone'; uuid: string }
    | { kind: 'disable-stream'; streamArn: string }
    /** Compares blue and green and applies every differing key (consistent reads). */
    | { kind: 'resync'; green: string }
  )

/** A bucket pair as the function and repair apply it. */
export interface BucketPairing {
  blue: string
  green: string
  kind: BucketKind
  /** Empty: DEEP's default for the kind. */
  patterns: string[]
  /** Green's region when it is not the replication region. */
  greenRegion: string | undefined
}

/**
 * `bucket` is the blue bucket, or for the delivery's own steps (rule, events queue, mapping) the
 * resource they change.
 */
export type BucketStep = Row & { section: 'buckets'; bucket: string } &
  /** Read-modify-write of blue's notification configuration with EventBridge on, then a note. */
  (
    | { kind: 'eventbridge-on' }
    /** PutRule: Object Created / Object Deleted of these blue buckets. */
    | { kind: 'rule-put'; buckets: string[] }
    /** CreateQueue / SetQueueAttributes: retention, visibility, only our rule may send, redrive. */
    | { kind: 'events-queue' }
    /** The failure queue's policy lets our rule send it what EventBridge cannot deliver. */
    | { kind: 'failure-queue-policy' }
    | { kind: 'rule-target' }
    /** Records the pair and its ignore list (before anything of its delivery exists). */
    | { kind: 'record-pair'; route: BucketPairing; objectEstimate: number }
    /** Records T0: the delivery is in place, and blue's events are complete from then on. */
    | { kind: 'record-t0' }
    /** A new ignore list: recorded, and the copy makes a new pass. */
    | { kind: 'record-ignore'; route: BucketPairing }
    /**
     * The copy: resumes or starts a pass, then a catch-up pass once events are complete (T0)
     * when the pass began before it.
     */
    | { kind: 'copy'; route: BucketPairing; deleteExtra: boolean }
    | { kind: 'mapping-create' }
    | { kind: 'mapping-update'; uuid: string; enable: boolean }
    | { kind: 'mapping-delete'; uuid: string }
    | { kind: 'mapping-wait-gone'; uuid: string }
    | { kind: 'rule-delete' }
    | { kind: 'events-queue-delete' }
    /** EventBridge off again on a blue bucket where prepare turned it on (nobody else needs it). */
    | { kind: 'eventbridge-off' }
    /** Compares the buckets and applies every differing key, then re-reads those keys. */
    | { kind: 'resync'; route: BucketPairing }
  )

export type ReplicateStep = SharedStep | TableStep | BucketStep

/** A planner's answer: the steps in order, and what the operator should know. */
export interface ReplicatePlan {
  steps: ReplicateStep[]
  notes: string[]
  warnings: string[]
}
