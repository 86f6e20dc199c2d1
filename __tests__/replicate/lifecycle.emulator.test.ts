/**
 * On the emulator: bad input changes nothing, dry run makes no mutating call, and the whole
 * lifecycle prepare → start → status → stop → terminate leaves AWS as it found it (idempotent
 * re-runs make zero mutating calls). No writes follow a mapping here (a moto gap, DESIGN.md 6).
 * moto keeps a mapping's DestinationConfig (create and update), so the failure queue is checked
 * end to end: created by prepare, the mappings' on-failure destination, counted by status,
 * deleted by terminate.
 */
import {
  CreateFunctionCommand,
  GetEventSourceMappingCommand,
  CreateEventSourceMappingCommand,
  UpdateEventSourceMappingCommand
} from '@aws-sdk/client-lambda'
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand
} from '@aws-sdk/client-sqs'
import { CreateRoleCommand } from '@aws-sdk/client-iam'
import { DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb'
import { describeTable, setStream } from '../../src/aws/dynamodb.js'
import { getRole } from '../../src/aws/iam.js'
import { getFunction, listMappings } from '../../src/aws/lambda.js'
import { getQueue } from '../../src/aws/sqs.js'
import { readControl } from '../../src/replicate/control.js'
import { replicate } from '../../src/replicate/index.js'
import { replicationNames } from '../../src/replicate/names.js'
import { runAction } from '../helpers/action.js'
import { countItems, createTable, deep, hashKey, makeCtx, request, seed } from './helpers.js'

const OPTIONS = { tuning: { pageSize: 20 }, settleMs: 100, waiterMinDelay: 1 }
const BLUE = 'DeepStageTodoabcd1234'
const GREEN = 'DeepProdTodo0a0b0c0d'
const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', '0a0b0c0d'))

beforeAll(async () => {
  const db = makeCtx().clients.dynamodb
  await createTable(db, BLUE, { hash: ['id', 'S'] })
  await createTable(db, GREEN, { hash: ['id', 'S'] })
  await createTable(db, 'DeepStageMissingabcd1234', { hash: ['id', 'S'] })
  await createTable(db, 'DeepStageBadabcd1234', { hash: ['id', 'S'] })
  await createTable(db, 'DeepProdBad0a0b0c0d', { hash: ['id', 'N'] })
  await seed(db, BLUE, hashKey, 60)
})

async function untouched(): Promise<void> {
  const ctx = makeCtx()
  expect(await readControl(ctx.clients.dynamodb, names.controlTable)).toBeUndefined()
  expect((await describeTable(ctx.clients.dynamodb, BLUE))?.stream.enabled).toBe(false)
  expect(await getFunction(ctx.clients.lambda, names.functionName)).toBeUndefined()
  expect(await getQueue(ctx.clients.sqs, names.failureQueue)).toBeUndefined()
}

test('bad input and bad state get a clear error and change nothing', async () => {
  const cases: [Parameters<typeof request>[1], RegExp][] = [
    [{ tables: [{ blue: 'Missing' }] }, /green table DeepProdMissing0a0b0c0d .* does not exist/],
    [{ tables: [{ blue: 'Bad' }] }, /key schemas differ: .*id \(S\).*id \(N\)/],
    [{ tables: [{ blue: 'Nope', green: GREEN }] }, /blue table Nope does not exist/],
    [
      { blue: { kind: 'distribution', id: 'E2QWRUHAPOMQZL' }, tables: [] },
      /env:hash.*BlueTable=GreenTable/
    ],
    [
      { green: { kind: 'alias', alias: 'www2.deep.mg' }, tables: [{ blue: 'Todo' }] },
      /green is alias www2.deep.mg/
    ]
  ]
  for (const [overrides, message] of cases) {
    const ctx = makeCtx()
    await expect(replicate(request('prepare', overrides), ctx, OPTIONS)).rejects.toThrow(message)
    expect(ctx.report.changed).toBe(false)
    expect(ctx.report.plan).toEqual([])
  }
  await untouched()
  const startCtx = makeCtx()
  await expect(
    replicate(request('start', { tables: [{ blue: 'Todo' }] }), startCtx)
  ).rejects.toThrow(/run `replicate prepare` first/)
  await untouched()
})

test('dry run lists every mutating call of prepare and makes none', async () => {
  const ctx = makeCtx()
  await replicate(request('prepare', { tables: [{ blue: 'Todo' }], dryRun: true }), ctx, OPTIONS)
  const calls = ctx.report.plan.map((r) => r.description).join('\n')
  for (const call of [
    'CreateTable',
    'UpdateTable',
    'PutItem',
    'BatchWriteItem',
    'CreateRole',
    'CreateQueue',
    'PutRolePolicy',
    'CreateFunction'
  ]) {
    expect(calls).toContain(call)
  }
  expect(ctx.report.plan.every((r) => r.status === 'planned')).toBe(true)
  expect(ctx.report.changed).toBe(false)
  await untouched()
  expect(
    await getRole(ctx.clients.iam, names.roleName, { inlinePolicyName: names.policyName })
  ).toBeUndefined()
})

test('prepare → start → status → stop → terminate, each idempotent', async () => {
  const req = (action: Parameters<typeof request>[0], more: Parameters<typeof request>[1] = {}) =>
    request(action, { tables: [{ blue: 'Todo' }], segments: 2, ...more })

  const prepared = makeCtx()
  await replicate(req('prepare'), prepared, OPTIONS)
  expect(prepared.report.plan.every((r) => r.status === 'done')).toBe(true)
  expect(prepared.report.tables).toEqual([
    expect.objectContaining({ blue: BLUE, green: GREEN, phase: 'ready', progress: 0 })
  ])
  const db = prepared.clients.dynamodb
  const blue = await describeTable(db, BLUE)
  expect(blue?.stream).toEqual(
    expect.objectContaining({ enabled: true, viewType: 'NEW_AND_OLD_IMAGES' })
  )
  const fn = await getFunction(prepared.clients.lambda, names.functionName)
  expect(JSON.parse(fn?.environment.BLUEGREEN_TABLE_MAP ?? '{}')).toEqual({ [BLUE]: GREEN })
  expect(fn?.environment.BLUEGREEN_CONTROL_TABLE).toBe(names.controlTable)
  const role = await getRole(prepared.clients.iam, names.roleName, {
    inlinePolicyName: names.policyName
  })
  const policy = JSON.parse(role?.inlinePolicy ?? '{}') as {
    Statement: { Sid: string; Action: string[]; Resource: string[] }[]
  }
  const sid = (s: string) => policy.Statement.find((x) => x.Sid === s)
  expect(sid('ReadBlue')?.Resource).toEqual([blue?.arn])
  expect(sid('WriteGreen')?.Resource).toEqual([(await describeTable(db, GREEN))?.arn])
  expect(sid('ReadStreams')?.Resource).toEqual([blue?.stream.arn])
  // The failure queue: kept 14 days; the role may send to it and to nothing else.
  const queue = await getQueue(prepared.clients.sqs, names.failureQueue)
  expect(queue?.arn).toMatch(new RegExp(`^arn:aws:sqs:us-east-1:\\d{12}:${names.failureQueue}$`))
  const queueAttributes = await prepared.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue?.url ?? '',
      AttributeNames: ['MessageRetentionPeriod']
    })
  )
  expect(queueAttributes.Attributes?.MessageRetentionPeriod).toBe(String(14 * 24 * 3600))
  expect(sid('FailedBatches')).toEqual(
    expect.objectContaining({ Action: ['sqs:SendMessage'], Resource: [queue?.arn] })
  )

  // A second prepare finds everything done: zero mutating calls.
  const again = makeCtx()
  await replicate(req('prepare'), again, OPTIONS)
  expect(again.report.plan).toEqual([])
  expect(again.report.changed).toBe(false)

  // start, dry run first.
  const dry = makeCtx()
  await replicate(req('start', { dryRun: true }), dry)
  expect(dry.report.plan.map((r) => r.description)).toEqual([
    expect.stringContaining('CreateEventSourceMapping')
  ])
  expect(await listMappings(dry.clients.lambda, { functionName: names.functionName })).toEqual([])

  const started = makeCtx()
  await replicate(req('start'), started)
  const mappings = await listMappings(started.clients.lambda, { functionName: names.functionName })
  expect(mappings.map((m) => m.eventSourceArn)).toEqual([blue?.stream.arn])
  const mapping = await started.clients.lambda.send(
    new GetEventSourceMappingCommand({ UUID: mappings[0]?.uuid ?? '' })
  )
  expect(mapping).toEqual(
    expect.objectContaining({
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      // Retried until the records are 12 h old (never a fixed count that discards them early).
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: 12 * 3600,
      DestinationConfig: { OnFailure: { Destination: queue?.arn } }
    })
  )
  const startAgain = makeCtx()
  await replicate(req('start'), startAgain)
  expect(startAgain.report.plan).toEqual([])

  // A mapping of ours without the destination (made by an older version) gets it, once.
  await started.clients.lambda.send(
    new UpdateEventSourceMappingCommand({
      UUID: mappings[0]?.uuid ?? '',
      DestinationConfig: { OnFailure: {} }
    })
  )
  const upgraded = makeCtx()
  await replicate(req('start'), upgraded)
  expect(upgraded.report.plan.map((r) => [r.resource, r.status])).toEqual([[BLUE, 'done']])
  expect(upgraded.report.plan[0]?.description).toContain('UpdateEventSourceMapping')
  const updated = await started.clients.lambda.send(
    new GetEventSourceMappingCommand({ UUID: mappings[0]?.uuid ?? '' })
  )
  expect(updated.DestinationConfig?.OnFailure?.Destination).toBe(queue?.arn)
  const upgradedAgain = makeCtx()
  await replicate(req('start'), upgradedAgain)
  expect(upgradedAgain.report.plan).toEqual([])

  // Without the queue, start refuses (a dry run notes it); prepare brings it back, nothing else.
  await started.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: queue?.url ?? '' }))
  const noQueue = makeCtx()
  await expect(replicate(req('start'), noQueue)).rejects.toThrow(
    `the failure queue ${names.failureQueue} is missing: run \`replicate prepare\` again`
  )
  expect(noQueue.report.changed).toBe(false)
  const noQueueDry = makeCtx()
  await replicate(req('start', { dryRun: true }), noQueueDry)
  expect(noQueueDry.report.notes).toEqual([
    expect.stringContaining(`the failure queue ${names.failureQueue} is missing`)
  ])
  const requeued = makeCtx()
  await replicate(req('prepare'), requeued, OPTIONS)
  expect(requeued.report.plan.map((r) => r.resource)).toEqual([names.failureQueue])
  expect((await getQueue(requeued.clients.sqs, names.failureQueue))?.arn).toBe(queue?.arn)
  const startRequeued = makeCtx()
  await replicate(req('start'), startRequeued)
  expect(startRequeued.report.plan).toEqual([])

  const status = makeCtx()
  await replicate(req('status'), status)
  expect(status.report.tables[0]?.phase).toBe('stream')
  const progress = Number(status.report.outputs.progress)
  expect(progress).toBeGreaterThanOrEqual(0)
  expect(progress).toBeLessThanOrEqual(100)
  expect(status.report.warnings).toEqual([])

  // A batch Lambda gave up on lands in the queue: status warns (and does not fail).
  await status.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: queue?.url ?? '',
      MessageBody: JSON.stringify({ DDBStreamBatchInfo: { streamArn: blue?.stream.arn } })
    })
  )
  const failing = makeCtx()
  await replicate(req('status'), failing)
  const warning = `1 failed batch is in ${names.failureQueue}: the keys in them may be stale on green; fix the cause, then run replicate repair (it re-applies their keys and compares the tables)`
  expect(failing.report.warnings).toEqual([warning])
  expect(failing.report.tables[0]?.note).toContain(warning)
  expect(failing.report.outputs.progress).toBe(status.report.outputs.progress)

  const stopped = makeCtx()
  await replicate(req('stop'), stopped)
  expect(await listMappings(stopped.clients.lambda, { functionName: names.functionName })).toEqual(
    []
  )
  expect(stopped.report.outputs.progress).toBe('0')

  const terminated = makeCtx()
  await replicate(req('terminate'), terminated, OPTIONS)
  expect(terminated.report.plan.every((r) => r.status === 'done')).toBe(true)
  expect(
    terminated.report.plan
      .filter((r) => r.description.includes('DeleteQueue'))
      .map((r) => r.resource)
  ).toEqual([names.failureQueue])
  expect(terminated.report.warnings).toEqual([
    expect.stringContaining(`1 failed batch in ${names.failureQueue} will be deleted`)
  ])
  expect(await getQueue(terminated.clients.sqs, names.failureQueue)).toBeUndefined()
  expect(await getFunction(terminated.clients.lambda, names.functionName)).toBeUndefined()
  expect(
    await getRole(terminated.clients.iam, names.roleName, { inlinePolicyName: names.policyName })
  ).toBeUndefined()
  expect(await readControl(db, names.controlTable)).toBeUndefined()
  expect((await describeTable(db, BLUE))?.stream.enabled).toBe(false)

  const twice = makeCtx()
  await replicate(req('terminate'), twice, OPTIONS)
  expect(twice.report.plan).toEqual([])
  expect(twice.report.changed).toBe(false)
})

test('a stream that already has two readers is refused before any change', async () => {
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  await createTable(db, 'DeepStageBusyabcd1234', { hash: ['id', 'S'] })
  await createTable(db, 'DeepProdBusy0a0b0c0d', { hash: ['id', 'S'] })
  await setStream(db, 'DeepStageBusyabcd1234', true)
  const streamArn = (await describeTable(db, 'DeepStageBusyabcd1234'))?.stream.arn ?? ''
  const role = await ctx.clients.iam.send(
    new CreateRoleCommand({ RoleName: 'someone-else', AssumeRolePolicyDocument: '{}' })
  )
  for (const name of ['reader-1', 'reader-2']) {
    await ctx.clients.lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: role.Role?.Arn ?? '',
        Code: { ZipFile: new Uint8Array([80, 75, 5, 6, ...new Array<number>(18).fill(0)]) }
      })
    )
    await ctx.clients.lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: name,
        EventSourceArn: streamArn,
        StartingPosition: 'LATEST'
      })
    )
  }
  await expect(
    replicate(request('prepare', { tables: [{ blue: 'Busy' }] }), ctx, OPTIONS)
  ).rejects.toThrow(/already has 2 readers/)
  expect(ctx.report.changed).toBe(false)
  expect(await readControl(db, names.controlTable)).toBeUndefined()
})

test('the built action runs prepare, status and terminate (dist/index.js with INPUT_*)', async () => {
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  await createTable(db, 'DeepDevAction12345678', { hash: ['id', 'S'] })
  await createTable(db, 'DeepLiveAction87654321', { hash: ['id', 'S'] })
  await seed(db, 'DeepDevAction12345678', hashKey, 30)
  const inputs = { blue: 'dev:12345678', green: 'live:87654321', tables: 'Action', segments: '2' }
  const actionNames = replicationNames(deep('dev', '12345678'), deep('live', '87654321'))

  const prepared = await runAction({ ...inputs, command: 'replicate prepare' })
  expect(prepared.stderr + prepared.stdout).not.toMatch(/::error::/)
  expect(prepared.code).toBe(0)
  expect(prepared.outputs).toEqual(expect.objectContaining({ progress: '0', changed: 'true' }))
  expect(await countItems(db, 'DeepLiveAction87654321')).toBe(30)
  // The function was deployed from the bundled handler found next to the action's chunks.
  expect(await getFunction(ctx.clients.lambda, actionNames.functionName)).toBeDefined()

  const status = await runAction({ ...inputs, command: 'replicate status' })
  expect(status.code).toBe(0)
  expect(status.outputs).toEqual(expect.objectContaining({ progress: '0', changed: 'false' }))

  const verified = await runAction({ ...inputs, command: 'replicate verify' })
  expect(verified.code).toBe(0)

  const terminated = await runAction({ ...inputs, command: 'replicate terminate' })
  expect(terminated.code).toBe(0)
  expect(await readControl(db, actionNames.controlTable)).toBeUndefined()
  expect(await getFunction(ctx.clients.lambda, actionNames.functionName)).toBeUndefined()
})

test("someone else's stream: a KEYS_ONLY one is refused, a NEW_IMAGE one is reused and left on", async () => {
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  const refs = { blue: deep('qa', '99990000'), green: deep('prod', '99990001') }
  const own = replicationNames(refs.blue, refs.green)
  for (const [model, view] of [
    ['Keys', 'KEYS_ONLY'],
    ['Reuse', 'NEW_IMAGE']
  ] as const) {
    await createTable(db, `DeepQa${model}99990000`, { hash: ['id', 'S'] })
    await createTable(db, `DeepProd${model}99990001`, { hash: ['id', 'S'] })
    await db.send(
      new UpdateTableCommand({
        TableName: `DeepQa${model}99990000`,
        StreamSpecification: { StreamEnabled: true, StreamViewType: view }
      })
    )
  }
  await seed(db, 'DeepQaReuse99990000', hashKey, 10)

  const refused = makeCtx()
  await expect(
    replicate(request('prepare', { ...refs, tables: [{ blue: 'Keys' }] }), refused, OPTIONS)
  ).rejects.toThrow(/already has a KEYS_ONLY stream/)
  expect(refused.report.changed).toBe(false)
  expect(await readControl(db, own.controlTable)).toBeUndefined()

  const reused = makeCtx()
  const streamBefore = (await describeTable(db, 'DeepQaReuse99990000'))?.stream.arn
  await replicate(request('prepare', { ...refs, tables: [{ blue: 'Reuse' }] }), reused, OPTIONS)
  expect(reused.report.plan.map((r) => r.description).join('\n')).not.toContain('UpdateTable')
  const record = (await readControl(db, own.controlTable))?.tables.get('DeepQaReuse99990000')
  expect(record?.table).toEqual(
    expect.objectContaining({ streamArn: streamBefore, streamEnabledByUs: false })
  )
  expect(await countItems(db, 'DeepProdReuse99990001')).toBe(10)

  await replicate(request('terminate', refs), makeCtx(), OPTIONS)
  expect((await describeTable(db, 'DeepQaReuse99990000'))?.stream).toEqual(
    expect.objectContaining({ enabled: true, viewType: 'NEW_IMAGE', arn: streamBefore })
  )
  expect(await readControl(db, own.controlTable)).toBeUndefined()
})

test('a prepare killed between turning the stream on and recording T0 still owns the stream', async () => {
  const ctx = makeCtx()
  const db = ctx.clients.dynamodb
  const refs = { blue: deep('crash', '77770000'), green: deep('prod', '77770001') }
  const own = replicationNames(refs.blue, refs.green)
  await createTable(db, 'DeepCrashTodo77770000', { hash: ['id', 'S'] })
  await createTable(db, 'DeepProdTodo77770001', { hash: ['id', 'S'] })
  const dying = new DynamoDBClient({ region: 'us-east-1' })
  dying.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Item?: { sk?: { S?: string } } }
      if (context.commandName === 'PutItemCommand' && input.Item?.sk?.S === 'table') {
        throw new Error('killed')
      }
      return next(args)
    },
    { step: 'initialize', name: 'dieBeforeT0' }
  )
  const req = request('prepare', { ...refs, tables: [{ blue: 'Todo' }] })
  await expect(replicate(req, makeCtx({ dynamodb: dying }), OPTIONS)).rejects.toThrow('killed')
  expect((await describeTable(db, 'DeepCrashTodo77770000'))?.stream.enabled).toBe(true)

  await replicate(req, makeCtx(), OPTIONS)
  const record = (await readControl(db, own.controlTable))?.tables.get('DeepCrashTodo77770000')
  expect(record?.table.streamEnabledByUs).toBe(true)
  await replicate(request('terminate', refs), makeCtx(), OPTIONS)
  expect((await describeTable(db, 'DeepCrashTodo77770000'))?.stream.enabled).toBe(false)
})
