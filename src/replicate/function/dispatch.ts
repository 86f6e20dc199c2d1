/**
 * Which source an event comes from, by its shape: a batch of DynamoDB stream records (every
 * record's eventSource is `aws:dynamodb`), or a batch of the events queue (every record's
 * eventSource is `aws:sqs`; each message is an S3 event EventBridge put there). An empty batch is
 * a stream batch with nothing to apply.
 */
import type { DynamoDBRecord, SQSEvent, SQSRecord } from 'aws-lambda'

export type EventKind =
  | { kind: 'dynamodb-stream'; records: DynamoDBRecord[] }
  | { kind: 's3-events'; event: SQSEvent }
  | { kind: 'unknown'; reason: string }

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
  if (sources.size === 1 && sources.has('aws:sqs')) {
    return { kind: 's3-events', event: { Records: records as SQSRecord[] } }
  }
  return { kind: 'unknown', reason: `records from ${[...sources].map(String).join(', ')}` }
}
