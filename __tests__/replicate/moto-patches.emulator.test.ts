/**
 * Self-test of scripts/moto/patches_replicate.py: the emulator behaves as AWS documents where
 * replicate's central paths depend on it.
 * - A write whose index key attribute has another type than the index declares is refused
 *   (ValidationException "Type mismatch for Index Key"), by PutItem and by BatchWriteItem.
 * - An event source mapping is Creating before Enabled, and Deleting (still listed) before gone.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand
} from '@aws-sdk/client-dynamodb'
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand
} from '@aws-sdk/client-lambda'
import { CreateRoleCommand } from '@aws-sdk/client-iam'
import { describeTable, setStream } from '../../src/aws/dynamodb.js'
import { createScoredTable, makeCtx } from './helpers.js'

const ctx = makeCtx()
const db = ctx.clients.dynamodb

test('a write that breaks an index key type is refused, as AWS does', async () => {
  await createScoredTable(db, 'patch-strict')
  const mismatch = /Type mismatch for Index Key score Expected: N Actual: S IndexName: byScore/
  await expect(
    db.send(
      new PutItemCommand({ TableName: 'patch-strict', Item: { id: { S: 'a' }, score: { S: 'x' } } })
    )
  ).rejects.toThrow(mismatch)
  await expect(
    db.send(
      new BatchWriteItemCommand({
        RequestItems: {
          'patch-strict': [{ PutRequest: { Item: { id: { S: 'b' }, score: { S: 'x' } } } }]
        }
      })
    )
  ).rejects.toThrow(mismatch)
  // The right type, and no index attribute at all, are fine.
  await db.send(
    new PutItemCommand({ TableName: 'patch-strict', Item: { id: { S: 'c' }, score: { N: '1' } } })
  )
  await db.send(new PutItemCommand({ TableName: 'patch-strict', Item: { id: { S: 'd' } } }))
  for (const [id, present] of [
    ['a', false],
    ['b', false],
    ['c', true],
    ['d', true]
  ] as const) {
    const { Item } = await db.send(
      new GetItemCommand({ TableName: 'patch-strict', Key: { id: { S: id } } })
    )
    expect(Item !== undefined).toBe(present)
  }
})

test('a mapping reads Creating before Enabled, and Deleting before it is gone', async () => {
  await db.send(
    new CreateTableCommand({
      TableName: 'patch-streamed',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }]
    })
  )
  await setStream(db, 'patch-streamed', true)
  const streamArn = (await describeTable(db, 'patch-streamed'))?.stream.arn ?? ''
  const role = await ctx.clients.iam.send(
    new CreateRoleCommand({ RoleName: 'patch-reader', AssumeRolePolicyDocument: '{}' })
  )
  await ctx.clients.lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'patch-reader',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: role.Role?.Arn ?? '',
      Code: { ZipFile: new Uint8Array([80, 75, 5, 6, ...new Array<number>(18).fill(0)]) }
    })
  )
  const lambda = ctx.clients.lambda
  const created = await lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: 'patch-reader',
      EventSourceArn: streamArn,
      StartingPosition: 'TRIM_HORIZON'
    })
  )
  const uuid = created.UUID ?? ''
  expect(created.State).toBe('Creating')
  const get = () => lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))
  expect((await get()).State).toBe('Creating')
  expect((await get()).State).toBe('Enabled')

  const deleted = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
  expect(deleted.State).toBe('Deleting')
  const listed = await lambda.send(
    new ListEventSourceMappingsCommand({ EventSourceArn: streamArn })
  )
  expect(listed.EventSourceMappings?.map((m) => [m.UUID, m.State])).toEqual([[uuid, 'Deleting']])
  await expect(get()).rejects.toThrow(/does not exist/)
  const after = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: streamArn }))
  expect(after.EventSourceMappings).toEqual([])
})
