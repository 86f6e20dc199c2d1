/**
 * The plan vocabulary of `replicate`: the facts discover reads (ReplicationState), the steps the
 * planners return (ReplicateStep) and the plan. discover.ts, the planners and execute.ts import
 * only these; the executor is described entirely by the steps and the state it was planned from.
 *
 * Both are split by kind of resource: `shared` (control table, function, role, failure queue)
 * and `tables` (DynamoDB pairs, their streams and mappings). Another kind (S3 buckets) adds its
 * own section beside `tables` in the state, its own step section and its own executor branch.
 */
import type { StreamStatus, TableInfo, TypeViolation } from '../aws/dynamodb.js'
import type { RoleState } from '../aws/iam.js'
import type { FunctionState, Mapping } from '../aws/lambda.js'
import type { ControlState, EnablingMarker, TableControl } from './control.js'
import type { ReplicationNames } from './names.js'
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

export interface QueueFacts {
  url: string
  arn: string
  /** ApproximateNumberOfMessages; undefined when it could not be read (then `countError`). */
  messages: number | undefined
  countError: string | undefined
}

export interface ReplicationState {
  names: ReplicationNames
  /** How the operator named blue and green (recorded in the control table). */
  envs: { blue: string; green: string }
  now: Date
  control: ControlState | undefined
  tables: TableFacts[]
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
    | { kind: 'role-policy'; tables: { blue: string; green: string }[] }
    | { kind: 'role-delete' }
    | { kind: 'function-create'; environment: Record<string, string> }
    | { kind: 'function-code' }
    | { kind: 'function-config'; environment: Record<string, string> }
    | { kind: 'function-delete' }
    /** Re-applies the keys of every failed batch in the queue, deleting each once applied. */
    | { kind: 'drain-queue'; tables: { blue: string; green: string }[] }
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

export type ReplicateStep = SharedStep | TableStep

/** A planner's answer: the steps in order, and what the operator should know. */
export interface ReplicatePlan {
  steps: ReplicateStep[]
  notes: string[]
  warnings: string[]
}
