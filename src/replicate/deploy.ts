/**
 * The replication function's package and permissions: the built handler zipped as index.js
 * (deterministic bytes, so an unchanged function is not updated), its environment (table map,
 * control table) and an inline policy scoped to exactly these tables, streams and failure queue.
 */
import { createHash } from 'node:crypto'
import { strToU8, zipSync } from 'fflate'
import type { Runtime } from '@aws-sdk/client-lambda'
import type { StreamMappingSettings } from '../aws/lambda.js'
import { readAsset } from '../assets.js'
import type { ReplicationState } from './types.js'

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
}

/** `arn:<partition>:logs:<region>:<account>:log-group:/aws/lambda/<fn>:*` from a table ARN. */
export function logGroupArn(tableArn: string, functionName: string): string {
  const [, partition = 'aws', , region = '', account = ''] = tableArn.split(':')
  return `arn:${partition}:logs:${region}:${account}:log-group:/aws/lambda/${functionName}:*`
}

/** `arn:<partition>:sqs:<region>:<account>:<queue>` from a table ARN. */
export function queueArnOf(tableArn: string, queueName: string): string {
  const [, partition = 'aws', , region = '', account = ''] = tableArn.split(':')
  return `arn:${partition}:sqs:${region}:${account}:${queueName}`
}

/** Blue table → green table, in a stable order (the function's BLUEGREEN_TABLE_MAP). */
export function tableMapOf(
  tables: readonly { blue: string; green: string }[]
): Record<string, string> {
  return Object.fromEntries(
    [...tables].sort((a, b) => (a.blue < b.blue ? -1 : 1)).map((t) => [t.blue, t.green])
  )
}

/**
 * The role's inline policy for `tables`, from the state and the stream ARNs learnt while running
 * (`streams`, blue → ARN) and the queue's ARN once known; undefined while a stream ARN is unknown.
 */
export function policyFor(
  state: ReplicationState,
  tables: readonly { blue: string; green: string }[],
  streams: ReadonlyMap<string, string>,
  queueArn?: string
): string | undefined {
  const anyArn =
    state.tables.find((t) => t.blueInfo !== undefined)?.blueInfo?.arn ??
    `arn:aws:dynamodb:us-east-1:000000000000:table/${tables[0]?.blue ?? 'unknown'}`
  const streamArns: string[] = []
  for (const t of tables) {
    const arn =
      streams.get(t.blue) ??
      state.control?.tables.get(t.blue)?.table.streamArn ??
      state.tables.find((f) => f.blue === t.blue)?.blueInfo?.stream.arn
    if (arn === undefined) return undefined
    streamArns.push(arn)
  }
  return replicationPolicy({
    blueTableArns: tables.map((t) => tableArnOf(anyArn, t.blue)),
    greenTableArns: tables.map((t) => tableArnOf(anyArn, t.green)),
    streamArns,
    controlTableArn: tableArnOf(anyArn, state.names.controlTable),
    logGroupArn: logGroupArn(anyArn, state.names.functionName),
    failureQueueArn: queueArn ?? state.queue?.arn ?? queueArnOf(anyArn, state.names.failureQueue)
  })
}

export function tableArnOf(anyTableArn: string, table: string): string {
  const base = anyTableArn.slice(0, anyTableArn.indexOf(':table/'))
  return `${base}:table/${table}`
}

export function replicationPolicy(scope: PolicyScope): string {
  const streamTables = scope.streamArns.map((arn) => arn.slice(0, arn.indexOf('/stream/')))
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadBlue',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem'],
        Resource: scope.blueTableArns
      },
      {
        Sid: 'WriteGreen',
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Resource: scope.greenTableArns
      },
      {
        Sid: 'ReadStreams',
        Effect: 'Allow',
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        Resource: scope.streamArns
      },
      {
        Sid: 'ListStreams',
        Effect: 'Allow',
        Action: ['dynamodb:ListStreams'],
        Resource: streamTables.map((t) => `${t}/stream/*`)
      },
      {
        Sid: 'Progress',
        Effect: 'Allow',
        Action: ['dynamodb:UpdateItem'],
        Resource: [scope.controlTableArn]
      },
      {
        Sid: 'Logs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [scope.logGroupArn]
      },
      {
        Sid: 'FailedBatches',
        Effect: 'Allow',
        Action: ['sqs:SendMessage'],
        Resource: [scope.failureQueueArn]
      }
    ]
  })
}
