/** Shared by the replicate tests: a Context, tables, a random writer, stream delivery. */
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue
} from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type AttributeValue as StreamsValue
} from '@aws-sdk/client-dynamodb-streams'
import type { AttributeValue as LambdaValue, DynamoDBRecord } from 'aws-lambda'
import { createClients, type Clients } from '../../src/aws/clients.js'
import type { Context } from '../../src/context.js'
import type { EnvRef, ReplicateAction, ReplicateRequest, TableSpec } from '../../src/inputs.js'
import { memoryLogger } from '../../src/log.js'
import { newReport } from '../../src/report.js'

export const REGION = 'us-east-1'

export function deep(env: string, hash: string): EnvRef {
  return { kind: 'deep', env, hash }
}

export function request(
  action: ReplicateAction,
  overrides: Partial<ReplicateRequest> & { tables?: TableSpec[] } = {}
): ReplicateRequest {
  return {
    command: 'replicate',
    action,
    blue: deep('stage', 'abcd1234'),
    green: deep('prod', '0a0b0c0d'),
    region: REGION,
    dryRun: false,
    wait: true,
    waitTimeoutMs: 60_000,
    tables: [],
    // The table tests replicate tables only (the bucket tests set their own).
    buckets: [],
    resources: { tables: true, buckets: false },
    privateIgnore: [],
    publicIgnore: [],
    segments: 3,
    segment: undefined,
    overwriteGreen: false,
    replayOverGreenWrites: false,
    ...overrides
  }
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** A context on the emulator; `clients` overrides single clients (e.g. a killable DynamoDB). */
export function makeCtx(
  overrides: Partial<Clients> = {}
): Context & { log: ReturnType<typeof memoryLogger> } {
  const base = createClients({ region: REGION })
  const clients: Clients = {
    get cloudfront() {
      return base.cloudfront
    },
    get route53() {
      return base.route53
    },
    get acm() {
      return base.acm
    },
    get edgeLambda() {
      return base.edgeLambda
    },
    get iam() {
      return overrides.iam ?? base.iam
    },
    get lambda() {
      return overrides.lambda ?? base.lambda
    },
    get dynamodb() {
      return overrides.dynamodb ?? base.dynamodb
    },
    get streams() {
      return overrides.streams ?? base.streams
    },
    get sqs() {
      return overrides.sqs ?? base.sqs
    },
    get cloudwatch() {
      return overrides.cloudwatch ?? base.cloudwatch
    },
    get s3() {
      return overrides.s3 ?? base.s3
    },
    s3In: (region) => base.s3In(region),
    get eventbridge() {
      return overrides.eventbridge ?? base.eventbridge
    }
  }
  return {
    clients,
    log: memoryLogger(),
    report: newReport('replicate', false),
    confirm: undefined,
    now: () => new Date(),
    sleep: (ms) => sleepMs(Math.min(ms, 50)),
    runUrl: undefined
  }
}

export interface KillSwitch {
  killed: boolean
  /** BatchWriteItem calls that went through. */
  writes: number
  /** Items in those calls. */
  itemsWritten: number
  scans: number
}

/**
 * A DynamoDB client that "dies" after `afterWrites` BatchWriteItem calls: that call and every
 * later call of any kind throws, as if the process had been killed mid-backfill.
 */
export function killableDynamo(afterWrites = Infinity): {
  client: DynamoDBClient
  stats: KillSwitch
} {
  const client = new DynamoDBClient({ region: REGION })
  const stats: KillSwitch = { killed: false, writes: 0, itemsWritten: 0, scans: 0 }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (stats.killed) throw new Error('killed')
      if (context.commandName === 'ScanCommand') stats.scans++
      if (context.commandName === 'BatchWriteItemCommand') {
        if (stats.writes >= afterWrites) {
          stats.killed = true
          throw new Error('killed')
        }
        stats.writes++
        const input = args.input as { RequestItems?: Record<string, unknown[]> }
        for (const list of Object.values(input.RequestItems ?? {}))
          stats.itemsWritten += list.length
      }
      return next(args)
    },
    { step: 'initialize', name: 'killSwitch' }
  )
  return { client, stats }
}

export async function createTable(
  db: DynamoDBClient,
  name: string,
  key: { hash: [string, 'S' | 'N']; range?: [string, 'S' | 'N'] }
): Promise<void> {
  const attrs = [key.hash, ...(key.range === undefined ? [] : [key.range])]
  await db.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: key.hash[0], KeyType: 'HASH' },
        ...(key.range === undefined
          ? []
          : [{ AttributeName: key.range[0], KeyType: 'RANGE' as const }])
      ],
      AttributeDefinitions: attrs.map(([n, t]) => ({ AttributeName: n, AttributeType: t }))
    })
  )
}

/**
 * A table keyed by `hash` (a string) with a global secondary index `byScore` on a numeric
 * `score`: an item whose score is not a number is refused, as AWS refuses a write that breaks an
 * index key's type.
 */
export async function createScoredTable(
  db: DynamoDBClient,
  name: string,
  hash = 'id'
): Promise<void> {
  await db.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: hash, KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: hash, AttributeType: 'S' },
        { AttributeName: 'score', AttributeType: 'N' }
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byScore',
          KeySchema: [{ AttributeName: 'score', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' }
        }
      ]
    })
  )
}

export type KeyOf = (i: number) => Record<string, AttributeValue>

export const hashKey: KeyOf = (i) => ({ id: { S: `item-${i}` } })
export const rangeKey: KeyOf = (i) => ({ pk: { S: `user-${i % 17}` }, sk: { N: String(i) } })

export async function seed(
  db: DynamoDBClient,
  table: string,
  keyOf: KeyOf,
  count: number
): Promise<void> {
  for (let i = 0; i < count; i++) {
    await db.send(
      new PutItemCommand({
        TableName: table,
        Item: { ...keyOf(i), v: { N: '0' }, body: { S: `seed ${i}` }, tags: { SS: ['a', 'b'] } }
      })
    )
  }
}

/** Puts, updates and deletes random items on `tables` at a steady rate until stopped. */
export function startWriter(
  db: DynamoDBClient,
  tables: { name: string; keyOf: KeyOf; keys: number }[],
  everyMs = 4
): { stop: () => Promise<number>; ops: () => number } {
  const state = { running: true }
  let ops = 0
  let seedValue = 12345
  const random = (n: number): number => {
    seedValue = (seedValue * 1103515245 + 12345) % 2 ** 31
    return seedValue % n
  }
  const loop = (async () => {
    while (state.running) {
      const t = tables[random(tables.length)]
      if (t === undefined) break
      const key = t.keyOf(random(t.keys))
      const op = random(10)
      if (op < 4) {
        await db.send(
          new PutItemCommand({
            TableName: t.name,
            Item: { ...key, v: { N: String(ops) }, body: { S: `put ${ops}` } }
          })
        )
      } else if (op < 8) {
        await db.send(
          new UpdateItemCommand({
            TableName: t.name,
            Key: key,
            UpdateExpression: 'SET v = :v, body = :b',
            ExpressionAttributeValues: { ':v': { N: String(ops) }, ':b': { S: `update ${ops}` } }
          })
        )
      } else {
        await db.send(new DeleteItemCommand({ TableName: t.name, Key: key }))
      }
      ops++
      await sleepMs(everyMs)
    }
  })()
  return {
    stop: async () => {
      state.running = false
      await loop
      return ops
    },
    ops: () => ops
  }
}

function toLambdaValue(v: StreamsValue): LambdaValue {
  if (v.S !== undefined) return { S: v.S }
  if (v.N !== undefined) return { N: v.N }
  if (v.B !== undefined) return { B: Buffer.from(v.B).toString('base64') }
  throw new Error('key attributes are S, N or B')
}

/** A DynamoDB Streams record as Lambda delivers it (epoch seconds, base64 binary keys). */
export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb
  return {
    eventID: record.eventID ?? '',
    eventName: record.eventName ?? 'MODIFY',
    eventSource: 'aws:dynamodb',
    eventVersion: '1.1',
    awsRegion: REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      Keys: Object.fromEntries(
        Object.entries(d?.Keys ?? {}).map(([k, v]) => [k, toLambdaValue(v)])
      ),
      SequenceNumber: d?.SequenceNumber ?? '',
      SizeBytes: d?.SizeBytes ?? 0,
      StreamViewType: d?.StreamViewType ?? 'NEW_AND_OLD_IMAGES',
      ...(d?.ApproximateCreationDateTime === undefined
        ? {}
        : { ApproximateCreationDateTime: d.ApproximateCreationDateTime.getTime() / 1000 })
    }
  }
}

/** Every record of the stream from TRIM_HORIZON, in order, as Lambda would deliver them. */
export async function readStream(
  streams: DynamoDBStreamsClient,
  streamArn: string
): Promise<DynamoDBRecord[]> {
  const { StreamDescription } = await streams.send(
    new DescribeStreamCommand({ StreamArn: streamArn })
  )
  const records: DynamoDBRecord[] = []
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId ?? '',
        ShardIteratorType: 'TRIM_HORIZON'
      })
    )
    while (iterator !== undefined) {
      const out = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 })
      )
      const batch = out.Records ?? []
      records.push(...batch.map((r) => toLambdaRecord(r, streamArn)))
      if (batch.length === 0) break
      iterator = out.NextShardIterator
    }
  }
  return records
}

export async function countItems(db: DynamoDBClient, table: string): Promise<number> {
  let count = 0
  let start: Record<string, AttributeValue> | undefined
  do {
    const out = await db.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        ...(start === undefined ? {} : { ExclusiveStartKey: start })
      })
    )
    count += out.Count ?? 0
    start = out.LastEvaluatedKey
  } while (start !== undefined)
  return count
}

export { DynamoDBStreamsClient }
