/**
 * Error paths the emulator cannot produce, with aws-sdk-client-mock: throttling and
 * UnprocessedItems are retried until every item is written (never dropped), a backfill that
 * cannot finish inside the stream retention stops loudly, a failing key is reported per item,
 * terminate turns off only the streams that prepare turned on (and deletes the failure queue
 * after the mappings and the function), status survives a failure queue it cannot read, and
 * status stays below 100 while Lambda's IteratorAge says a shard is behind (or cannot be read).
 */
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ResourceNotFoundException,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type AttributeValue,
  type WriteRequest
} from '@aws-sdk/client-dynamodb'
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch'
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient
} from '@aws-sdk/client-iam'
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetEventSourceMappingCommand,
  InvalidParameterValueException,
  LambdaClient,
  ResourceNotFoundException as LambdaNotFound,
  ListEventSourceMappingsCommand
} from '@aws-sdk/client-lambda'
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient
} from '@aws-sdk/client-sqs'
import type { DynamoDBRecord } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { batchPut } from '../../src/aws/dynamodb.js'
import {
  createFunction,
  createStreamMapping,
  deleteMapping,
  waitMappingSettled
} from '../../src/aws/lambda.js'
import { mappingSettings } from '../../src/replicate/deploy.js'
import { BlueGreenError } from '../../src/errors.js'
import { parseInputs, type PublishRequest } from '../../src/inputs.js'
import { noteGreenTraffic } from '../../src/publish/data-replicate.js'
import { memoryLogger } from '../../src/log.js'
import { applyRecords } from '../../src/replicate/function/apply.js'
import { backfill, type BackfillJob } from '../../src/replicate/backfill.js'
import { replicate } from '../../src/replicate/index.js'
import { replicationNames } from '../../src/replicate/names.js'
import { deep, makeCtx, request } from './helpers.js'

const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} })

const item = (i: number): Record<string, AttributeValue> => ({
  id: { S: `k${i}` },
  v: { N: String(i) }
})

function written(calls: { args: [{ input: unknown }] }[], table: string): Set<string> {
  const ids = new Set<string>()
  for (const call of calls) {
    const input = call.args[0].input as { RequestItems: Record<string, WriteRequest[]> }
    for (const r of input.RequestItems[table] ?? []) ids.add(r.PutRequest?.Item?.id?.S ?? '')
  }
  return ids
}

test('batchPut retries throttling and every UnprocessedItem until all are written', async () => {
  const client = new DynamoDBClient({ region: 'us-east-1' })
  const ddb = mockClient(client)
  const items = Array.from({ length: 25 }, (_, i) => item(i))
  const request = (i: number): WriteRequest => ({ PutRequest: { Item: item(i) } })
  ddb
    .on(BatchWriteItemCommand)
    .rejectsOnce(throttled())
    .resolvesOnce({ UnprocessedItems: { green: [3, 7, 9, 20].map(request) } })
    .resolvesOnce({ UnprocessedItems: { green: [7].map(request) } })
    .resolvesOnce({ UnprocessedItems: { green: [7].map(request) } })
    .resolves({})
  const sleeps: number[] = []
  const stats = { calls: 0, retriedItems: 0 }
  await batchPut(
    client,
    'green',
    items,
    { sleep: (ms) => (sleeps.push(ms), Promise.resolve()), maxAttempts: 10 },
    stats
  )
  const calls = ddb.commandCalls(BatchWriteItemCommand)
  expect(calls).toHaveLength(5)
  // The retries sent exactly the unprocessed items, and the last call left nothing behind.
  const sent = calls.map((c) =>
    (c.args[0].input.RequestItems?.green ?? []).map((r) => r.PutRequest?.Item?.id?.S)
  )
  expect(sent[2]).toEqual(['k3', 'k7', 'k9', 'k20'])
  expect(sent[3]).toEqual(['k7'])
  expect(sent[4]).toEqual(['k7'])
  expect(stats.retriedItems).toBe(6)
  expect(sleeps).toHaveLength(4) // one backoff per retry, each jittered within its cap
  expect(sleeps.every((ms) => ms >= 0 && ms <= 20_000)).toBe(true)
})

test('batchPut never drops items: it throws when it cannot make progress', async () => {
  const client = new DynamoDBClient({ region: 'us-east-1' })
  const ddb = mockClient(client)
  ddb
    .on(BatchWriteItemCommand)
    .callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) =>
      Promise.resolve({ UnprocessedItems: input.RequestItems })
    )
  await expect(
    batchPut(client, 'green', [item(1), item(2)], {
      sleep: () => Promise.resolve(),
      maxAttempts: 4
    })
  ).rejects.toThrow(/left 2 items unprocessed/)
})

function job(overrides: Partial<BackfillJob> = {}): BackfillJob {
  return {
    controlTable: 'control',
    blue: 'blue',
    green: 'green',
    itemCount: 35,
    t0: new Date(),
    totalSegments: 1,
    segments: [0],
    checkpoints: new Map(),
    ...overrides
  }
}

test('backfill writes every page despite throttled scans and writes, checkpointing each page', async () => {
  const client = new DynamoDBClient({ region: 'us-east-1' })
  const ddb = mockClient(client)
  const page1 = Array.from({ length: 30 }, (_, i) => item(i))
  const page2 = Array.from({ length: 5 }, (_, i) => item(30 + i))
  ddb
    .on(ScanCommand)
    .rejectsOnce(throttled())
    .resolvesOnce({ Items: page1, LastEvaluatedKey: { id: { S: 'k29' } } })
    .resolvesOnce({ Items: page2 })
  ddb
    .on(BatchWriteItemCommand)
    .rejectsOnce(throttled())
    .resolvesOnce({ UnprocessedItems: { green: [{ PutRequest: { Item: item(4) } }] } })
    .resolves({})
  ddb.on(UpdateItemCommand).rejectsOnce(throttled()).resolves({})
  const result = await backfill(job(), {
    dynamodb: client,
    log: memoryLogger(),
    now: () => new Date(),
    sleep: () => Promise.resolve()
  })
  expect(result.copied).toBe(35)
  expect(written(ddb.commandCalls(BatchWriteItemCommand), 'green').size).toBe(35)
  // Scan from the checkpoint key; each page checkpointed after its writes (the last: done).
  expect(ddb.commandCalls(ScanCommand)[2]?.args[0].input.ExclusiveStartKey).toEqual({
    id: { S: 'k29' }
  })
  const checkpoints = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)
  const last = checkpoints.at(-1)
  expect(last?.UpdateExpression).toContain('done = :true')
  expect(
    checkpoints.filter((c) => c.ExpressionAttributeValues?.[':k']?.M?.id?.S === 'k29')
  ).not.toHaveLength(0)
})

test('backfill resumes after a segment checkpoint and skips finished segments', async () => {
  const client = new DynamoDBClient({ region: 'us-east-1' })
  const ddb = mockClient(client)
  ddb.on(ScanCommand).resolves({ Items: [item(9)] })
  ddb.on(BatchWriteItemCommand).resolves({})
  ddb.on(UpdateItemCommand).resolves({})
  const base = { copied: 1, pages: 1, updatedAt: '' }
  await backfill(
    job({
      totalSegments: 2,
      segments: [0, 1],
      checkpoints: new Map([
        [0, { segment: 0, lastKey: { id: { S: 'k8' } }, done: false, ...base }],
        [1, { segment: 1, lastKey: undefined, done: true, ...base }]
      ])
    }),
    { dynamodb: client, log: memoryLogger(), now: () => new Date(), sleep: () => Promise.resolve() }
  )
  const scans = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input)
  expect(scans).toEqual([
    expect.objectContaining({
      Segment: 0,
      TotalSegments: 2,
      ExclusiveStartKey: { id: { S: 'k8' } }
    })
  ])
})

test('backfill refuses to go on when it cannot finish inside the 24 h stream retention', async () => {
  const client = new DynamoDBClient({ region: 'us-east-1' })
  const ddb = mockClient(client)
  let clock = Date.parse('2026-01-01T00:00:00Z')
  ddb.on(ScanCommand).callsFake(() => {
    clock += 10_000 // 100 items per 10 s: 10 items/s
    return Promise.resolve({
      Items: Array.from({ length: 100 }, (_, i) => item(i)),
      LastEvaluatedKey: { id: { S: 'x' } }
    })
  })
  ddb.on(BatchWriteItemCommand).resolves({})
  ddb.on(UpdateItemCommand).resolves({})
  const error: unknown = await backfill(job({ itemCount: 10_000_000, t0: new Date(clock) }), {
    dynamodb: client,
    log: memoryLogger(),
    now: () => new Date(clock),
    sleep: () => Promise.resolve()
  }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(BlueGreenError)
  expect(String(error)).toMatch(
    /cannot finish inside the stream's 24h00m retention: ~9,999,900 items left/
  )
  expect(ddb.commandCalls(ScanCommand).length).toBeLessThanOrEqual(2) // stopped after the first page
})

test('backfill: with ItemCount 0 (a new table), finished segments tell how much is left, and the run stops when it cannot end in time', async () => {
  const client = new DynamoDBClient({ region: 'us-east-1' })
  const ddb = mockClient(client)
  let clock = Date.parse('2026-01-01T00:00:00Z')
  // Segment 0 is small and done after one page; segment 1 holds a million items, 100 a minute.
  ddb.on(ScanCommand, { Segment: 0 }).resolves({ Items: [item(1)] })
  ddb.on(ScanCommand, { Segment: 1 }).callsFake(() => {
    clock += 60_000
    return Promise.resolve({
      Items: Array.from({ length: 100 }, (_, i) => item(i)),
      LastEvaluatedKey: { id: { S: 'x' } }
    })
  })
  ddb.on(BatchWriteItemCommand).resolves({})
  ddb.on(UpdateItemCommand).resolves({})
  // ItemCount 0 says nothing; a finished segment of 1 item says little: the estimate then rests
  // on the measured pages. So with 2 segments, the hard deadline is what stops it.
  const error: unknown = await backfill(
    job({ itemCount: 0, t0: new Date(clock), totalSegments: 2, segments: [0, 1] }),
    {
      dynamodb: client,
      log: memoryLogger(),
      now: () => new Date(clock),
      sleep: () => Promise.resolve()
    },
    { retentionMs: 3 * 3_600_000, retentionMarginMs: 3_600_000 }
  ).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(BlueGreenError)
  expect(String(error)).toMatch(/ran past its deadline 2026-01-01T02:00:00.000Z/)
  // It stopped at the first page past the deadline: 2 h of pages at one a minute.
  expect(ddb.commandCalls(ScanCommand, { Segment: 1 }).length).toBeLessThanOrEqual(122)

  // Finished segments that held many items: their count, extrapolated, is the estimate.
  ddb.reset()
  clock = Date.parse('2026-01-01T00:00:00Z')
  ddb
    .on(ScanCommand, { Segment: 0 })
    .resolves({ Items: Array.from({ length: 1000 }, (_, i) => item(i)) })
  ddb.on(ScanCommand, { Segment: 1 }).callsFake(() => {
    clock += 60_000
    return Promise.resolve({ Items: [item(5)], LastEvaluatedKey: { id: { S: 'x' } } })
  })
  ddb.on(BatchWriteItemCommand).resolves({})
  ddb.on(UpdateItemCommand).resolves({})
  const early: unknown = await backfill(
    job({ itemCount: 0, t0: new Date(clock), totalSegments: 2, segments: [0, 1] }),
    {
      dynamodb: client,
      log: memoryLogger(),
      now: () => new Date(clock),
      sleep: () => Promise.resolve()
    },
    { retentionMs: 3 * 3_600_000, retentionMarginMs: 3_600_000 }
  ).catch((e: unknown) => e)
  expect(String(early)).toMatch(
    /cannot finish inside the stream's 3h00m retention: ~9\d\d items left \(ItemCount 0, 1 of 2 segments done\)/
  )
  // Stopped by the estimate, well before the deadline itself (2 h of pages at one a minute).
  expect(ddb.commandCalls(ScanCommand, { Segment: 1 }).length).toBeLessThan(90)
})

const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/blue/stream/2026-01-01T00:00:00.000'

function record(
  id: string,
  seq: string,
  name: 'INSERT' | 'MODIFY' | 'REMOVE' = 'MODIFY'
): DynamoDBRecord {
  return {
    eventName: name,
    eventSourceARN: STREAM,
    dynamodb: {
      Keys: { id: { S: id } },
      SequenceNumber: seq,
      ApproximateCreationDateTime: 1_767_225_600
    }
  }
}

test('applyRecords copies what blue holds now, and reports a failing key per item', async () => {
  const client = new DynamoDBClient({ region: 'us-east-1' })
  const ddb = mockClient(client)
  ddb
    .on(GetItemCommand, { Key: { id: { S: 'a' } } })
    .resolves({ Item: { id: { S: 'a' }, v: { N: '2' } } })
  ddb
    .on(GetItemCommand, { Key: { id: { S: 'b' } } })
    .resolves({ Item: { id: { S: 'b' }, v: { N: '1' } } })
  ddb.on(GetItemCommand, { Key: { id: { S: 'c' } } }).resolves({})
  ddb.on(PutItemCommand).resolves({})
  ddb
    .on(PutItemCommand, { Item: { id: { S: 'b' }, v: { N: '1' } } })
    .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
  ddb.on(DeleteItemCommand).resolves({})
  ddb.on(UpdateItemCommand).resolves({})
  const result = await applyRecords(
    [record('a', '100'), record('b', '101'), record('c', '102', 'REMOVE'), record('a', '103')],
    {
      dynamodb: client,
      tableMap: { blue: 'green' },
      controlTable: 'control',
      sleep: () => Promise.resolve(),
      logError: () => undefined
    }
  )
  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }] })
  expect(
    ddb.commandCalls(GetItemCommand).every((c) => c.args[0].input.ConsistentRead === true)
  ).toBe(true)
  expect(ddb.commandCalls(GetItemCommand).map((c) => c.args[0].input.TableName)).toEqual([
    'blue',
    'blue',
    'blue'
  ])
  const puts = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input)
  expect(puts).toEqual(
    expect.arrayContaining([{ TableName: 'green', Item: { id: { S: 'a' }, v: { N: '2' } } }])
  )
  expect(ddb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input)).toEqual([
    { TableName: 'green', Key: { id: { S: 'c' } } }
  ])
  // The heartbeat covers only the records before the first failure (seq 100).
  const beat = ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input
  expect(beat?.ExpressionAttributeValues?.[':n']).toEqual({ N: '1' })
})

test('applyRecords retries a throttled read and succeeds', async () => {
  const client = new DynamoDBClient({ region: 'us-east-1' })
  const ddb = mockClient(client)
  ddb
    .on(GetItemCommand)
    .rejectsOnce(throttled())
    .resolves({ Item: { id: { S: 'a' } } })
  ddb.on(PutItemCommand).resolves({})
  const result = await applyRecords([record('a', '1')], {
    dynamodb: client,
    tableMap: { blue: 'green' },
    sleep: () => Promise.resolve()
  })
  expect(result.batchItemFailures).toEqual([])
  expect(ddb.commandCalls(PutItemCommand)).toHaveLength(1)
})

describe('terminate', () => {
  const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', '0a0b0c0d'))
  const arnA = 'arn:aws:dynamodb:us-east-1:1:table/A/stream/x'
  const arnB = 'arn:aws:dynamodb:us-east-1:1:table/B/stream/y'

  function mocks() {
    const dynamodb = new DynamoDBClient({ region: 'us-east-1' })
    const lambda = new LambdaClient({ region: 'us-east-1' })
    const iam = new IAMClient({ region: 'us-east-1' })
    const sqs = new SQSClient({ region: 'us-east-1' })
    const ddb = mockClient(dynamodb)
    const lam = mockClient(lambda)
    const im = mockClient(iam)
    const q = mockClient(sqs)
    const tableItem = (blue: string, arn: string, byUs: boolean) => ({
      pk: { S: `table#${blue}` },
      sk: { S: 'table' },
      green: { S: `${blue}green` },
      streamArn: { S: arn },
      streamEnabledByUs: { BOOL: byUs },
      t0: { S: '2026-01-01T00:00:00Z' },
      segments: { N: '1' },
      itemCount: { N: '0' },
      backfillDoneAt: { S: '2026-01-01T00:01:00Z' }
    })
    ddb
      .on(ScanCommand)
      .resolves({ Items: [tableItem('A', arnA, true), tableItem('B', arnB, false)] })
    const table = (name: string, arn: string) => ({
      Table: {
        TableName: name,
        TableArn: `arn:aws:dynamodb:us-east-1:1:table/${name}`,
        TableStatus: 'ACTIVE' as const,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const },
        LatestStreamArn: arn
      }
    })
    ddb.on(DescribeTableCommand, { TableName: 'A' }).resolves(table('A', arnA))
    ddb.on(DescribeTableCommand, { TableName: 'B' }).resolves(table('B', arnB))
    ddb
      .on(DescribeTableCommand, { TableName: names.controlTable })
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }))
    ddb.on(UpdateTableCommand).resolves({})
    ddb.on(DeleteTableCommand).resolves({})
    lam.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: [
        {
          UUID: 'm-1',
          EventSourceArn: arnA,
          FunctionArn: `arn:aws:lambda:us-east-1:1:function:${names.functionName}`
        }
      ]
    })
    lam.on(GetFunctionCommand).resolves({ Configuration: { FunctionArn: 'f', CodeSha256: 'x' } })
    // AWS: DeleteEventSourceMapping answers State Deleting; the mapping stays readable (Deleting)
    // for some seconds, then GetEventSourceMapping answers ResourceNotFoundException.
    lam.on(DeleteEventSourceMappingCommand).resolves({ UUID: 'm-1', State: 'Deleting' })
    lam
      .on(GetEventSourceMappingCommand)
      .resolvesOnce({ UUID: 'm-1', EventSourceArn: arnA, State: 'Deleting' })
      .resolvesOnce({ UUID: 'm-1', EventSourceArn: arnA, State: 'Deleting' })
      .rejects(new LambdaNotFound({ message: 'gone', $metadata: {} }))
    lam.on(DeleteFunctionCommand).resolves({})
    im.on(GetRoleCommand).resolves({
      Role: { Arn: 'r', RoleName: names.roleName, Path: '/', RoleId: 'id', CreateDate: new Date() }
    })
    im.on(GetRolePolicyCommand).resolves({
      RoleName: names.roleName,
      PolicyName: names.policyName,
      PolicyDocument: '{}'
    })
    im.on(DeleteRolePolicyCommand).resolves({})
    im.on(DeleteRoleCommand).resolves({})
    const queueUrl = `https://sqs.us-east-1.amazonaws.com/1/${names.failureQueue}`
    q.on(GetQueueUrlCommand, { QueueName: names.failureQueue }).resolves({ QueueUrl: queueUrl })
    q.on(GetQueueAttributesCommand).resolves({
      Attributes: {
        QueueArn: `arn:aws:sqs:us-east-1:1:${names.failureQueue}`,
        ApproximateNumberOfMessages: '2'
      }
    })
    q.on(DeleteQueueCommand).resolves({})
    const ctx = makeCtx({ dynamodb, lambda, iam, sqs })
    return { ctx, ddb, lam, im, q, queueUrl }
  }

  test('turns off only the streams prepare turned on, and removes everything it made', async () => {
    const { ctx, ddb, lam, im, q, queueUrl } = mocks()
    await replicate(request('terminate'), ctx, { waiterMinDelay: 1 })
    expect(ddb.commandCalls(UpdateTableCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'A', StreamSpecification: { StreamEnabled: false } }
    ])
    expect(
      lam.commandCalls(DeleteEventSourceMappingCommand).map((c) => c.args[0].input.UUID)
    ).toEqual(['m-1'])
    expect(lam.commandCalls(DeleteFunctionCommand)).toHaveLength(1)
    // The function goes only once the mapping is gone (no batch in flight writes to green).
    const gets = lam.commandCalls(GetEventSourceMappingCommand)
    expect(gets).toHaveLength(3)
    const order = lam.calls().map((c) => c.args[0].constructor.name)
    expect(order.lastIndexOf('GetEventSourceMappingCommand')).toBeLessThan(
      order.indexOf('DeleteFunctionCommand')
    )
    expect(im.commandCalls(DeleteRolePolicyCommand)).toHaveLength(1)
    expect(im.commandCalls(DeleteRoleCommand)).toHaveLength(1)
    expect(q.commandCalls(DeleteQueueCommand).map((c) => c.args[0].input.QueueUrl)).toEqual([
      queueUrl
    ])
    // The failed batches it held are called out before they go.
    expect(ctx.report.warnings).toEqual([
      expect.stringContaining(`2 failed batches in ${names.failureQueue} will be deleted`)
    ])
    expect(ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input.TableName)).toEqual([
      names.controlTable
    ])
    // The control table (the record of what to undo) goes last.
    expect(ctx.report.plan.at(-1)?.resource).toBe(names.controlTable)
    expect(ctx.report.changed).toBe(true)
  })

  test("leaves on a stream prepare enabled when someone else's function now reads it", async () => {
    const { ctx, ddb, lam } = mocks()
    lam.on(ListEventSourceMappingsCommand, { EventSourceArn: arnA }).resolves({
      EventSourceMappings: [
        {
          UUID: 'm-1',
          EventSourceArn: arnA,
          FunctionArn: `arn:aws:lambda:us-east-1:1:function:${names.functionName}`
        },
        {
          UUID: 'theirs',
          EventSourceArn: arnA,
          FunctionArn: 'arn:aws:lambda:us-east-1:1:function:audit'
        }
      ]
    })
    await replicate(request('terminate'), ctx, { waiterMinDelay: 1 })
    expect(ddb.commandCalls(UpdateTableCommand)).toEqual([])
    expect(
      lam.commandCalls(DeleteEventSourceMappingCommand).map((c) => c.args[0].input.UUID)
    ).toEqual(['m-1'])
    expect(ctx.report.warnings).toContainEqual(expect.stringContaining('function:audit; left on'))
  })

  test('dry run plans the same calls and makes none', async () => {
    const { ctx, ddb, lam, im, q } = mocks()
    await replicate(request('terminate', { dryRun: true }), ctx)
    // The queue goes after the mappings that send to it and the function.
    expect(ctx.report.plan.map((r) => r.resource)).toEqual([
      'A',
      names.functionName,
      names.failureQueue,
      names.roleName,
      'A',
      names.controlTable
    ])
    expect(ddb.commandCalls(UpdateTableCommand)).toHaveLength(0)
    expect(ddb.commandCalls(DeleteTableCommand)).toHaveLength(0)
    expect(lam.commandCalls(DeleteEventSourceMappingCommand)).toHaveLength(0)
    expect(lam.commandCalls(DeleteFunctionCommand)).toHaveLength(0)
    expect(im.commandCalls(DeleteRoleCommand)).toHaveLength(0)
    expect(q.commandCalls(DeleteQueueCommand)).toHaveLength(0)
    expect(ctx.report.changed).toBe(false)
  })

  test('status counts the failed batches, and only warns when it cannot read the queue', async () => {
    const { ctx } = mocks()
    await replicate(request('status'), ctx)
    const warning = `2 failed batches are in ${names.failureQueue}: the keys in them may be stale on green; fix the cause, then run replicate repair (it re-applies their keys and compares the tables)`
    expect(ctx.report.warnings).toEqual([warning])
    expect(ctx.report.tables.map((r) => r.note.endsWith(warning))).toEqual([true, true])

    const denied = mocks()
    denied.q
      .on(GetQueueAttributesCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }))
    await replicate(request('status'), denied.ctx)
    expect(denied.ctx.report.warnings).toEqual([
      `Could not count the failed batches in ${names.failureQueue}: not authorized`
    ])
    expect(denied.ctx.report.outputs.progress).toBe(ctx.report.outputs.progress)
  })
})

test('a mapping is retried while the new SendMessage permission propagates, and other errors are not', async () => {
  const lambda = mockClient(LambdaClient)
  try {
    const denied = new InvalidParameterValueException({
      message: 'The function execution role does not have permissions to call SendMessage on SQS',
      $metadata: {}
    })
    lambda
      .on(CreateEventSourceMappingCommand)
      .rejectsOnce(denied)
      .rejectsOnce(denied)
      .resolves({ UUID: 'm-1', EventSourceArn: 'arn:stream', State: 'Creating' })
    const sleeps: number[] = []
    const sleep = (ms: number): Promise<void> => {
      sleeps.push(ms)
      return Promise.resolve()
    }
    const client = new LambdaClient({ region: 'us-east-1' })
    const create = () =>
      createStreamMapping(
        client,
        { functionName: 'fn', eventSourceArn: 'arn:stream', startingPosition: 'TRIM_HORIZON' },
        mappingSettings('arn:queue'),
        { sleep }
      )
    const mapping = await create()
    expect(mapping.uuid).toBe('m-1')
    expect(lambda.commandCalls(CreateEventSourceMappingCommand)).toHaveLength(3)
    expect(sleeps).toEqual([5000, 5000])

    lambda
      .on(CreateEventSourceMappingCommand)
      .rejects(new InvalidParameterValueException({ message: 'BatchSize too big', $metadata: {} }))
    await expect(create()).rejects.toThrow('BatchSize too big')
    expect(sleeps).toHaveLength(2)
  } finally {
    lambda.restore()
  }
})

describe('status and IteratorAge', () => {
  const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', '0a0b0c0d'))
  const now = new Date('2026-01-01T01:00:00Z')
  const arn = (t: string) => `arn:aws:dynamodb:us-east-1:1:table/${t}/stream/x`

  /**
   * Two tables in the stream phase whose mappings' last poll found nothing after the function's
   * last heartbeat: by LastProcessingResult alone, both are at 100.
   */
  function mocks() {
    const dynamodb = new DynamoDBClient({ region: 'us-east-1' })
    const lambda = new LambdaClient({ region: 'us-east-1' })
    const sqs = new SQSClient({ region: 'us-east-1' })
    const cloudwatch = new CloudWatchClient({ region: 'us-east-1' })
    const ddb = mockClient(dynamodb)
    const lam = mockClient(lambda)
    const q = mockClient(sqs)
    const cw = mockClient(cloudwatch)
    const items = ['A', 'B'].flatMap((blue) => [
      {
        pk: { S: `table#${blue}` },
        sk: { S: 'table' },
        green: { S: `${blue}green` },
        streamArn: { S: arn(blue) },
        streamEnabledByUs: { BOOL: true },
        t0: { S: '2026-01-01T00:00:00.000Z' },
        segments: { N: '1' },
        itemCount: { N: '0' },
        backfillDoneAt: { S: '2026-01-01T00:01:00.000Z' }
      },
      {
        pk: { S: `table#${blue}` },
        sk: { S: 'consumer' },
        position: { S: '2026-01-01T00:58:00.000Z' },
        at: { S: '2026-01-01T00:58:30.000Z' },
        applied: { N: '10' }
      }
    ])
    ddb.on(ScanCommand).resolves({ Items: items })
    lam.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: ['A', 'B'].map((blue) => ({
        UUID: `m-${blue}`,
        EventSourceArn: arn(blue),
        FunctionArn: `arn:aws:lambda:us-east-1:1:function:${names.functionName}`,
        State: 'Enabled',
        LastProcessingResult: 'No records processed',
        LastModified: new Date('2026-01-01T00:10:00Z')
      }))
    })
    q.on(GetQueueUrlCommand).rejects(
      Object.assign(new Error('no queue'), { name: 'QueueDoesNotExist' })
    )
    const ctx = { ...makeCtx({ dynamodb, lambda, sqs, cloudwatch }), now: () => now }
    return { ctx, cw }
  }

  test('a large IteratorAge keeps every stream table at 99 with a note', async () => {
    const { ctx, cw } = mocks()
    cw.on(GetMetricStatisticsCommand).resolves({
      Datapoints: [
        // The newest datapoint counts (CloudWatch returns them in no particular order).
        { Timestamp: new Date('2026-01-01T00:58:00Z'), Maximum: 900_000 },
        { Timestamp: new Date('2026-01-01T00:57:00Z'), Maximum: 1_000 }
      ]
    })
    await replicate(request('status'), ctx)
    expect(ctx.report.outputs.progress).toBe('99')
    expect(ctx.report.tables.map((r) => r.progress)).toEqual([99, 99])
    expect(
      ctx.report.tables.every((r) =>
        r.note.includes('the function is 900 s behind on some shard (IteratorAge)')
      )
    ).toBe(true)
    // Read once per status run, not per table.
    const calls = cw.commandCalls(GetMetricStatisticsCommand)
    expect(calls).toHaveLength(1)
    expect(calls[0]?.args[0].input).toEqual({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: names.functionName }],
      StartTime: new Date('2026-01-01T00:55:00Z'),
      EndTime: now,
      Period: 60,
      Statistics: ['Maximum']
    })
    expect(ctx.report.warnings).toEqual([])
  })

  test('a small newest IteratorAge, or none at all, lets the tables reach 100', async () => {
    const recent = mocks()
    recent.cw.on(GetMetricStatisticsCommand).resolves({
      Datapoints: [
        { Timestamp: new Date('2026-01-01T00:57:00Z'), Maximum: 900_000 },
        { Timestamp: new Date('2026-01-01T00:58:00Z'), Maximum: 800 }
      ]
    })
    await replicate(request('status'), recent.ctx)
    expect(recent.ctx.report.outputs.progress).toBe('100')

    const quiet = mocks()
    quiet.cw.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] })
    await replicate(request('status'), quiet.ctx)
    expect(quiet.ctx.report.outputs.progress).toBe('100')
  })

  test('an unreadable IteratorAge warns and holds the stream phase at 99', async () => {
    const { ctx, cw } = mocks()
    cw.on(GetMetricStatisticsCommand).rejects(
      Object.assign(new Error('not authorized'), { name: 'AccessDenied' })
    )
    await replicate(request('status'), ctx)
    expect(ctx.report.outputs.progress).toBe('99')
    expect(ctx.report.warnings).toEqual([
      expect.stringContaining('cloudwatch:GetMetricStatistics is granted')
    ])
    expect(
      ctx.report.tables.every((r) => r.note.includes('grant cloudwatch:GetMetricStatistics'))
    ).toBe(true)
  })
})

describe('the Lambda adapter, where AWS behaves in ways moto does not show', () => {
  const sleeps: number[] = []
  const sleep = (ms: number): Promise<void> => {
    sleeps.push(ms)
    return Promise.resolve()
  }
  beforeEach(() => (sleeps.length = 0))

  test('a function whose new role Lambda cannot assume yet is retried while IAM propagates', async () => {
    const client = new LambdaClient({ region: 'us-east-1' })
    const lam = mockClient(client)
    const notYet = new InvalidParameterValueException({
      message: 'The role defined for the function cannot be assumed by Lambda.',
      $metadata: {}
    })
    lam
      .on(CreateFunctionCommand)
      .rejectsOnce(notYet)
      .rejectsOnce(notYet)
      .resolves({ FunctionArn: 'arn:fn' })
    lam.on(GetFunctionCommand).resolves({ Configuration: { State: 'Active' } })
    const spec = {
      name: 'fn',
      roleArn: 'arn:role',
      zip: new Uint8Array([1]),
      runtime: 'nodejs22.x' as const,
      handler: 'index.handler',
      memoryMb: 128,
      timeoutSeconds: 5,
      description: 'd'
    }
    expect(await createFunction(client, spec, { sleep, minDelay: 1 })).toBe('arn:fn')
    expect(lam.commandCalls(CreateFunctionCommand)).toHaveLength(3)
    expect(sleeps).toEqual([5000, 5000])
    // A conflict (a parallel run created it, or the answer was lost) adopts the function.
    lam.reset()
    lam
      .on(CreateFunctionCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ResourceConflictException' }))
    lam
      .on(GetFunctionCommand)
      .resolves({ Configuration: { FunctionArn: 'arn:fn', State: 'Active' } })
    expect(await createFunction(client, spec, { sleep, minDelay: 1 })).toBe('arn:fn')
  })

  test('a mapping is Creating, then Enabled; one already Deleting is waited out until gone', async () => {
    const client = new LambdaClient({ region: 'us-east-1' })
    const lam = mockClient(client)
    lam
      .on(GetEventSourceMappingCommand)
      .resolvesOnce({ UUID: 'm-1', State: 'Creating' })
      .resolvesOnce({ UUID: 'm-1', State: 'Enabling' })
      .resolves({ UUID: 'm-1', State: 'Enabled' })
    expect((await waitMappingSettled(client, 'm-1', { sleep, intervalMs: 10 }))?.state).toBe(
      'Enabled'
    )
    expect(lam.commandCalls(GetEventSourceMappingCommand)).toHaveLength(3)
    // DeleteEventSourceMapping on a mapping Lambda is already deleting answers ResourceInUse.
    lam.reset()
    lam
      .on(DeleteEventSourceMappingCommand)
      .rejects(Object.assign(new Error('in use'), { name: 'ResourceInUseException' }))
    lam
      .on(GetEventSourceMappingCommand)
      .resolvesOnce({ UUID: 'm-1', State: 'Deleting' })
      .rejects(new LambdaNotFound({ message: 'gone', $metadata: {} }))
    await deleteMapping(client, 'm-1', { sleep, intervalMs: 10 })
    expect(lam.commandCalls(GetEventSourceMappingCommand)).toHaveLength(2)
    // A mapping that never goes: the wait ends with a clear timeout, not forever.
    lam.reset()
    lam.on(DeleteEventSourceMappingCommand).resolves({ UUID: 'm-1', State: 'Deleting' })
    lam.on(GetEventSourceMappingCommand).resolves({ UUID: 'm-1', State: 'Deleting' })
    let clock = 0
    await expect(
      deleteMapping(client, 'm-1', {
        sleep: (ms) => {
          clock += ms
          return Promise.resolve()
        },
        intervalMs: 1000,
        timeoutMs: 5000,
        now: () => clock
      })
    ).rejects.toThrow(/Timed out after 5 s waiting for event source mapping m-1 to be deleted/)
  })
})

describe('publish notes when green starts to take traffic (for the replay guard of start)', () => {
  const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', '0a0b0c0d'))
  const publishRequest = (green: number, dryRun = false): PublishRequest => {
    const parsed = parseInputs({
      blue: 'stage:abcd1234',
      green: 'prod:0a0b0c0d',
      'domain-name': 'www.deep.mg',
      ratio: `1:${green}`,
      'dry-run': String(dryRun)
    })
    if (parsed.command !== 'publish') throw new Error('a publish request')
    return parsed
  }

  function setup() {
    const dynamodb = new DynamoDBClient({ region: 'us-east-1' })
    const ddb = mockClient(dynamodb)
    return { ctx: makeCtx({ dynamodb }), ddb }
  }

  test('once, as a plan row, only when replication is set up and green gets traffic', async () => {
    const { ctx, ddb } = setup()
    ddb.on(GetItemCommand).resolves({ Item: { pk: { S: 'meta' }, sk: { S: 'meta' } } })
    ddb.on(UpdateItemCommand).resolves({})
    await noteGreenTraffic(publishRequest(1, true), ctx)
    expect(ctx.report.plan.map((r) => [r.resource, r.status])).toEqual([
      [names.controlTable, 'planned']
    ])
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0)
    await noteGreenTraffic(publishRequest(1), ctx)
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input.UpdateExpression).toBe(
      'SET greenTrafficSince = if_not_exists(greenTrafficSince, :at)'
    )
    // All blue: green takes no traffic, nothing to note; already noted: nothing either.
    const quiet = setup()
    quiet.ddb
      .on(GetItemCommand)
      .resolves({ Item: { pk: { S: 'meta' }, sk: { S: 'meta' }, greenTrafficSince: { S: 'x' } } })
    await noteGreenTraffic(publishRequest(0), quiet.ctx)
    await noteGreenTraffic(publishRequest(1), quiet.ctx)
    expect(quiet.ddb.commandCalls(GetItemCommand)).toHaveLength(1)
    expect(quiet.ddb.commandCalls(UpdateItemCommand)).toHaveLength(0)
    expect(quiet.ctx.report.plan).toEqual([])
  })

  test('no control table: nothing; no permission to read it: a warning, and traffic still moves', async () => {
    const none = setup()
    none.ddb
      .on(GetItemCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }))
    await noteGreenTraffic(publishRequest(1), none.ctx)
    expect(none.ctx.report.plan).toEqual([])
    const denied = setup()
    denied.ddb
      .on(GetItemCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }))
    await noteGreenTraffic(publishRequest(1), denied.ctx)
    expect(denied.ctx.report.warnings).toEqual([
      expect.stringContaining('grant dynamodb:GetItem and dynamodb:UpdateItem')
    ])
  })
})
