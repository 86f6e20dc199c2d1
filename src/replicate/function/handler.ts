/**
 * The replication function (bundled to dist/replicate/handler.js, deployed as index.js).
 * Configuration comes from its environment: BLUEGREEN_TABLE_MAP (JSON, blue table → green
 * table), BLUEGREEN_BUCKET_MAP (JSON, blue bucket → green bucket, kind, ignore list, green's
 * region) and BLUEGREEN_CONTROL_TABLE (for the progress heartbeat). One function serves every
 * kind of source: the event's shape says which (see dispatch.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { S3Client } from '@aws-sdk/client-s3'
import type { DynamoDBBatchResponse, SQSBatchResponse } from 'aws-lambda'
import { handleS3Event, parseBucketMap, recordProgress } from '../s3/apply.js'
import { applyRecords } from './apply.js'
import { eventKind } from './dispatch.js'

const dynamodb = new DynamoDBClient({ maxAttempts: 6 })

function tableMap(): Record<string, string> {
  const raw = process.env.BLUEGREEN_TABLE_MAP ?? '{}'
  const parsed: unknown = JSON.parse(raw)
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error('BLUEGREEN_TABLE_MAP is not a JSON object')
  return Object.fromEntries(
    Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string')
  )
}

// Path-style addressing, as the action uses: DEEP's bucket names have dots.
const s3In = (region?: string): S3Client =>
  new S3Client({
    maxAttempts: 6,
    forcePathStyle: true,
    followRegionRedirects: true,
    ...(region === undefined ? {} : { region })
  })

const TABLES = tableMap()
const s3 = s3In()
const BUCKETS = parseBucketMap(process.env.BLUEGREEN_BUCKET_MAP)
for (const route of BUCKETS.values()) {
  if (route.region !== undefined) route.target = s3In(route.region)
}

export const handler = async (
  event: unknown
): Promise<DynamoDBBatchResponse | SQSBatchResponse> => {
  const kind = eventKind(event)
  const controlTable = process.env.BLUEGREEN_CONTROL_TABLE
  switch (kind.kind) {
    case 'dynamodb-stream':
      return applyRecords(kind.records, { dynamodb, tableMap: TABLES, controlTable })
    case 's3-events': {
      const answer = await handleS3Event(kind.event, { source: s3, target: s3, buckets: BUCKETS })
      await recordProgress(answer.result, { dynamodb, controlTable })
      return { batchItemFailures: answer.batchItemFailures }
    }
    case 'unknown':
      // Thrown, not ignored: Lambda retries it and, past the retries, records it as failed.
      throw new Error(`bluegreen replication: unsupported event (${kind.reason})`)
  }
}
