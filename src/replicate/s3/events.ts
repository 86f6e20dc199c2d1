/**
 * Decoding what reaches the replication function about blue's objects, into "this key of this
 * bucket changed". It accepts the documented shapes:
 * - SQS messages (the event source mapping of the replication queue), whose body is one of:
 * - an EventBridge event from S3 (`source: aws.s3`, `detail-type: Object Created | Object
 *   Deleted`, `detail.bucket.name`, `detail.object.key`);
 * - an S3 event notification (`Records[]` with `eventSource: aws:s3`, `eventName`
 *   `ObjectCreated:*` / `ObjectRemoved:*`, `s3.object.key` URL-encoded as a form value);
 * - an SNS notification wrapping either (`Type: Notification`, `Message`);
 * - S3's `s3:TestEvent`, which names no object and is skipped.
 * Whatever the event says about the object (size, ETag) is not used: the function reads blue.
 */
import { decodeNotificationKey, eventKeyCandidates } from './keys.js'

export type ChangeKind = 'created' | 'removed'

export interface S3Change {
  /** What to report when the change fails: the SQS message id, or the record's position. */
  source: string
  bucket: string
  /** The key, or its two readings when the event's encoding is not documented. */
  keys: string[]
  kind: ChangeKind
  /** ISO time of the change, when the event says. */
  time: string | undefined
}

export interface Decoded {
  changes: S3Change[]
  /** Messages that name no object change (test events, other S3 event types). */
  skipped: string[]
  /** Messages that could not be read: reported as failures so that they are not lost. */
  invalid: { source: string; reason: string }[]
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

function kindOfName(eventName: string): ChangeKind | undefined {
  const name = eventName.replace(/^s3:/, '')
  if (name.startsWith('ObjectCreated:')) return 'created'
  if (name.startsWith('ObjectRemoved:') || name.startsWith('LifecycleExpiration:')) return 'removed'
  return undefined
}

function kindOfDetailType(detailType: string): ChangeKind | undefined {
  if (detailType === 'Object Created') return 'created'
  if (detailType === 'Object Deleted') return 'removed'
  return undefined
}

/** Decodes one payload (an SQS body, or the function's whole event). */
function decodePayload(payload: unknown, source: string, into: Decoded): void {
  if (!isObject(payload)) {
    into.invalid.push({ source, reason: 'not a JSON object' })
    return
  }
  if (payload.Type === 'Notification' && typeof payload.Message === 'string') {
    decodeText(payload.Message, source, into)
    return
  }
  if (payload.Event === 's3:TestEvent') {
    into.skipped.push(source)
    return
  }
  if (payload.source === 'aws.s3' && isObject(payload.detail)) {
    const kind = kindOfDetailType(str(payload['detail-type']) ?? '')
    const bucket = isObject(payload.detail.bucket) ? str(payload.detail.bucket.name) : undefined
    const key = isObject(payload.detail.object) ? str(payload.detail.object.key) : undefined
    if (kind === undefined) {
      into.skipped.push(source)
      return
    }
    if (bucket === undefined || key === undefined || key === '') {
      into.invalid.push({
        source,
        reason: 'an S3 EventBridge event without bucket.name or object.key'
      })
      return
    }
    into.changes.push({
      source,
      bucket,
      keys: eventKeyCandidates(key),
      kind,
      time: str(payload.time)
    })
    return
  }
  if (Array.isArray(payload.Records)) {
    // A message's records succeed or fail together: they share the message's id.
    for (const record of payload.Records as unknown[]) decodeRecord(record, source, into)
    return
  }
  into.invalid.push({
    source,
    reason: 'neither an S3 event notification nor an S3 EventBridge event'
  })
}

function decodeRecord(record: unknown, source: string, into: Decoded): void {
  if (!isObject(record) || record.eventSource !== 'aws:s3' || !isObject(record.s3)) {
    into.invalid.push({ source, reason: 'a record that is not from aws:s3' })
    return
  }
  const kind = kindOfName(str(record.eventName) ?? '')
  if (kind === undefined) {
    into.skipped.push(source)
    return
  }
  const bucket = isObject(record.s3.bucket) ? str(record.s3.bucket.name) : undefined
  const raw = isObject(record.s3.object) ? str(record.s3.object.key) : undefined
  const key = raw === undefined ? undefined : decodeNotificationKey(raw)
  if (bucket === undefined || key === undefined || key === '') {
    into.invalid.push({
      source,
      reason: `an S3 record without a readable bucket or key (${raw ?? 'none'})`
    })
    return
  }
  into.changes.push({ source, bucket, keys: [key], kind, time: str(record.eventTime) })
}

function decodeText(text: string, source: string, into: Decoded): void {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    into.invalid.push({ source, reason: 'a message body that is not JSON' })
    return
  }
  decodePayload(parsed, source, into)
}

/**
 * Decodes the function's event: an SQS batch (each message is reported by its messageId), or an
 * S3 notification / EventBridge event delivered directly (reported as `event#i`).
 */
export function decodeS3Event(event: unknown): Decoded {
  const into: Decoded = { changes: [], skipped: [], invalid: [] }
  if (isObject(event) && Array.isArray(event.Records)) {
    const records: unknown[] = event.Records
    const sqs = records.some((r) => isObject(r) && r.eventSource === 'aws:sqs')
    if (sqs) {
      records.forEach((r, i) => {
        const id = isObject(r) ? (str(r.messageId) ?? `event#${i}`) : `event#${i}`
        const body = isObject(r) ? str(r.body) : undefined
        if (body === undefined)
          into.invalid.push({ source: id, reason: 'an SQS record without a body' })
        else decodeText(body, id, into)
      })
      return into
    }
    records.forEach((r, i) => {
      decodeRecord(r, `event#${i}`, into)
    })
    return into
  }
  decodePayload(event, 'event', into)
  return into
}
