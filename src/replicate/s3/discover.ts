/**
 * discover, for buckets: which bucket pairs a command covers, what each bucket is (readable, its
 * region, versioning, Object Lock, website, EventBridge delivery), the ignore list in force, what
 * the control table holds for each pair, and the state of the delivery (our rule, its target, the
 * events queue, our mapping on it). Read-only.
 *
 * Which pairs: prepare, start, verify and repair pair from the request (DEEP names found with
 * HeadBucket, or `buckets`); status and stop take the pairs prepare recorded (those in `buckets`
 * when given); terminate every recorded pair.
 */
import { readFile } from 'node:fs/promises'
import { bucketObjectCount } from '../../aws/cloudwatch.js'
import { errorMessage } from '../../aws/errors.js'
import {
  describeRule,
  listRules,
  listTargets,
  type Rule,
  type Target
} from '../../aws/eventbridge.js'
import type { Mapping } from '../../aws/lambda.js'
import {
  bucketVersioning,
  eventBridgeEnabled,
  getNotificationConfig,
  hasWebsite,
  headBucket,
  objectLockEnabled
} from '../../aws/s3.js'
import { queueAttributes } from '../../aws/sqs.js'
import { mapLimit } from '../../concurrency.js'
import type { Context } from '../../context.js'
import { BlueGreenError } from '../../errors.js'
import type { ReplicateRequest } from '../../inputs.js'
import type { ControlState } from '../control.js'
import type { ReplicationNames } from '../names.js'
import type { BucketFacts, DeliveryFacts, EventsQueueFacts } from '../types.js'
import { deliveryNames, type BucketInfo } from './delivery.js'
import {
  DEFAULT_IGNORE,
  IgnoreFileError,
  resolveIgnoreInput,
  type BucketKind,
  type ResolvedIgnore
} from './ignore.js'
import {
  BUCKET_KINDS,
  deepBucketName,
  pairBuckets,
  PairingError,
  type BucketPair
} from './pairing.js'

export type BucketPurpose =
  'prepare' | 'start' | 'stop' | 'terminate' | 'status' | 'verify' | 'repair'

export interface BucketDiscovery {
  buckets: BucketFacts[]
  delivery: DeliveryFacts
}

export const NO_DELIVERY: DeliveryFacts = {
  rule: undefined,
  targets: [],
  queue: undefined,
  failureQueuePolicy: undefined,
  otherRules: [],
  mappings: []
}

/** True when the mapping reads our events queue. */
export function isEventsMapping(m: Mapping, names: ReplicationNames): boolean {
  return m.eventSourceArn.includes(':sqs:') && m.eventSourceArn.endsWith(`:${eventsQueueOf(names)}`)
}

export function eventsQueueOf(names: ReplicationNames): string {
  return deliveryNames(names.functionName).queue
}

/** The ignore lists of the request (a file of the repository is read here). */
export async function requestedIgnore(
  request: Pick<ReplicateRequest, 'privateIgnore' | 'publicIgnore'>,
  workspace = process.env.GITHUB_WORKSPACE ?? process.cwd()
): Promise<Record<BucketKind, ResolvedIgnore>> {
  const deps = { workspace, readFile: (file: string) => readFile(file, 'utf8') }
  try {
    return {
      private: await resolveIgnoreInput('private-ignore', request.privateIgnore, deps),
      public: await resolveIgnoreInput('public-ignore', request.publicIgnore, deps)
    }
  } catch (error) {
    if (error instanceof IgnoreFileError) throw new BlueGreenError(error.message)
    throw error
  }
}

/** The bucket pairs of the request: `buckets`, or DEEP's names that exist on both sides. */
async function requestedPairs(request: ReplicateRequest, ctx: Context): Promise<BucketPair[]> {
  try {
    if (request.buckets.length > 0) {
      return pairBuckets({ ...request, existing: new Set() })
    }
    const b = request.blue
    const g = request.green
    // Without env:hash, pairBuckets says how to name the buckets.
    if (b.kind !== 'deep' || g.kind !== 'deep' || b.env === undefined || g.env === undefined) {
      return pairBuckets({ ...request, existing: new Set() })
    }
    const candidates = BUCKET_KINDS.flatMap((kind) => [
      deepBucketName({ env: b.env ?? '', hash: b.hash }, kind),
      deepBucketName({ env: g.env ?? '', hash: g.hash }, kind)
    ])
    const existing = new Set<string>()
    await mapLimit(candidates, 4, async (name) => {
      if ((await headBucket(ctx.clients.s3, name)).access !== 'missing') existing.add(name)
    })
    return pairBuckets({ ...request, existing })
  } catch (error) {
    if (error instanceof PairingError) throw new BlueGreenError(error.message)
    throw error
  }
}

async function bucketInfo(
  ctx: Context,
  name: string,
  reads: { eventBridge: boolean; versioning: boolean }
): Promise<BucketInfo> {
  const s3 = ctx.clients.s3
  const head = await headBucket(s3, name)
  const info: BucketInfo = {
    name,
    access: head.access,
    region: head.region,
    versioning: undefined,
    objectLock: undefined,
    eventBridge: undefined
  }
  if (head.access !== 'ok') return info
  const here = head.region === undefined ? s3 : ctx.clients.s3In(head.region)
  if (reads.eventBridge)
    info.eventBridge = eventBridgeEnabled(await getNotificationConfig(here, name))
  if (reads.versioning) {
    info.versioning = await bucketVersioning(here, name)
    info.objectLock = await objectLockEnabled(here, name)
  }
  return info
}

function ignoreOf(
  kind: BucketKind,
  requested: Record<BucketKind, ResolvedIgnore>,
  recorded: string[] | undefined
): BucketFacts['ignore'] {
  const given = requested[kind]
  if (given.source.kind !== 'default') return { patterns: given.patterns, source: given.source }
  if (recorded !== undefined) return { patterns: recorded, source: { kind: 'recorded' } }
  return { patterns: [...DEFAULT_IGNORE[kind]], source: { kind: 'default' } }
}

async function estimate(ctx: Context, bucket: string): Promise<number | undefined> {
  try {
    return await bucketObjectCount(ctx.clients.cloudwatch, bucket, ctx.now())
  } catch {
    // Only status's total uses it: a role without CloudWatch access copies as well.
    return undefined
  }
}

/** The pairs a command covers, before any bucket is read. */
async function pairsFor(
  request: ReplicateRequest,
  ctx: Context,
  purpose: BucketPurpose,
  control: ControlState | undefined
): Promise<BucketPair[]> {
  const recorded: BucketPair[] = [...(control?.buckets.values() ?? [])].flatMap((c) =>
    c.record === undefined
      ? []
      : [{ blue: c.record.blue, green: c.record.green, kind: c.record.kind }]
  )
  if (purpose === 'terminate') {
    // Also a bucket whose EventBridge switch prepare turned on before it recorded the pair.
    const marked = [...(control?.buckets ?? [])].flatMap(([blue, c]) =>
      c.record === undefined && c.eventBridgeOnAt !== undefined
        ? [{ blue, green: '', kind: 'private' as const }]
        : []
    )
    return [...recorded, ...marked]
  }
  if (!request.resources.buckets) return []
  if (purpose === 'status' || purpose === 'stop') {
    if (request.buckets.length === 0) return recorded
    return pairBucketsOrThrow(request).map((p) => recorded.find((r) => r.blue === p.blue) ?? p)
  }
  return requestedPairs(request, ctx)
}

function pairBucketsOrThrow(request: ReplicateRequest): BucketPair[] {
  try {
    return pairBuckets({ ...request, existing: new Set() })
  } catch (error) {
    if (error instanceof PairingError) throw new BlueGreenError(error.message)
    throw error
  }
}

export async function readBuckets(
  request: ReplicateRequest,
  ctx: Context,
  purpose: BucketPurpose,
  state: { control: ControlState | undefined; names: ReplicationNames; mappings: Mapping[] }
): Promise<BucketDiscovery> {
  const { control } = state
  const pairs = await pairsFor(request, ctx, purpose, control)
  // A prepare that died before its pair was recorded may have left its EventBridge note.
  const anyRecorded = [...(control?.buckets.values() ?? [])].some(
    (c) => c.record !== undefined || c.eventBridgeOnAt !== undefined
  )
  if (pairs.length === 0 && !anyRecorded) return { buckets: [], delivery: NO_DELIVERY }
  const requested = await requestedIgnore(request)
  const readsBuckets =
    purpose === 'prepare' || purpose === 'start' || purpose === 'verify' || purpose === 'repair'
  const buckets = await mapLimit(pairs, 4, async (pair): Promise<BucketFacts> => {
    const bc = control?.buckets.get(pair.blue)
    const marked = bc?.eventBridgeOnAt !== undefined
    const [blueInfo, greenInfo] = readsBuckets
      ? await Promise.all([
          bucketInfo(ctx, pair.blue, { eventBridge: purpose === 'prepare', versioning: false }),
          bucketInfo(ctx, pair.green, { eventBridge: false, versioning: purpose === 'prepare' })
        ])
      : purpose === 'terminate' && marked
        ? [await bucketInfo(ctx, pair.blue, { eventBridge: true, versioning: false }), undefined]
        : [undefined, undefined]
    const blueRegion = blueInfo?.region
    return {
      ...pair,
      ignore: ignoreOf(pair.kind, requested, bc?.record?.patterns),
      blueInfo,
      greenInfo,
      blueWebsite:
        purpose === 'prepare' && blueInfo?.access === 'ok'
          ? await hasWebsite(
              blueRegion === undefined ? ctx.clients.s3 : ctx.clients.s3In(blueRegion),
              pair.blue
            )
          : false,
      control: bc,
      objectEstimate:
        purpose === 'prepare' && bc?.record === undefined
          ? await estimate(ctx, pair.blue)
          : undefined
    }
  })
  return { buckets, delivery: await readDelivery(ctx, purpose, state) }
}

async function readDelivery(
  ctx: Context,
  purpose: BucketPurpose,
  state: { control: ControlState | undefined; names: ReplicationNames; mappings: Mapping[] }
): Promise<DeliveryFacts> {
  const { names } = state
  const delivery = deliveryNames(names.functionName)
  const eb = ctx.clients.eventbridge
  const mappings = state.mappings.filter((m) => isEventsMapping(m, names))
  const readsRule = purpose === 'prepare' || purpose === 'start' || purpose === 'terminate'
  const rule: Rule | undefined = readsRule ? await describeRule(eb, delivery.rule) : undefined
  const targets: Target[] =
    rule !== undefined && purpose !== 'terminate' ? await listTargets(eb, delivery.rule) : []
  let queue: EventsQueueFacts | undefined
  if (purpose !== 'verify' && purpose !== 'repair') {
    try {
      const q = await queueAttributes(ctx.clients.sqs, delivery.queue)
      queue =
        q === undefined
          ? undefined
          : {
              url: q.url,
              arn: q.arn,
              attributes: q.attributes,
              backlog:
                Number(q.attributes.ApproximateNumberOfMessages ?? '0') +
                Number(q.attributes.ApproximateNumberOfMessagesNotVisible ?? '0')
            }
    } catch (error) {
      if (purpose !== 'status' && purpose !== 'stop') throw error
      queue = { url: '', arn: '', attributes: {}, backlog: undefined }
      ctx.log.warn(`Could not read the events queue ${delivery.queue}: ${errorMessage(error)}`)
    }
  }
  const failureQueuePolicy =
    purpose === 'prepare'
      ? (await queueAttributes(ctx.clients.sqs, names.failureQueue))?.attributes.Policy
      : undefined
  const marked = [...(state.control?.buckets.values() ?? [])].some(
    (c) => c.eventBridgeOnAt !== undefined
  )
  const otherRules =
    purpose === 'terminate' && marked
      ? (await listRules(eb)).filter((r) => r.name !== delivery.rule)
      : []
  return { rule, targets, queue, failureQueuePolicy, otherRules, mappings }
}
