/**
 * The replication function's package and permissions: the built handler zipped as index.js
 * (deterministic bytes, so an unchanged function is not updated), its environment (table map,
 * bucket map, control table) and an inline policy scoped to exactly these tables, streams,
 * buckets and queues.
 */
import { createHash } from 'node:crypto'
import { strToU8, zipSync } from 'fflate'
import type { Runtime } from '@aws-sdk/client-lambda'
import type { StreamMappingSettings } from '../aws/lambda.js'
import { readAsset } from '../assets.js'
import type { BucketConfig } from './s3/apply.js'
import { deliveryNames } from './s3/delivery.js'
import type { BucketPairing, ReplicationState } from './types.js'

export const HANDLER_ASSET = 'replicate/handler.js'

/** The replication function: Node.js 22 (20.x can no longer be created or updated). */
export const FUNCTION_RUNTIME = 'nodejs22.x' satisfies Runtime
export const FUNCTION_HANDLER = 'index.handler'
export const FUNCTION_MEMORY_MB = 256
export const FUNCTION_TIMEOUT_SECONDS = 60
export const TRUSTED_SERVICES = ['lambda.amazonaws.com'] as const

/**
 * How long Lambda keeps retrying a failing batch: 12 hours, half of the stream's 24-hour
 * retention. Lambda then sends a record of the batch (shard and sequence numbers, not the
 * records) to the failure queue; the other 12 hours are left for `replicate repair` to read the
 * records back from the stream. Retries themselves are unbounded in number (-1), so nothing is
 * discarded while it can still succeed.
 */
export const MAX_RECORD_AGE_SECONDS = 12 * 3600

/** The settings of every mapping of the replication function. */
export function mappingSettings(failureQueueArn: string): StreamMappingSettings {
  return {
    batchSize: 100,
    bisectBatchOnFunctionError: true,
    reportBatchItemFailures: true,
    maximumRetryAttempts: -1,
    maximumRecordAgeInSeconds: MAX_RECORD_AGE_SECONDS,
    onFailureArn: failureQueueArn
  }
}

/** Zip of the bundled handler as index.js, with a fixed timestamp (same input, same bytes). */
export function zipHandler(code: string): Uint8Array {
  return zipSync(
    { 'index.js': [strToU8(code), { mtime: new Date('2000-01-01T00:00:00Z') }] },
    { level: 9 }
  )
}

export async function handlerZip(): Promise<Uint8Array> {
  return zipHandler(await readAsset(HANDLER_ASSET))
}

/** Lambda's CodeSha256: base64 of the zip's SHA-256. */
export function codeSha256(zip: Uint8Array): string {
  return createHash('sha256').update(zip).digest('base64')
}

export interface PolicyScope {
  /** arn:aws:dynamodb:region:account */
  blueTableArns: string[]
  greenTableArns: string[]
  streamArns: string[]
  controlTableArn: string
  logGroupArn: string
  /** The SQS queue the event source mappings send failed batches to (with this role). */
  failureQueueArn: string
  /** Bucket names (no ARNs: S3 ARNs have no region or account). */
  blueBuckets: string[]
  greenBuckets: string[]
  /** The queue blue's S3 events wait in; undefined without buckets. */
  eventsQueueArn: string | undefined
  partition: string
}

/** Partition, region and account of an ARN. */
export interface AccountBase {
  partition: string
  region: string
  account: string
}

export function baseOf(arn: string): AccountBase | undefined {
  const [prefix, partition, , region, account] = arn.split(':')
  if (prefix !== 'arn' || partition === undefined || region === undefined || account === undefined)
    return undefined
  return { partition, region, account }
}

const arnIn = (base: AccountBase, service: string, resource: string): string =>
  `arn:${base.partition}:${service}:${base.region}:${base.account}:${resource}`

/** `arn:<partition>:logs:<region>:<account>:log-group:/aws/lambda/<fn>:*` from a table ARN. */
export function logGroupArn(tableArn: string, functionName: string): string {
  const [, partition = 'aws', , region = '', account = ''] = tableArn.split(':')
  return `arn:${partition}:logs:${region}:${account}:log-group:/aws/lambda/${functionName}:*`
}

/** Blue table → green table, in a stable order (the function's BLUEGREEN_TABLE_MAP). */
export function tableMapOf(
  tables: readonly { blue: string; green: string }[]
): Record<string, string> {
  return Object.fromEntries(
    [...tables].sort((a, b) => (a.blue < b.blue ? -1 : 1)).map((t) => [t.blue, t.green])
  )
}

/** Blue bucket → its green, kind, ignore list and green's region (BLUEGREEN_BUCKET_MAP). */
export function bucketMapOf(buckets: readonly BucketPairing[]): Record<string, BucketConfig> {
  return Object.fromEntries(
    [...buckets]
      .sort((a, b) => (a.blue < b.blue ? -1 : 1))
      .map((b) => [
        b.blue,
        {
          green: b.green,
          kind: b.kind,
          ignore: b.patterns,
          ...(b.greenRegion === undefined ? {} : { region: b.greenRegion })
        }
      ])
  )
}

/** The function's environment: what it replicates, and where its heartbeat goes. */
export function functionEnvironment(
  controlTable: string,
  tables: readonly { blue: string; green: string }[],
  buckets: readonly BucketPairing[]
): Record<string, string> {
  return {
    BLUEGREEN_TABLE_MAP: JSON.stringify(tableMapOf(tables)),
    BLUEGREEN_CONTROL_TABLE: controlTable,
    ...(buckets.length === 0 ? {} : { BLUEGREEN_BUCKET_MAP: JSON.stringify(bucketMapOf(buckets)) })
  }
}

/**
 * The role's inline policy for `tables` and `buckets`, from the state and the stream ARNs learnt
 * while running (`streams`, blue → ARN) and the failure queue's ARN once known; undefined while
 * a stream ARN, or the account (from a table or the queue), is unknown.
 */
export function policyFor(
  state: ReplicationState,
  tables: readonly { blue: string; green: string }[],
  streams: ReadonlyMap<string, string>,
  queueArn?: string,
  buckets: readonly BucketPairing[] = []
): string | undefined {
  const failureArn = queueArn ?? state.queue?.arn
  const anyTableArn = state.tables.find((t) => t.blueInfo !== undefined)?.blueInfo?.arn
  const base =
    (anyTableArn === undefined ? undefined : baseOf(anyTableArn)) ??
    (failureArn === undefined ? undefined : baseOf(failureArn)) ??
    (tables.length > 0
      ? { partition: 'aws', region: 'us-east-1', account: '000000000000' }
      : undefined)
  if (base === undefined) return undefined
  const streamArns: string[] = []
  for (const t of tables) {
    const arn =
      streams.get(t.blue) ??
      state.control?.tables.get(t.blue)?.table.streamArn ??
      state.tables.find((f) => f.blue === t.blue)?.blueInfo?.stream.arn
    if (arn === undefined) return undefined
    streamArns.push(arn)
  }
  const tableArn = (name: string): string => arnIn(base, 'dynamodb', `table/${name}`)
  return replicationPolicy({
    blueTableArns: tables.map((t) => tableArn(t.blue)),
    greenTableArns: tables.map((t) => tableArn(t.green)),
    streamArns,
    controlTableArn: tableArn(state.names.controlTable),
    logGroupArn: arnIn(base, 'logs', `log-group:/aws/lambda/${state.names.functionName}:*`),
    failureQueueArn: failureArn ?? arnIn(base, 'sqs', state.names.failureQueue),
    blueBuckets: buckets.map((b) => b.blue),
    greenBuckets: buckets.map((b) => b.green),
    eventsQueueArn:
      buckets.length === 0
        ? undefined
        : arnIn(base, 'sqs', deliveryNames(state.names.functionName).queue),
    partition: base.partition
  })
}

/**
 * Only what the function does: for tables, a consistent GetItem on blue, Put/Delete on green,
 * the streams; for buckets, HeadObject/GetObject and tags on blue (a copy reads the source),
 * the copy's writes and deletes on green, ListBucket on both (without it S3 answers 403, not
 * 404, for a key that does not exist), and the events queue; the heartbeat, logs, failed batches.
 * A statement with nothing to name is left out (IAM refuses an empty Resource).
 */
export function replicationPolicy(scope: PolicyScope): string {
  const streamTables = scope.streamArns.map((arn) => arn.slice(0, arn.indexOf('/stream/')))
  const s3 = (bucket: string, objects: boolean): string =>
    `arn:${scope.partition}:s3:::${bucket}${objects ? '/*' : ''}`
  const statements = [
    { Sid: 'ReadBlue', Action: ['dynamodb:GetItem'], Resource: scope.blueTableArns },
    {
      Sid: 'WriteGreen',
      Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      Resource: scope.greenTableArns
    },
    {
      Sid: 'ReadStreams',
      Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      Resource: scope.streamArns
    },
    {
      Sid: 'ListStreams',
      Action: ['dynamodb:ListStreams'],
      Resource: streamTables.map((t) => `${t}/stream/*`)
    },
    {
      Sid: 'ListBuckets',
      Action: ['s3:ListBucket'],
      Resource: [...scope.blueBuckets, ...scope.greenBuckets].map((b) => s3(b, false))
    },
    {
      Sid: 'ReadBlueObjects',
      Action: ['s3:GetObject', 's3:GetObjectTagging'],
      Resource: scope.blueBuckets.map((b) => s3(b, true))
    },
    {
      Sid: 'WriteGreenObjects',
      Action: [
        's3:GetObject',
        's3:PutObject',
        's3:PutObjectTagging',
        's3:DeleteObject',
        's3:AbortMultipartUpload'
      ],
      Resource: scope.greenBuckets.map((b) => s3(b, true))
    },
    {
      Sid: 'ObjectEvents',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: scope.eventsQueueArn === undefined ? [] : [scope.eventsQueueArn]
    },
    { Sid: 'Progress', Action: ['dynamodb:UpdateItem'], Resource: [scope.controlTableArn] },
    {
      Sid: 'Logs',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [scope.logGroupArn]
    },
    { Sid: 'FailedBatches', Action: ['sqs:SendMessage'], Resource: [scope.failureQueueArn] }
  ]
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements
      .filter((st) => st.Resource.length > 0)
      .map((st) => ({ Sid: st.Sid, Effect: 'Allow', Action: st.Action, Resource: st.Resource }))
  })
}
