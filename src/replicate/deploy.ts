/**
 * The replication function's package and permissions: the built handler zipped as index.js
 * (deterministic bytes, so an unchanged function is not updated), its environment (table map,
 * control table) and an inline policy scoped to exactly these tables, streams and failure queue.
 */
import { createHash } from 'node:crypto'
import { strToU8, zipSync } from 'fflate'
import { readAsset } from '../assets.js'

export const HANDLER_ASSET = 'replicate/handler.js'

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
