/**
 * Which source an event comes from, by its shape: a batch of DynamoDB stream records (every
 * record's eventSource is `aws:dynamodb`) today; S3 event notifications (`aws:s3` records) or
 * EventBridge events (`source: aws.s3`) are further kinds of the same union. An empty batch is a
 * stream batch with nothing to apply.
 */
import type { DynamoDBRecord } from 'aws-lambda'

export type EventKind =
  { kind: 'dynamodb-stream'; records: DynamoDBRecord[] } | { kind: 'unknown'; reason: string }

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

export function eventKind(event: unknown): EventKind {
  if (!isObject(event)) return { kind: 'unknown', reason: 'not an object' }
  const records = event.Records
  if (!Array.isArray(records)) {
    return {
      kind: 'unknown',
      reason: typeof event.source === 'string' ? `source ${event.source}` : 'no Records'
    }
  }
  const sources = new Set(records.map((r) => (isObject(r) ? r.eventSource : undefined)))
  if (records.length === 0 || (sources.size === 1 && sources.has('aws:dynamodb'))) {
    return { kind: 'dynamodb-stream', records: records as DynamoDBRecord[] }
  }
  return { kind: 'unknown', reason: `records from ${[...sources].map(String).join(', ')}` }
}
