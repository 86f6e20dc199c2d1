/** Pairing rules, names and the status math, with plain data. */
import type { TableControl } from '../../src/replicate/control.js'
import {
  deepModelOf,
  deepTableName,
  pairTables,
  sameKeySchema
} from '../../src/replicate/pairing.js'
import { replicationNames } from '../../src/replicate/names.js'
import {
  backfillPercent,
  backfillShare,
  MAX_ITERATOR_AGE_MS,
  NO_LAG,
  overallPercent,
  streamPercent,
  tableStatus
} from '../../src/replicate/status.js'
import type { Mapping } from '../../src/aws/lambda.js'
import { canonicalItem, parseKey } from '../../src/replicate/verify.js'
import { tableOfStreamArn } from '../../src/replicate/function/apply.js'
import { deep } from './helpers.js'

const stage = deep('stage', 'abcd1234')
const prod = deep('prod', 'a0b0c0d0')

describe('pairing', () => {
  test('a DEEP model name pairs the blue and green tables of the model', () => {
    expect(deepTableName({ env: 'stage', hash: 'abcd1234' }, 'Todo')).toBe('DeepStageTodoabcd1234')
    expect(pairTables(stage, prod, [{ blue: 'Todo' }])).toEqual([
      { blue: 'DeepStageTodoabcd1234', green: 'DeepProdTodoa0b0c0d0' }
    ])
  })

  test('a blue table name of the environment pairs with the same model on green', () => {
    expect(pairTables(stage, prod, [{ blue: 'DeepStageTodoabcd1234' }])).toEqual([
      { blue: 'DeepStageTodoabcd1234', green: 'DeepProdTodoa0b0c0d0' }
    ])
    expect(deepModelOf({ env: 'stage', hash: 'abcd1234' }, 'DeepProdTodoabcd1234')).toBeUndefined()
  })

  test('explicit pairs work with any environment reference', () => {
    const dist = { kind: 'distribution', id: 'E1' } as const
    expect(
      pairTables(dist, { kind: 'alias', alias: 'a.b.c' }, [{ blue: 'X1', green: 'Y1' }])
    ).toEqual([{ blue: 'X1', green: 'Y1' }])
  })

  test('without tables, every blue table of the env with a green partner is paired', () => {
    const existing = [
      'DeepStageTodoabcd1234',
      'DeepProdTodoa0b0c0d0',
      'DeepStageNoteabcd1234', // no green partner: left out
      'DeepStageTodoffffffff', // another environment
      'bluegreen-replication-stage-abcd1234-prod-a0b0c0d0'
    ]
    expect(pairTables(stage, prod, [], existing)).toEqual([
      { blue: 'DeepStageTodoabcd1234', green: 'DeepProdTodoa0b0c0d0' }
    ])
    expect(() => pairTables(stage, prod, [], ['DeepStageNoteabcd1234'])).toThrow(
      /has a green partner/
    )
  })

  test('distribution ids or aliases without explicit pairs are refused, naming the fix', () => {
    const dist = { kind: 'distribution', id: 'E2QWRUHAPOMQZL' } as const
    expect(() => pairTables(dist, prod, [])).toThrow(
      /blue is distribution E2QWRUHAPOMQZL.*BlueTable=GreenTable/
    )
    expect(() =>
      pairTables(stage, { kind: 'alias', alias: 'www2.deep.mg' }, [{ blue: 'Todo' }])
    ).toThrow(/green is alias www2.deep.mg/)
    expect(() =>
      pairTables(deep('x', 'abcd1234'), { kind: 'deep', env: undefined, hash: 'a0b0c0d0' }, [
        { blue: 'Todo' }
      ])
    ).toThrow(/green is hash a0b0c0d0/)
  })

  test('a table in two pairs is refused', () => {
    expect(() =>
      pairTables(stage, prod, [
        { blue: 'A1', green: 'B1' },
        { blue: 'B1', green: 'C1' }
      ])
    ).toThrow(/B1 appears twice/)
  })

  test('key schemas match by name and type of hash and range', () => {
    const s = { name: 'id', type: 'S' as const }
    expect(sameKeySchema({ hash: s, range: undefined }, { hash: s, range: undefined })).toBe(true)
    expect(
      sameKeySchema({ hash: s, range: undefined }, { hash: { ...s, type: 'N' }, range: undefined })
    ).toBe(false)
    expect(
      sameKeySchema({ hash: s, range: undefined }, { hash: s, range: { name: 'sk', type: 'N' } })
    ).toBe(false)
  })
})

test('names fit DynamoDB, Lambda and IAM limits', () => {
  const n = replicationNames(stage, prod)
  expect(n.controlTable).toBe('bluegreen-replication-stage-abcd1234-prod-a0b0c0d0')
  expect(n.functionName).toBe(n.controlTable)
  const long = replicationNames(
    { kind: 'alias', alias: 'www1.a-very-long-domain-name.example.com' },
    prod
  )
  expect(long.functionName).toMatch(/^bluegreen-replication-[0-9a-f]{16}$/)
  expect(long.functionName.length).toBeLessThanOrEqual(64)
  // SQS queue names: at most 80 characters of letters, digits, - and _.
  const longest = replicationNames({ kind: 'alias', alias: 'a'.repeat(28) }, prod)
  expect(longest.functionName).toHaveLength(64)
  for (const names of [n, long, longest]) {
    expect(names.failureQueue).toBe(`${names.functionName}-failures`)
    expect(names.failureQueue).toMatch(/^[A-Za-z0-9_-]{1,80}$/)
  }
})

function control(partial: {
  segments: { segment: number; copied: number; done: boolean }[]
  done?: string
}): TableControl {
  return {
    table: {
      blue: 'b',
      green: 'g',
      streamArn: 's',
      streamEnabledByUs: true,
      t0: '2026-01-01T00:00:00.000Z',
      segments: 4,
      itemCount: 400,
      backfillDoneAt: partial.done,
      errors: [],
      greenHadItems: false
    },
    segments: partial.segments.map((s) => ({ ...s, lastKey: undefined, pages: 1, updatedAt: '' })),
    consumer: undefined
  }
}

describe('status math', () => {
  test('backfill: −100 at the start, towards −1, never 0 before the scan ends', () => {
    expect(backfillPercent(backfillShare(control({ segments: [] })))).toBe(-100)
    const half = control({
      segments: [
        { segment: 0, copied: 100, done: true },
        { segment: 1, copied: 100, done: true },
        { segment: 2, copied: 0, done: false }
      ]
    })
    expect(backfillPercent(backfillShare(half))).toBe(-50)
    const almost = control({
      segments: [0, 1, 2, 3].map((segment) => ({ segment, copied: 5000, done: segment < 3 }))
    })
    expect(backfillPercent(backfillShare(almost))).toBe(-1)
  })

  const t0 = new Date('2026-01-01T00:00:00Z')
  const now = new Date('2026-01-01T01:00:00Z')

  test('stream: the share of T0 → now the consumer has applied', () => {
    const consumer = {
      position: '2026-01-01T00:30:00.000Z',
      at: '2026-01-01T00:59:00.000Z',
      applied: 5
    }
    expect(
      streamPercent({
        t0,
        now,
        consumer,
        mapping: { lastProcessingResult: 'OK', lastModified: t0 },
        lag: NO_LAG
      })
    ).toBe(50)
    expect(
      streamPercent({
        t0,
        now,
        consumer: undefined,
        mapping: { lastProcessingResult: 'OK', lastModified: t0 },
        lag: NO_LAG
      })
    ).toBe(0)
  })

  test('stream: 100 only when the mapping found nothing new after the last heartbeat', () => {
    const consumer = {
      position: '2026-01-01T00:50:00.000Z',
      at: '2026-01-01T00:59:00.000Z',
      applied: 5
    }
    const idle = { lastProcessingResult: 'No records processed', lastModified: t0 }
    expect(streamPercent({ t0, now, consumer, mapping: idle, lag: NO_LAG })).toBe(100)
    expect(
      streamPercent({ t0, now, consumer, mapping: { ...idle, lastModified: now }, lag: NO_LAG })
    ).toBe(83)
    // A fresh mapping says "No records processed" before its first poll: not 100 yet.
    expect(
      streamPercent({
        t0,
        now,
        consumer: undefined,
        mapping: { ...idle, lastModified: new Date(now.getTime() - 60_000) },
        lag: NO_LAG
      })
    ).toBe(0)
    expect(
      streamPercent({
        t0,
        now,
        consumer: undefined,
        mapping: { ...idle, lastModified: new Date(now.getTime() - 600_000) },
        lag: NO_LAG
      })
    ).toBe(100)
    expect(
      streamPercent({
        t0,
        now,
        consumer: { ...consumer, position: '2026-01-01T01:00:00.000Z' },
        mapping: { lastProcessingResult: 'OK', lastModified: t0 },
        lag: NO_LAG
      })
    ).toBe(99)
  })

  test('stream: 100 also needs IteratorAge at most a minute (one shard may lag behind)', () => {
    // The mapping's last poll was empty after the heartbeat: today's conditions for 100 hold.
    const consumer = {
      position: '2026-01-01T00:50:00.000Z',
      at: '2026-01-01T00:59:00.000Z',
      applied: 5
    }
    const idle = { lastProcessingResult: 'No records processed', lastModified: t0 }
    const at = (lag: Parameters<typeof streamPercent>[0]['lag']): number =>
      streamPercent({ t0, now, consumer, mapping: idle, lag })
    expect(at({ kind: 'age', ms: 600_000 })).toBe(99)
    expect(at({ kind: 'age', ms: MAX_ITERATOR_AGE_MS + 1 })).toBe(99)
    expect(at({ kind: 'age', ms: MAX_ITERATOR_AGE_MS })).toBe(100)
    expect(at({ kind: 'age', ms: 0 })).toBe(100)
    // No datapoint in the window (no records flowed): today's logic.
    expect(at(NO_LAG)).toBe(100)
    // Unreadable metric: held below 100 so the data-replicate gate stays shut.
    expect(at({ kind: 'unknown' })).toBe(99)
    // The no-heartbeat idle case is capped the same way.
    const quiet = { ...idle, lastModified: new Date(now.getTime() - 600_000) }
    expect(
      streamPercent({
        t0,
        now,
        consumer: undefined,
        mapping: quiet,
        lag: { kind: 'age', ms: 90_000 }
      })
    ).toBe(99)
    // Below 100 the lag changes nothing.
    expect(
      streamPercent({
        t0,
        now,
        consumer,
        mapping: { ...idle, lastModified: now },
        lag: { kind: 'age', ms: 600_000 }
      })
    ).toBe(83)
  })

  test('stream row: the lag caps the table at 99 and says why', () => {
    const streaming: TableControl = {
      ...control({ segments: [], done: '2026-01-01T00:10:00Z' }),
      consumer: { position: '2026-01-01T00:50:00.000Z', at: '2026-01-01T00:59:00.000Z', applied: 5 }
    }
    const mapping: Mapping = {
      uuid: 'm-1',
      functionArn: 'arn:aws:lambda:us-east-1:1:function:f',
      eventSourceArn: 's',
      state: 'Enabled',
      lastProcessingResult: 'No records processed',
      lastModified: t0,
      onFailure: undefined,
      startingPosition: 'TRIM_HORIZON',
      batchSize: 100,
      bisectBatchOnFunctionError: true,
      functionResponseTypes: ['ReportBatchItemFailures'],
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: 43200,
      maximumBatchingWindowInSeconds: undefined
    }
    const behind = tableStatus('b', 'g', streaming, mapping, now, { kind: 'age', ms: 125_400 })
    expect(behind.row.progress).toBe(99)
    expect(behind.row.note).toContain('the function is 125 s behind on some shard (IteratorAge)')
    expect(overallPercent([behind])).toBe(99)
    const denied = tableStatus('b', 'g', streaming, mapping, now, { kind: 'unknown' })
    expect(denied.row.progress).toBe(99)
    expect(denied.row.note).toContain('grant cloudwatch:GetMetricStatistics')
    const caughtUp = tableStatus('b', 'g', streaming, mapping, now, { kind: 'age', ms: 2_000 })
    expect(caughtUp.row.progress).toBe(100)
    expect(caughtUp.row.note).not.toContain('IteratorAge')
    expect(tableStatus('b', 'g', streaming, mapping, now, NO_LAG).row.progress).toBe(100)
  })

  test('overall: backfill formula while any table backfills, else the slowest table', () => {
    const backfilling = tableStatus('b', 'g', control({ segments: [] }), undefined, now, NO_LAG)
    const ready = tableStatus(
      'b',
      'g',
      control({ segments: [], done: '2026-01-01T00:10:00Z' }),
      undefined,
      now,
      NO_LAG
    )
    expect(ready.row).toEqual(expect.objectContaining({ phase: 'ready', progress: 0 }))
    expect(overallPercent([backfilling, ready])).toBe(-50)
    expect(overallPercent([ready])).toBe(0)
    expect(tableStatus('b', 'g', undefined, undefined, now, NO_LAG).row.progress).toBe(-100)
  })
})

test('verify re-reads a differing key from its canonical text', () => {
  const key = { pk: { S: 'user "1", x=1' }, sk: { N: '42' }, b: { B: new Uint8Array([1, 2, 255]) } }
  expect(parseKey(canonicalItem(key))).toEqual({ ...key, b: { B: Buffer.from([1, 2, 255]) } })
  expect(canonicalItem({ s: { SS: ['b', 'a'] } })).toBe(canonicalItem({ s: { SS: ['a', 'b'] } }))
})

test('the blue table of a stream ARN', () => {
  expect(
    tableOfStreamArn(
      'arn:aws:dynamodb:eu-west-1:1:table/DeepStageTodoabcd1234/stream/2026-01-01T00:00:00.000'
    )
  ).toBe('DeepStageTodoabcd1234')
})
