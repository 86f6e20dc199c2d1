/**
 * The replicate planners from plain state, no AWS: every state of the protocol's edges gives the
 * steps (or the refusal) it must. The executor runs exactly these steps; the dry run prints them.
 */
import type { TableInfo } from '../../src/aws/dynamodb.js'
import type { Mapping } from '../../src/aws/lambda.js'
import type { ControlState, TableControl } from '../../src/replicate/control.js'
import { mappingSettings, MAX_RECORD_AGE_SECONDS, policyFor } from '../../src/replicate/deploy.js'
import { replicationNames } from '../../src/replicate/names.js'
import {
  planPrepare,
  retentionProblem,
  streamIsOurs,
  type PrepareRequest
} from '../../src/replicate/prepare.js'
import { eventKind } from '../../src/replicate/function/dispatch.js'
import { parseFailedBatch } from '../../src/replicate/repair.js'
import { planRepair } from '../../src/replicate/repair.js'
import { planStart } from '../../src/replicate/start.js'
import { NO_DELIVERY } from '../../src/replicate/s3/discover.js'
import { NO_LAG } from '../../src/replicate/status.js'
import { planStop } from '../../src/replicate/stop.js'
import { planTerminate } from '../../src/replicate/terminate.js'
import type { ReplicationState, TableFacts } from '../../src/replicate/types.js'
import { deep } from './helpers.js'

const NOW = new Date('2026-06-01T12:00:00.000Z')
const HOUR = 3_600_000
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString()
const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', 'wxyz0987'))
const BLUE = 'DeepStageTodoabcd1234'
const GREEN = 'DeepProdTodowxyz0987'
const STREAM = `arn:aws:dynamodb:us-east-1:123456789012:table/${BLUE}/stream/2026-06-01T11:00:00.000`
const QUEUE_ARN = `arn:aws:sqs:us-east-1:123456789012:${names.failureQueue}`
const FN_ARN = `arn:aws:lambda:us-east-1:123456789012:function:${names.functionName}`

function table(name: string, more: Partial<TableInfo> = {}): TableInfo {
  return {
    name,
    arn: `arn:aws:dynamodb:us-east-1:123456789012:table/${name}`,
    status: 'ACTIVE',
    keySchema: { hash: { name: 'id', type: 'S' }, range: undefined },
    indexes: [],
    itemCount: 100,
    sizeBytes: 10_000,
    stream: { enabled: false, viewType: undefined, arn: undefined },
    ...more
  }
}

const streamOn = { enabled: true, viewType: 'NEW_AND_OLD_IMAGES' as const, arn: STREAM }

function recorded(more: Partial<TableControl['table']> = {}, done = true): TableControl {
  return {
    table: {
      blue: BLUE,
      green: GREEN,
      streamArn: STREAM,
      streamEnabledByUs: true,
      t0: ago(2 * HOUR),
      segments: 4,
      itemCount: 100,
      backfillDoneAt: done ? ago(HOUR) : undefined,
      errors: [],
      greenHadItems: false,
      ...more
    },
    segments: [],
    consumer: undefined
  }
}

function mapping(more: Partial<Mapping> = {}): Mapping {
  const s = mappingSettings(QUEUE_ARN)
  return {
    uuid: 'm-1',
    functionArn: FN_ARN,
    eventSourceArn: STREAM,
    state: 'Enabled',
    lastProcessingResult: 'OK',
    lastModified: new Date(NOW.getTime() - HOUR),
    onFailure: s.onFailureArn,
    startingPosition: 'TRIM_HORIZON',
    batchSize: s.batchSize,
    bisectBatchOnFunctionError: true,
    functionResponseTypes: ['ReportBatchItemFailures'],
    maximumRetryAttempts: -1,
    maximumRecordAgeInSeconds: MAX_RECORD_AGE_SECONDS,
    maximumBatchingWindowInSeconds: undefined,
    ...more
  }
}

function facts(more: Partial<TableFacts> = {}): TableFacts {
  return {
    blue: BLUE,
    green: GREEN,
    blueInfo: table(BLUE),
    greenInfo: table(GREEN),
    streamStatus: undefined,
    control: undefined,
    marker: undefined,
    otherReaders: [],
    ours: [],
    greenHasItems: false,
    indexViolations: [],
    ...more
  }
}

function control(tables: TableControl[], more: Partial<ControlState> = {}): ControlState {
  return {
    meta: undefined,
    tables: new Map(tables.map((t) => [t.table.blue, t])),
    buckets: new Map(),
    enabling: new Map(),
    ...more
  }
}

/** A pair fully prepared: stream on, backfill done, function, role, queue deployed. */
function prepared(more: Partial<ReplicationState> = {}, pair: Partial<TableFacts> = {}) {
  const tc = recorded()
  const env = {
    BLUEGREEN_TABLE_MAP: JSON.stringify({ [BLUE]: GREEN }),
    BLUEGREEN_CONTROL_TABLE: names.controlTable
  }
  return state({
    control: control([tc]),
    tables: [
      facts({
        blueInfo: table(BLUE, { stream: streamOn }),
        control: tc,
        greenHasItems: undefined,
        ...pair
      })
    ],
    fn: {
      arn: FN_ARN,
      codeSha256: 'sha',
      role: 'arn:aws:iam::123456789012:role/r',
      runtime: 'nodejs22.x',
      state: 'Active',
      lastUpdateStatus: 'Successful',
      description: '',
      environment: env
    },
    role: { arn: 'arn:aws:iam::123456789012:role/r', trust: undefined, inlinePolicy: undefined },
    queue: { url: 'https://q', arn: QUEUE_ARN, messages: 0, countError: undefined },
    ...more
  })
}

function state(more: Partial<ReplicationState> = {}): ReplicationState {
  return {
    names,
    region: 'us-east-1',
    envs: { blue: '"b"', green: '"g"' },
    now: NOW,
    control: undefined,
    tables: [facts()],
    buckets: [],
    delivery: NO_DELIVERY,
    fn: undefined,
    role: undefined,
    queue: undefined,
    mappings: [],
    codeSha256: 'sha',
    greenTrafficSince: undefined,
    lag: NO_LAG,
    warnings: [],
    ...more
  }
}

function fnOf(s: ReplicationState): NonNullable<ReplicationState['fn']> {
  if (s.fn === undefined) throw new Error('no function in this state')
  return s.fn
}

const PREPARE: PrepareRequest = { segments: 4, segment: undefined, overwriteGreen: false }
const START = { dryRun: false, replayOverGreenWrites: false }
const kinds = (plan: { steps: { kind: string }[] }): string[] => plan.steps.map((s) => s.kind)

describe('planPrepare', () => {
  test('a fresh pair: control table, stream on, T0, deploy, then the backfill last', () => {
    const plan = planPrepare(state(), PREPARE)
    expect(kinds(plan)).toEqual([
      'control-create',
      'enable-stream',
      'record-t0',
      'queue-create',
      'role-create',
      'role-policy',
      'function-create',
      'backfill'
    ])
    expect(plan.steps.find((s) => s.kind === 'record-t0')).toEqual(
      expect.objectContaining({ streamEnabledByUs: true, greenHadItems: false })
    )
  })

  test('a finished pair with everything deployed plans nothing (role policy aside)', () => {
    const s = prepared()
    const withPolicy = prepared({
      role: {
        arn: 'arn:aws:iam::123456789012:role/r',
        trust: undefined,
        inlinePolicy: planPrepareRolePolicy(s)
      }
    })
    expect(kinds(planPrepare(withPolicy, PREPARE))).toEqual([])
  })

  test("someone else's NEW_IMAGE stream is reused and stays theirs; a KEYS_ONLY one is refused", () => {
    const reuse = planPrepare(
      state({
        tables: [
          facts({ blueInfo: table(BLUE, { stream: { ...streamOn, viewType: 'NEW_IMAGE' } }) })
        ]
      }),
      PREPARE
    )
    expect(kinds(reuse)).not.toContain('enable-stream')
    expect(reuse.steps.find((s) => s.kind === 'record-t0')).toEqual(
      expect.objectContaining({ streamEnabledByUs: false })
    )
    expect(() =>
      planPrepare(
        state({
          tables: [
            facts({ blueInfo: table(BLUE, { stream: { ...streamOn, viewType: 'KEYS_ONLY' } }) })
          ]
        }),
        PREPARE
      )
    ).toThrow(/already has a KEYS_ONLY stream/)
  })

  test('a marker claims the stream only when it names the stream there now (a stale one is cleared)', () => {
    const ours = facts({
      blueInfo: table(BLUE, { stream: streamOn }),
      marker: { at: ago(HOUR), streamArn: STREAM }
    })
    expect(streamIsOurs(ours)).toBe(true)
    const plan = planPrepare(state({ tables: [ours] }), PREPARE)
    expect(plan.steps.find((s) => s.kind === 'record-t0')).toEqual(
      expect.objectContaining({ streamEnabledByUs: true })
    )
    // The owner re-created the stream since: the marker names another one.
    const stale = facts({
      blueInfo: table(BLUE, { stream: streamOn }),
      marker: { at: ago(3 * HOUR), streamArn: `${STREAM}-old` }
    })
    const cleared = planPrepare(state({ tables: [stale] }), PREPARE)
    expect(kinds(cleared).slice(0, 3)).toEqual(['control-create', 'clear-marker', 'record-t0'])
    expect(cleared.steps.find((s) => s.kind === 'record-t0')).toEqual(
      expect.objectContaining({ streamEnabledByUs: false })
    )
    // A marker of an older release (no ARN, written before UpdateTable) counts only for a stream
    // created after it: the stream here was created at 11:00.
    const before = facts({
      blueInfo: table(BLUE, { stream: streamOn }),
      marker: { at: '2026-06-01T10:59:59.000Z', streamArn: undefined }
    })
    const after = facts({
      blueInfo: table(BLUE, { stream: streamOn }),
      marker: { at: '2026-06-01T11:30:00.000Z', streamArn: undefined }
    })
    expect(streamIsOurs(before)).toBe(true)
    expect(streamIsOurs(after)).toBe(false)
  })

  test('a non-empty green is refused unless allowed; allowed, the backfill removes the keys blue lacks', () => {
    const full = state({ tables: [facts({ greenHasItems: true })] })
    expect(() => planPrepare(full, PREPARE)).toThrow(
      /green table DeepProdTodowxyz0987 already holds items.*overwrite-green: true/
    )
    const plan = planPrepare(full, { ...PREPARE, overwriteGreen: true })
    expect(plan.steps.find((s) => s.kind === 'backfill')).toEqual(
      expect.objectContaining({ removeExtra: true })
    )
    expect(plan.steps.find((s) => s.kind === 'record-t0')).toEqual(
      expect.objectContaining({ greenHadItems: true })
    )
    // A resumed backfill remembers it from the control record.
    const resumed = recorded({ greenHadItems: true }, false)
    const again = planPrepare(
      state({
        control: control([resumed]),
        tables: [facts({ blueInfo: table(BLUE, { stream: streamOn }), control: resumed })]
      }),
      PREPARE
    )
    expect(again.steps.find((s) => s.kind === 'backfill')).toEqual(
      expect.objectContaining({ removeExtra: true })
    )
  })

  test("green index keys that blue's items break are refused before any change", () => {
    const plan = () =>
      planPrepare(
        state({
          tables: [
            facts({
              indexViolations: [
                { attribute: 'score', expected: 'N', actual: 'S', key: '{"id":{"S":"a"}}' },
                { attribute: 'score', expected: 'N', actual: 'S', key: '{"id":{"S":"b"}}' }
              ]
            })
          ]
        }),
        PREPARE
      )
    expect(plan).toThrow(
      /green table DeepProdTodowxyz0987 indexes score as N, but blue's items carry S there \(2 items, e.g. \{"id":\{"S":"a"\}\}\)/
    )
  })

  test('a backfill resumes while T0 is inside the retention less the margin, and is refused after', () => {
    const at = (t0: string) => {
      const tc = recorded({ t0 }, false)
      return state({
        control: control([tc]),
        tables: [facts({ blueInfo: table(BLUE, { stream: streamOn }), control: tc })]
      })
    }
    expect(kinds(planPrepare(at(ago(22 * HOUR + 59 * 60_000)), PREPARE))).toContain('backfill')
    expect(() => planPrepare(at(ago(23 * HOUR + 60_000)), PREPARE)).toThrow(
      /can no longer finish inside the stream's 24h00m retention/
    )
  })

  test('a stream with two readers is refused; a reader that is Deleting does not count', () => {
    const reader = (uuid: string, st: Mapping['state']) =>
      mapping({ uuid, functionArn: `arn:aws:lambda:us-east-1:1:function:${uuid}`, state: st })
    const blueInfo = table(BLUE, { stream: streamOn })
    expect(() =>
      planPrepare(
        state({
          tables: [
            facts({ blueInfo, otherReaders: [reader('a', 'Enabled'), reader('b', 'Disabled')] })
          ]
        }),
        PREPARE
      )
    ).toThrow(/already has 2 readers/)
    expect(() =>
      planPrepare(
        state({
          tables: [
            facts({ blueInfo, otherReaders: [reader('a', 'Enabled'), reader('b', 'Deleting')] })
          ]
        }),
        PREPARE
      )
    ).not.toThrow()
  })

  test('a function on an older runtime is moved before its code changes', () => {
    const s = prepared()
    const old = prepared({
      fn: { ...fnOf(s), runtime: 'nodejs20.x', codeSha256: 'old' }
    })
    expect(kinds(planPrepare(old, PREPARE)).filter((k) => k.startsWith('function'))).toEqual([
      'function-config',
      'function-code'
    ])
  })
})

/** The role policy prepare would write for a prepared state (so it can be "already there"). */
function planPrepareRolePolicy(s: ReplicationState): string {
  return policyFor(s, [{ blue: BLUE, green: GREEN }], new Map()) ?? ''
}

describe('planStart', () => {
  test('nothing prepared, or a backfill unfinished, is refused', () => {
    expect(() => planStart(state(), START)).toThrow(/run `replicate prepare` first/)
    const tc = recorded({}, false)
    expect(() => planStart(prepared({ control: control([tc]) }, { control: tc }), START)).toThrow(
      /the backfill of DeepStageTodoabcd1234 has not finished/
    )
  })

  test('a prepared pair gets one mapping from TRIM_HORIZON', () => {
    const plan = planStart(prepared(), START)
    expect(plan.steps).toEqual([
      expect.objectContaining({ kind: 'mapping-create', table: BLUE, streamArn: STREAM })
    ])
  })

  test('T0 must be more than the 1 h margin inside the 24 h retention', () => {
    const at = (t0: string) => {
      const tc = recorded({ t0 })
      return prepared({ control: control([tc]) }, { control: tc })
    }
    expect(kinds(planStart(at(ago(22 * HOUR + 59 * 60_000)), START))).toEqual(['mapping-create'])
    expect(() => planStart(at(ago(23 * HOUR + 60_000)), START)).toThrow(
      /T0 of DeepStageTodoabcd1234 .* is more than 23h00m ago/
    )
    // After an earlier mapping applied changes, the replay starts from its last position.
    const old = recorded({ t0: ago(30 * HOUR) })
    const applied = { ...old, consumer: { position: ago(2 * HOUR), at: ago(2 * HOUR), applied: 5 } }
    expect(
      kinds(planStart(prepared({ control: control([applied]) }, { control: applied }), START))
    ).toEqual(['mapping-create'])
    const stale = { ...old, consumer: { position: ago(23.5 * HOUR), at: ago(HOUR), applied: 5 } }
    expect(() =>
      planStart(prepared({ control: control([stale]) }, { control: stale }), START)
    ).toThrow(/was last replicated up to .* more than 23h00m ago/)
  })

  test('a mapping of ours that is Deleting is waited out, then replaced', () => {
    const plan = planStart(prepared({}, { ours: [mapping({ state: 'Deleting' })] }), START)
    expect(plan.steps.map((s) => [s.kind, 'uuid' in s ? s.uuid : ''])).toEqual([
      ['mapping-wait-gone', 'm-1'],
      ['mapping-create', '']
    ])
  })

  test('a Disabled (or Disabling) mapping of ours is re-enabled where it stopped, not replayed', () => {
    for (const st of ['Disabled', 'Disabling'] as const) {
      const plan = planStart(
        prepared({ greenTrafficSince: ago(HOUR) }, { ours: [mapping({ state: st })] }),
        START
      )
      expect(plan.steps).toEqual([
        expect.objectContaining({ kind: 'mapping-update', uuid: 'm-1', enable: true })
      ])
    }
    // Disabled longer than the stream keeps changes: its position may have aged out.
    expect(() =>
      planStart(
        prepared(
          {},
          {
            ours: [
              mapping({ state: 'Disabled', lastModified: new Date(NOW.getTime() - 23.5 * HOUR) })
            ]
          }
        ),
        START
      )
    ).toThrow(/was disabled at .* more than 23h00m ago/)
  })

  test('an Enabled mapping is left alone, or brought to the settings (retries bounded by age, queue)', () => {
    expect(planStart(prepared({}, { ours: [mapping()] }), START).steps).toEqual([])
    for (const other of [
      { maximumRetryAttempts: 10 },
      { onFailure: undefined },
      { maximumRecordAgeInSeconds: -1 }
    ]) {
      expect(planStart(prepared({}, { ours: [mapping(other)] }), START).steps).toEqual([
        expect.objectContaining({ kind: 'mapping-update', enable: false })
      ])
    }
    // In transition (Creating, Enabling, Updating): there, nothing to do.
    expect(
      planStart(prepared({}, { ours: [mapping({ state: 'Creating' })] }), START).steps
    ).toEqual([])
  })

  test('a replay once green takes writes of its own is refused unless the operator allows it', () => {
    const s = prepared({ greenTrafficSince: ago(HOUR) })
    expect(() => planStart(s, START)).toThrow(
      /replays its stream from TRIM_HORIZON, which would overwrite .* since 2026-06-01T11:00:00.000Z .*replay-over-green-writes: true/
    )
    expect(kinds(planStart(s, { ...START, replayOverGreenWrites: true }))).toEqual([
      'mapping-create'
    ])
  })

  test('a function that lacks the table, or no queue, is refused (a dry run only notes the queue)', () => {
    const s = prepared()
    const unknown = prepared({
      fn: { ...fnOf(s), environment: { BLUEGREEN_TABLE_MAP: '{}' } }
    })
    expect(() => planStart(unknown, START)).toThrow(/does not know DeepStageTodoabcd1234 yet/)
    const noQueue = prepared({ queue: undefined })
    expect(() => planStart(noQueue, START)).toThrow(/failure queue .* is missing/)
    expect(planStart(noQueue, { ...START, dryRun: true }).notes).toEqual([
      expect.stringContaining('A real run of start needs the queue')
    ])
  })
})

describe('planStop and planTerminate', () => {
  test('stop deletes our mappings and waits; one already Deleting is only waited out', () => {
    const other = `arn:aws:dynamodb:us-east-1:1:table/Other/stream/x`
    const s = prepared({
      mappings: [mapping(), mapping({ uuid: 'm-2', eventSourceArn: other, state: 'Deleting' })]
    })
    expect(
      planStop(s, { only: undefined, tables: true, buckets: true }).steps.map((x) => [
        x.kind,
        x.resource
      ])
    ).toEqual([
      ['mapping-delete', BLUE],
      ['mapping-wait-gone', 'Other']
    ])
    expect(kinds(planStop(s, { only: new Set(['Other']), tables: true, buckets: true }))).toEqual([
      'mapping-wait-gone'
    ])
    expect(planStop(state(), { only: undefined, tables: true, buckets: true }).notes).toEqual([
      'No replication mapping to remove.'
    ])
  })

  test('terminate: mappings gone first, the function after; a stream another function reads is left on, named', () => {
    const audit = mapping({
      uuid: 'theirs',
      functionArn: 'arn:aws:lambda:us-east-1:1:function:audit'
    })
    const base = prepared({ mappings: [mapping()] })
    const plan = planTerminate(base, { tablesGiven: false })
    expect(kinds(plan)).toEqual([
      'mapping-delete',
      'function-delete',
      'queue-delete',
      'role-delete',
      'disable-stream',
      'control-delete'
    ])
    const shared = planTerminate(prepared({ mappings: [mapping()] }, { otherReaders: [audit] }), {
      tablesGiven: true
    })
    expect(kinds(shared)).not.toContain('disable-stream')
    expect(shared.warnings).toEqual([
      expect.stringContaining('now also feeds arn:aws:lambda:us-east-1:1:function:audit; left on')
    ])
    expect(shared.notes).toEqual([expect.stringContaining('`tables` is ignored')])
    // A stream prepare did not turn on is never turned off.
    const reused = recorded({ streamEnabledByUs: false })
    expect(
      kinds(
        planTerminate(prepared({ control: control([reused]) }, { control: reused }), {
          tablesGiven: false
        })
      )
    ).not.toContain('disable-stream')
  })

  test('terminate warns that failed batches in the queue go with it, and says to repair first', () => {
    const plan = planTerminate(
      prepared({ queue: { url: 'u', arn: QUEUE_ARN, messages: 3, countError: undefined } }),
      { tablesGiven: false }
    )
    expect(plan.warnings).toEqual([
      expect.stringMatching(/3 failed batches .* \(run replicate repair before terminate/)
    ])
  })
})

describe('planRepair', () => {
  test('the queue is drained when it holds batches, then every table is compared', () => {
    const full = planRepair(
      prepared({ queue: { url: 'u', arn: QUEUE_ARN, messages: 2, countError: undefined } })
    )
    expect(full.steps.map((s) => [s.kind, s.resource])).toEqual([
      ['drain-queue', names.failureQueue],
      ['resync', GREEN]
    ])
    expect(kinds(planRepair(prepared()))).toEqual(['resync'])
    const none = planRepair(prepared({ queue: undefined }))
    expect(none.notes).toEqual([expect.stringContaining('no failed batch to re-apply')])
  })
})

test("prepare's end checks every table's T0, not only the last one copied", () => {
  const records = [
    { blue: 'First', t0: ago(23 * HOUR + 60_000) },
    { blue: 'Last', t0: ago(HOUR) }
  ]
  expect(retentionProblem(records, NOW)).toMatch(/T0 of First \(T0 .*\) is older/)
  expect(retentionProblem(records, NOW)).not.toMatch(/Last/)
  expect(retentionProblem([{ blue: 'Last', t0: ago(HOUR) }], NOW)).toBeUndefined()
})

test('the replication function tells a DynamoDB stream batch from other events by shape', () => {
  const record = { eventSource: 'aws:dynamodb', dynamodb: { Keys: { id: { S: 'a' } } } }
  expect(eventKind({ Records: [record] })).toEqual({ kind: 'dynamodb-stream', records: [record] })
  expect(eventKind({ Records: [] })).toEqual({ kind: 'dynamodb-stream', records: [] })
  expect(eventKind({ Records: [{ eventSource: 'aws:s3' }] })).toEqual({
    kind: 'unknown',
    reason: 'records from aws:s3'
  })
  expect(eventKind({ source: 'aws.s3', detail: {} })).toEqual({
    kind: 'unknown',
    reason: 'source aws.s3'
  })
  expect(eventKind('x')).toEqual({ kind: 'unknown', reason: 'not an object' })
})

test('a failure-queue message is read as Lambda documents the on-failure record of a stream batch', () => {
  // The example invocation record of the Lambda developer guide (DynamoDB streams).
  const documented = {
    requestContext: {
      requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
      functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:myfunction',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 1
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2019-11-14T00:13:49.717Z',
    DDBStreamBatchInfo: {
      shardId: 'shardId-00000001573689847184-864758bb',
      startSequenceNumber: '800000000003126276362',
      endSequenceNumber: '800000000003126276362',
      approximateArrivalOfFirstRecord: '2019-11-14T00:13:19Z',
      approximateArrivalOfLastRecord: '2019-11-14T00:13:19Z',
      batchSize: 1,
      streamArn:
        'arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388'
    }
  }
  expect(parseFailedBatch(JSON.stringify(documented))).toEqual({
    streamArn: documented.DDBStreamBatchInfo.streamArn,
    shardId: documented.DDBStreamBatchInfo.shardId,
    startSequenceNumber: '800000000003126276362',
    endSequenceNumber: '800000000003126276362'
  })
  for (const other of ['not json', '{}', '{"DDBStreamBatchInfo":{"shardId":"s"}}', '[1]']) {
    expect(parseFailedBatch(other)).toBeUndefined()
  }
})

test('the mapping retries are bounded by record age inside what Lambda allows and the stream keeps', () => {
  const s = mappingSettings(QUEUE_ARN)
  // Lambda: MaximumRetryAttempts -1 is infinite (until the record expires or is too old);
  // MaximumRecordAgeInSeconds is -1 or 60 to 604,800. The stream keeps records 24 hours: the age
  // bound leaves half of that for `replicate repair` to read a failed batch back.
  expect(s.maximumRetryAttempts).toBe(-1)
  expect(s.maximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60)
  expect(s.maximumRecordAgeInSeconds).toBeLessThanOrEqual(604_800)
  expect(s.maximumRecordAgeInSeconds * 1000).toBe(12 * HOUR)
  expect(s).toEqual(
    expect.objectContaining({ bisectBatchOnFunctionError: true, reportBatchItemFailures: true })
  )
})
