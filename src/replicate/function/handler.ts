/**
 * The replication function (bundled to dist/replicate/handler.js, deployed as index.js).
 * Configuration comes from its environment: BLUEGREEN_TABLE_MAP (JSON, blue table → green
 * table) and BLUEGREEN_CONTROL_TABLE (for the progress heartbeat). One function serves every kind
 * of source: the event's shape says which (see dispatch.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { DynamoDBBatchResponse } from 'aws-lambda'
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

const TABLES = tableMap()

export const handler = async (event: unknown): Promise<DynamoDBBatchResponse> => {
  const kind = eventKind(event)
  switch (kind.kind) {
    case 'dynamodb-stream':
      return applyRecords(kind.records, {
        dynamodb,
        tableMap: TABLES,
        controlTable: process.env.BLUEGREEN_CONTROL_TABLE
      })
    case 'unknown':
      // Thrown, not ignored: Lambda retries it and, past the retries, records it as failed.
      throw new Error(`bluegreen replication: unsupported event (${kind.reason})`)
  }
}
