/**
 * The bucket part of the replicate planners from plain state, no AWS: which steps each command
 * plans for bucket pairs in every state of the protocol (fresh, half-prepared, copied, started,
 * stopped, someone else's EventBridge or rules), and the refusals, every problem at once.
 */
import type { Mapping } from '../../../src/aws/lambda.js'
import { eventQueueAttributes, ruleSendPolicy } from '../../../src/aws/sqs.js'
import type { ControlState } from '../../../src/replicate/control.js'
import { FUNCTION_TIMEOUT_SECONDS, policyFor } from '../../../src/replicate/deploy.js'
import { replicationNames } from '../../../src/replicate/names.js'
import { planPrepare } from '../../../src/replicate/prepare.js'
import { planRepair } from '../../../src/replicate/repair.js'
import {
  deliveryNames,
  MAX_RECEIVE_COUNT,
  visibilityTimeoutSeconds,
  type BucketInfo
} from '../../../src/replicate/s3/delivery.js'
import { NO_DELIVERY } from '../../../src/replicate/s3/discover.js'
import {
  DEAD_LETTER_SID,
  functionBuckets,
  QUEUE_MAPPING_SETTINGS
} from '../../../src/replicate/s3/plan.js'
import type { BucketControl, BucketRecord } from '../../../src/replicate/s3/records.js'
import { s3EventPattern } from '../../../src/aws/eventbridge.js'
import { planStart } from '../../../src/replicate/start.js'
import { NO_LAG } from '../../../src/replicate/status.js'
import { planStop } from '../../../src/replicate/stop.js'
import { planTerminate } from '../../../src/replicate/terminate.js'
import type {
  BucketFacts,
  DeliveryFacts,
  ReplicateStep,
  ReplicationState
} from '../../../src/replicate/types.js'
import { deep } from '../helpers.js'

const NOW = new Date('2026-06-01T12:00:00.000Z')
const HOUR = 3_600_000
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString()
const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', 'wxyz0987'))
const d = deliveryNames(names.functionName)
const ACCOUNT = 'arn:aws:sqs:us-east-1:123456789012'
const FAILURE_ARN = `${ACCOUNT}:${names.failureQueue}`
const EVENTS_ARN = `${ACCOUNT}:${d.queue}`
const RULE_ARN = `arn:aws:events:us-east-1:123456789012:rule/${d.rule}`
const BP = 'deep.stage.private.abcd1234'
const GP = 'deep.prod.private.wxyz0987'
const BU = 'deep.stage.public.abcd1234'
const GU = 'deep.prod.public.wxyz0987'

function info(name: string, more: Partial<BucketInfo> = {}): BucketInfo {
  return {
    name,
    access: 'ok',
    region: 'us-east-1',
    versioning: 'Off',
    objectLock: false,
    eventBridge: false,
    ...more
  }
}

function record(blue: string, green: string, more: Partial<BucketRecord> = {}): BucketRecord {
  return {
    blue,
    green,
    kind: blue.includes('.public.') ? 'public' : 'private',
    patterns: blue.includes('.public.') ? ['*', '!shared/', '!shared/**'] : ['temp'],
    t0: ago(2 * HOUR),
    greenRegion: undefined,
    objectEstimate: 0,
    copyDoneAt: ago(HOUR),
    lastPassListed: 10,
    passesFrom: undefined,
    errors: [],
    ...more
  }
}

function control(rec: BucketRecord | undefined, more: Partial<BucketControl> = {}): BucketControl {
  return {
    record: rec,
    eventBridgeOnAt: rec === undefined ? undefined : ago(3 * HOUR),
    copy: undefined,
    consumer: undefined,
    ...more
  }
}

function bucket(blue: string, green: string, more: Partial<BucketFacts> = {}): BucketFacts {
  const kind = blue.includes('.public.') ? 'public' : 'private'
  return {
    blue,
    green,
    kind,
    ignore: {
      patterns: kind === 'public' ? ['*', '!shared/', '!shared/**'] : ['temp'],
      source: { kind: 'default' }
    },
    blueInfo: info(blue),
    greenInfo: info(green),
    blueWebsite: false,
    control: undefined,
    objectEstimate: undefined,
    ...more
  }
}

function mapping(more: Partial<Mapping> = {}): Mapping {
  return {
    uuid: 'q-1',
    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${names.functionName}`,
    eventSourceArn: EVENTS_ARN,
    state: 'Enabled',
    lastProcessingResult: undefined,
    lastModified: new Date(NOW.getTime() - HOUR),
    onFailure: undefined,
    startingPosition: undefined,
    batchSize: QUEUE_MAPPING_SETTINGS.batchSize,
    bisectBatchOnFunctionError: undefined,
    functionResponseTypes: ['ReportBatchItemFailures'],
    maximumRetryAttempts: undefined,
    maximumRecordAgeInSeconds: undefined,
    maximumBatchingWindowInSeconds: 0,
    ...more
  }
}

/** The delivery as a finished prepare leaves it. */
function delivered(buckets: string[], more: Partial<DeliveryFacts> = {}): DeliveryFacts {
  return {
    rule: { name: d.rule, arn: RULE_ARN, state: 'ENABLED', eventPattern: s3EventPattern(buckets) },
    targets: [{ id: d.targetId, arn: EVENTS_ARN, deadLetterArn: FAILURE_ARN }],
    queue: {
      url: 'https://events',
      arn: EVENTS_ARN,
      attributes: eventQueueAttributes(
        {
          name: d.queue,
          ruleArn: RULE_ARN,
          deadLetterArn: FAILURE_ARN,
          visibilityTimeoutSeconds: visibilityTimeoutSeconds(FUNCTION_TIMEOUT_SECONDS),
          maxReceiveCount: MAX_RECEIVE_COUNT
        },
        EVENTS_ARN
      ),
      backlog: 0
    },
    failureQueuePolicy: ruleSendPolicy(FAILURE_ARN, RULE_ARN, DEAD_LETTER_SID),
    otherRules: [],
    mappings: [],
    ...more
  }
}

function controlState(buckets: BucketControl[]): ControlState {
  return {
    meta: undefined,
    tables: new Map(),
    buckets: new Map(
      buckets.flatMap((b) => (b.record === undefined ? [] : [[b.record.blue, b] as const]))
    ),
    enabling: new Map()
  }
}

const bucketMap = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    [BP]: { green: GP, kind: 'private', ignore: ['temp'] },
    [BU]: { green: GU, kind: 'public', ignore: ['*', '!shared/', '!shared/**'] },
    ...over
  })

function state(more: Partial<ReplicationState> = {}): ReplicationState {
  return {
    names,
    region: 'us-east-1',
    envs: { blue: '"b"', green: '"g"' },
    now: NOW,
    control: undefined,
    tables: [],
    buckets: [bucket(BP, GP), bucket(BU, GU)],
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

/** Both pairs prepared and copied; the function, its role and queues deployed. */
function prepared(more: Partial<ReplicationState> = {}): ReplicationState {
  const cp = control(record(BP, GP))
  const cu = control(record(BU, GU))
  const base = state({
    control: controlState([cp, cu]),
    buckets: [
      bucket(BP, GP, { control: cp, blueInfo: info(BP, { eventBridge: true }) }),
      bucket(BU, GU, { control: cu, blueInfo: info(BU, { eventBridge: true }) })
    ],
    delivery: delivered([BP, BU]),
    queue: { url: 'https://failures', arn: FAILURE_ARN, messages: 0, countError: undefined },
    role: { arn: 'arn:aws:iam::123456789012:role/r', trust: undefined, inlinePolicy: undefined },
    fn: {
      arn: `arn:aws:lambda:us-east-1:123456789012:function:${names.functionName}`,
      codeSha256: 'sha',
      role: 'arn:aws:iam::123456789012:role/r',
      runtime: 'nodejs22.x',
      state: 'Active',
      lastUpdateStatus: 'Successful',
      description: '',
      environment: {
        BLUEGREEN_TABLE_MAP: '{}',
        BLUEGREEN_CONTROL_TABLE: names.controlTable,
        BLUEGREEN_BUCKET_MAP: bucketMap()
      }
    },
    ...more
  })
  const policy = policyFor(base, [], new Map(), FAILURE_ARN, functionBuckets(base))
  if (base.role !== undefined && policy !== undefined) base.role.inlinePolicy = policy
  return base
}

/** The first step of `kind`, typed by it. */
function find<K extends ReplicateStep['kind']>(
  steps: readonly ReplicateStep[],
  kind: K,
  bucket?: string
): Extract<ReplicateStep, { kind: K }> | undefined {
  return steps.find(
    (x): x is Extract<ReplicateStep, { kind: K }> =>
      x.kind === kind && (bucket === undefined || (x.section === 'buckets' && x.bucket === bucket))
  )
}

const kinds = (steps: ReplicateStep[]): string[] =>
  steps.map((s) => `${s.section}:${s.kind}${s.section === 'buckets' ? ` ${s.bucket}` : ''}`)

const PREPARE = { segments: 4, segment: undefined, overwriteGreen: false }

describe('prepare', () => {
  test('fresh: the pair recorded and its delivery in place before T0, T0 before the copies; the function knows both buckets', () => {
    const plan = planPrepare(state(), PREPARE)
    expect(kinds(plan.steps)).toEqual([
      'shared:control-create',
      'shared:queue-create',
      'shared:role-create',
      'shared:role-policy',
      'shared:function-create',
      `buckets:record-pair ${BP}`,
      `buckets:record-pair ${BU}`,
      `buckets:rule-put ${d.rule}`,
      `buckets:events-queue ${d.queue}`,
      `buckets:failure-queue-policy ${names.failureQueue}`,
      `buckets:rule-target ${d.rule}`,
      `buckets:eventbridge-on ${BP}`,
      `buckets:eventbridge-on ${BU}`,
      `buckets:record-t0 ${BP}`,
      `buckets:record-t0 ${BU}`,
      `buckets:copy ${BP}`,
      `buckets:copy ${BU}`
    ])
    expect(find(plan.steps, 'function-create')?.environment).toEqual({
      BLUEGREEN_TABLE_MAP: '{}',
      BLUEGREEN_CONTROL_TABLE: names.controlTable,
      BLUEGREEN_BUCKET_MAP: bucketMap()
    })
    expect(find(plan.steps, 'rule-put')?.buckets).toEqual([BP, BU])
    // Every row names the AWS calls it makes (what the dry run prints).
    for (const s of plan.steps) expect(s.description).toMatch(/\([A-Z][A-Za-z]+[^)]*\)/)
  })

  test("someone else's EventBridge switch is used as it is: no write of their configuration", () => {
    const plan = planPrepare(
      state({ buckets: [bucket(BP, GP, { blueInfo: info(BP, { eventBridge: true }) })] }),
      PREPARE
    )
    expect(kinds(plan.steps).filter((k) => k.includes('eventbridge'))).toEqual([])
  })

  test('a re-run once everything is in place and copied plans nothing', () => {
    expect(planPrepare(prepared(), PREPARE).steps).toEqual([])
  })

  test('a copy whose catch-up pass is still due is the one step left', () => {
    const cp = control(record(BP, GP, { copyDoneAt: undefined }))
    const s = prepared()
    s.buckets[0] = { ...(s.buckets[0] as BucketFacts), control: cp }
    expect(kinds(planPrepare(s, PREPARE).steps)).toEqual([`buckets:copy ${BP}`])
  })

  test('a new ignore list: recorded, a new copy pass, and the function updated', () => {
    const s = prepared()
    s.buckets[0] = {
      ...(s.buckets[0] as BucketFacts),
      ignore: { patterns: ['temp', '*.log'], source: { kind: 'input' } }
    }
    const plan = planPrepare(s, PREPARE)
    expect(kinds(plan.steps)).toEqual([
      'shared:function-config',
      `buckets:record-ignore ${BP}`,
      `buckets:copy ${BP}`
    ])
    expect(find(plan.steps, 'function-config')?.environment).toMatchObject({
      BLUEGREEN_BUCKET_MAP: bucketMap({
        [BP]: { green: GP, kind: 'private', ignore: ['temp', '*.log'] }
      })
    })
  })

  test('a third bucket joins: the rule is widened, and that bucket gets its own T0 and copy', () => {
    const s = prepared()
    s.buckets = [
      bucket('blue-data', 'green-data', { ignore: { patterns: [], source: { kind: 'input' } } })
    ]
    const plan = planPrepare(s, PREPARE)
    expect(kinds(plan.steps)).toEqual([
      'shared:role-policy',
      'shared:function-config',
      'buckets:record-pair blue-data',
      `buckets:rule-put ${d.rule}`,
      'buckets:eventbridge-on blue-data',
      'buckets:record-t0 blue-data',
      'buckets:copy blue-data'
    ])
    expect(find(plan.steps, 'rule-put')?.buckets).toEqual(['blue-data', BP, BU])
  })

  test('missing, unreadable and misplaced buckets are refused together; a versioned or locked green warns', () => {
    const s = state({
      buckets: [
        bucket(BP, GP, { greenInfo: info(GP, { access: 'missing', region: undefined }) }),
        bucket(BU, GU, { blueInfo: info(BU, { access: 'forbidden', region: undefined }) }),
        bucket('eu-blue', 'eu-green', { blueInfo: info('eu-blue', { region: 'eu-west-1' }) })
      ]
    })
    expect(() => planPrepare(s, PREPARE)).toThrow(
      /green bucket deep\.prod\.private\.wxyz0987 \(private\) does not exist[\s\S]*blue bucket deep\.stage\.public\.abcd1234 cannot be read[\s\S]*eu-blue is in eu-west-1[\s\S]*Set `region: eu-west-1`/
    )
    const warned = planPrepare(
      state({
        buckets: [
          bucket(BP, GP, { greenInfo: info(GP, { versioning: 'Enabled', objectLock: true }) }),
          bucket(BU, GU, { greenInfo: info(GU, { region: 'eu-west-1' }) })
        ]
      }),
      PREPARE
    )
    expect(warned.warnings).toEqual([
      expect.stringMatching(/versioning enabled: objects replication deletes or overwrites stay/),
      expect.stringMatching(/Object Lock/),
      expect.stringMatching(/eu-west-1: objects are copied across regions/)
    ])
    expect(find(warned.steps, 'copy', BU)?.route.greenRegion).toBe('eu-west-1')
  })

  test('a pair prepared into another green is refused', () => {
    const s = prepared()
    s.buckets = [{ ...(s.buckets[0] as BucketFacts), green: 'other-green' }]
    expect(() => planPrepare(s, PREPARE)).toThrow(
      /being replicated into deep\.prod\.private\.wxyz0987, not other-green/
    )
  })

  test('overwrite-green lets the copy delete the keys only green has', () => {
    const plan = planPrepare(state(), { ...PREPARE, overwriteGreen: true })
    expect(find(plan.steps, 'copy')?.deleteExtra).toBe(true)
  })
})

describe('start', () => {
  const START = { dryRun: false, replayOverGreenWrites: false }

  test('copied: one mapping on the events queue; again: nothing', () => {
    expect(kinds(planStart(prepared(), START).steps)).toEqual([`buckets:mapping-create ${d.queue}`])
    const started = prepared()
    started.delivery = { ...started.delivery, mappings: [mapping()] }
    expect(planStart(started, START).steps).toEqual([])
  })

  test('a Disabled mapping is re-enabled, one Deleting is waited out and replaced', () => {
    const s = prepared()
    s.delivery = { ...s.delivery, mappings: [mapping({ state: 'Disabled' })] }
    expect(planStart(s, START).steps).toMatchObject([{ kind: 'mapping-update', enable: true }])
    s.delivery = { ...s.delivery, mappings: [mapping({ state: 'Deleting' })] }
    expect(kinds(planStart(s, START).steps)).toEqual([
      `buckets:mapping-wait-gone ${d.queue}`,
      `buckets:mapping-create ${d.queue}`
    ])
  })

  test('refused until the copy (with its catch-up pass) is done, and while the function lacks a bucket or its ignore list', () => {
    const due = prepared()
    due.buckets[0] = {
      ...(due.buckets[0] as BucketFacts),
      control: control(record(BP, GP, { copyDoneAt: undefined, t0: ago(-60_000) }))
    }
    expect(() => planStart(due, START)).toThrow(
      /needs its catch-up pass.*run `replicate prepare`.* again after then/
    )
    const unknown = prepared()
    if (unknown.fn) unknown.fn.environment.BLUEGREEN_BUCKET_MAP = bucketMap({ [BU]: undefined })
    expect(() => planStart(unknown, START)).toThrow(/does not know bucket deep\.stage\.public/)
    const other = prepared()
    other.buckets[0] = {
      ...(other.buckets[0] as BucketFacts),
      ignore: { patterns: ['cache/'], source: { kind: 'input' } }
    }
    expect(() => planStart(other, START)).toThrow(/another ignore list than this run/)
    expect(() => planStart(state({ control: controlState([]) }), START)).toThrow(
      /bucket deep\.stage\.private\.abcd1234 is not prepared[\s\S]*bucket deep\.stage\.public\.abcd1234 is not prepared/
    )
  })
})

describe('stop, terminate, repair', () => {
  test('stop removes only the events mapping, and only when buckets are covered', () => {
    const s = prepared({ mappings: [mapping()] })
    expect(kinds(planStop(s, { only: undefined, tables: true, buckets: true }).steps)).toEqual([
      `buckets:mapping-delete ${d.queue}`
    ])
    expect(planStop(s, { only: undefined, tables: true, buckets: false }).steps).toEqual([])
  })

  test('terminate: the mapping, the rule, the queue, and the switches prepare turned on that no other rule could use', () => {
    const s = prepared({ mappings: [mapping()] })
    s.buckets[1] = {
      ...(s.buckets[1] as BucketFacts),
      control: control(record(BU, GU), { eventBridgeOnAt: undefined })
    }
    s.delivery = { ...s.delivery, mappings: [mapping()] }
    const plan = planTerminate(s, { tablesGiven: false })
    expect(kinds(plan.steps)).toEqual([
      `buckets:mapping-delete ${d.queue}`,
      `buckets:rule-delete ${d.rule}`,
      `buckets:events-queue-delete ${d.queue}`,
      `buckets:eventbridge-off ${BP}`,
      'shared:function-delete',
      'shared:queue-delete',
      'shared:role-delete',
      'shared:control-delete'
    ])
  })

  test("terminate keeps EventBridge on where another rule may use the bucket's events, and warns of events still waiting", () => {
    const s = prepared()
    s.delivery = {
      ...s.delivery,
      otherRules: [
        {
          name: 'their-audit',
          arn: 'arn:aws:events:us-east-1:123456789012:rule/their-audit',
          state: 'ENABLED',
          eventPattern: JSON.stringify({ source: ['aws.s3'] })
        }
      ],
      queue: { ...(s.delivery.queue as NonNullable<DeliveryFacts['queue']>), backlog: 3 }
    }
    const plan = planTerminate(s, { tablesGiven: false })
    expect(kinds(plan.steps).filter((k) => k.includes('eventbridge-off'))).toEqual([])
    expect(plan.warnings).toEqual([
      expect.stringMatching(/3 events of blue's objects wait in/),
      expect.stringMatching(/deep\.stage\.private\.abcd1234 stays on: the rule their-audit/),
      expect.stringMatching(/deep\.stage\.public\.abcd1234 stays on: the rule their-audit/)
    ])
  })

  test('repair: the failure queue drained for tables and buckets, then every pair compared', () => {
    const s = prepared({
      queue: { url: 'https://failures', arn: FAILURE_ARN, messages: 2, countError: undefined }
    })
    const plan = planRepair(s)
    expect(kinds(plan.steps)).toEqual([
      'shared:drain-queue',
      `buckets:resync ${BP}`,
      `buckets:resync ${BU}`
    ])
    expect(plan.steps[0]).toMatchObject({
      buckets: [
        { blue: BP, green: GP, patterns: ['temp'] },
        { blue: BU, green: GU }
      ]
    })
    expect(plan.steps[0]?.description).toMatch(
      /HeadObject on blue, CopyObject\/DeleteObject on green/
    )
  })
})
