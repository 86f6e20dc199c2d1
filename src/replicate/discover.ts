/**
 * discover: one read-only pass over everything a replicate command plans from. The control
 * table, the pairs (described, with their streams and indexes), every mapping of the function
 * and the other readers of each stream, the function, its role, the failure queue, and (when a
 * table is in the stream phase) the function's IteratorAge. Nothing here changes AWS.
 */
import { latestIteratorAge } from '../aws/cloudwatch.js'
import {
  describeTable,
  hasItems,
  sampleTypeViolations,
  streamStatus,
  type KeyAttribute,
  type TableInfo,
  type TypeViolation
} from '../aws/dynamodb.js'
import { errorMessage } from '../aws/errors.js'
import { getRole } from '../aws/iam.js'
import { getFunction, listMappings, type Mapping } from '../aws/lambda.js'
import { countMessages, getQueue } from '../aws/sqs.js'
import { mapLimit } from '../concurrency.js'
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import type { ReplicateRequest } from '../inputs.js'
import { isBackfillDone, readControl, type ControlState } from './control.js'
import { codeSha256, handlerZip } from './deploy.js'
import { replicationNames, type ReplicationNames } from './names.js'
import { pairTables, resolvePairs } from './pairing.js'
import { readBuckets } from './s3/discover.js'
import { ITERATOR_AGE_PERMISSION, NO_LAG, type IteratorLag } from './status.js'
import type { QueueFacts, ReplicationState, TableFacts } from './types.js'

/** What the command needs: prepare also samples blue against green's indexes and reads green. */
export type Purpose = 'prepare' | 'start' | 'stop' | 'terminate' | 'status' | 'verify' | 'repair'

/** Items of blue read to check green's index key types before anything changes. */
export const INDEX_SAMPLE_ITEMS = 1000

/** True when the mapping's function is ours (ARN ends in `:function:<name>`, any qualifier). */
export function isOurs(mapping: Mapping, names: ReplicationNames): boolean {
  return new RegExp(`:function:${names.functionName}(:[^:]+)?$`).test(mapping.functionArn)
}

/** Pairs whose tables must exist and match (prepare, start, verify, repair) or as recorded. */
async function readPairs(
  request: ReplicateRequest,
  ctx: Context,
  purpose: Purpose,
  control: ControlState | undefined
): Promise<{ blue: string; green: string; blueInfo?: TableInfo; greenInfo?: TableInfo }[]> {
  const db = ctx.clients.dynamodb
  if (!request.resources.tables && purpose !== 'terminate') return []
  if (
    purpose === 'prepare' ||
    purpose === 'start' ||
    purpose === 'verify' ||
    purpose === 'repair'
  ) {
    // With buckets too and no table named, a pair without tables is fine (checked after both).
    const allowNone = request.resources.buckets && request.tables.length === 0
    const resolved = await resolvePairs(db, request, { allowNone })
    return resolved.map((p) => ({
      blue: p.blue.name,
      green: p.green.name,
      blueInfo: p.blue,
      greenInfo: p.green
    }))
  }
  const recorded = [...(control?.tables.values() ?? [])].map((t) => ({
    blue: t.table.blue,
    green: t.table.green
  }))
  // terminate removes the replication of every table of the pair, whatever `tables` says.
  const pairs =
    request.tables.length === 0 || purpose === 'terminate'
      ? recorded
      : pairTables(request.blue, request.green, request.tables).map(
          (p) => recorded.find((r) => r.blue === p.blue) ?? p
        )
  // Only terminate needs blue as it is now (is the stream still the one prepare enabled?).
  if (purpose !== 'terminate') return pairs
  return mapLimit(pairs, 8, async (p) => {
    const blueInfo = await describeTable(db, p.blue)
    return blueInfo === undefined ? p : { ...p, blueInfo }
  })
}

/** Green's index key attributes that are not its table keys, with their declared types. */
export function indexAttributes(green: TableInfo): KeyAttribute[] {
  const tableKeys = new Set([green.keySchema.hash.name, green.keySchema.range?.name])
  const seen = new Map<string, KeyAttribute>()
  for (const index of green.indexes) {
    for (const k of index.keys) if (!tableKeys.has(k.name)) seen.set(k.name, k)
  }
  return [...seen.values()]
}

/**
 * Violations of green's index key types by blue: an attribute blue declares with another type
 * (so every blue item carrying it breaks green's index), then a sample of blue's items.
 */
async function indexViolations(
  ctx: Context,
  blue: TableInfo,
  green: TableInfo
): Promise<TypeViolation[]> {
  const attributes = indexAttributes(green)
  if (attributes.length === 0) return []
  const declared: TypeViolation[] = []
  const blueTypes = new Map(
    [blue.keySchema.hash, blue.keySchema.range, ...blue.indexes.flatMap((i) => i.keys)]
      .filter((a): a is KeyAttribute => a !== undefined)
      .map((a) => [a.name, a.type])
  )
  for (const a of attributes) {
    const type = blueTypes.get(a.name)
    if (type !== undefined && type !== a.type) {
      declared.push({
        attribute: a.name,
        expected: a.type,
        actual: type,
        key: `(blue declares ${a.name} as ${type})`
      })
    }
  }
  const sampled = await sampleTypeViolations(ctx.clients.dynamodb, {
    table: blue.name,
    keySchema: blue.keySchema,
    attributes,
    limit: INDEX_SAMPLE_ITEMS
  })
  return [...declared, ...sampled]
}

/**
 * The failure queue. Commands that only report (status, stop) go on when it cannot be read, with
 * `countError`; the others need its ARN and fail.
 */
async function readQueue(
  ctx: Context,
  name: string,
  tolerant: boolean
): Promise<QueueFacts | undefined> {
  try {
    const queue = await getQueue(ctx.clients.sqs, name)
    if (queue === undefined) return undefined
    return {
      ...queue,
      messages: await countMessages(ctx.clients.sqs, queue.url),
      countError: undefined
    }
  } catch (error) {
    if (!tolerant) throw error
    return { url: '', arn: '', messages: undefined, countError: errorMessage(error) }
  }
}

async function readLag(
  ctx: Context,
  names: ReplicationNames,
  now: Date,
  warnings: string[]
): Promise<IteratorLag> {
  try {
    const ms = await latestIteratorAge(ctx.clients.cloudwatch, names.functionName, now)
    return ms === undefined ? NO_LAG : { kind: 'age', ms }
  } catch (error) {
    warnings.push(
      `Could not read the IteratorAge of ${names.functionName} from CloudWatch (${errorMessage(error)}): replication progress stays below 100 % until ${ITERATOR_AGE_PERMISSION} is granted.`
    )
    return { kind: 'unknown' }
  }
}

/** Neither a table nor a bucket of blue has a green partner. */
function nothingPaired(request: ReplicateRequest): string {
  const env = (ref: ReplicateRequest['blue']): string =>
    ref.kind === 'deep' ? `${ref.env ?? ''}:${ref.hash}` : JSON.stringify(ref)
  return `Nothing to replicate: no table of blue ${env(request.blue)} has a green partner in ${env(request.green)} (DEEP tables Deep<Env><Model><hash>), and neither has a private or public bucket on both sides (deep.<env>.<private|public>.<hash>). List what to replicate in \`tables\` (model names or blue=green pairs) or \`buckets\` (private:blue-bucket=green-bucket).`
}

export async function readReplication(
  request: ReplicateRequest,
  ctx: Context,
  purpose: Purpose
): Promise<ReplicationState> {
  const db = ctx.clients.dynamodb
  const names = replicationNames(request.blue, request.green)
  const now = ctx.now()
  const warnings: string[] = []
  const control = await readControl(db, names.controlTable)
  const pairs = await readPairs(request, ctx, purpose, control)
  const needsAll = purpose !== 'verify'
  const mappings = needsAll
    ? await listMappings(ctx.clients.lambda, { functionName: names.functionName })
    : []
  const readsStreams = purpose === 'prepare' || purpose === 'start' || purpose === 'terminate'

  const tables = await mapLimit(pairs, 4, async (p): Promise<TableFacts> => {
    const tc = control?.tables.get(p.blue)
    const streamArn = p.blueInfo?.stream.arn
    const recordedArn = tc?.table.streamArn ?? streamArn
    const readersOf = readsStreams ? (tc?.table.streamArn ?? streamArn) : undefined
    const readers =
      readersOf === undefined
        ? []
        : (await listMappings(ctx.clients.lambda, { eventSourceArn: readersOf })).filter(
            (m) => !isOurs(m, names)
          )
    const backfilling = tc === undefined || !isBackfillDone(tc)
    const forPrepare =
      purpose === 'prepare' && p.blueInfo !== undefined && p.greenInfo !== undefined
    return {
      blue: p.blue,
      green: p.green,
      blueInfo: p.blueInfo,
      greenInfo: p.greenInfo,
      streamStatus:
        readsStreams && streamArn !== undefined
          ? await streamStatus(ctx.clients.streams, streamArn)
          : undefined,
      control: tc,
      marker: control?.enabling.get(p.blue),
      otherReaders: readers,
      ours: mappings.filter((m) => m.eventSourceArn === recordedArn),
      greenHasItems: forPrepare && tc === undefined ? await hasItems(db, p.green) : undefined,
      indexViolations:
        forPrepare && backfilling && p.blueInfo !== undefined && p.greenInfo !== undefined
          ? await indexViolations(ctx, p.blueInfo, p.greenInfo)
          : []
    }
  })

  const { buckets, delivery } = await readBuckets(request, ctx, purpose, {
    control,
    names,
    mappings
  })
  if (
    tables.length === 0 &&
    buckets.length === 0 &&
    (purpose === 'prepare' || purpose === 'start' || purpose === 'verify' || purpose === 'repair')
  ) {
    throw new BlueGreenError(nothingPaired(request))
  }

  const streaming = tables.some(
    (t) => t.control !== undefined && isBackfillDone(t.control) && t.ours.length > 0
  )
  const deploys = purpose === 'prepare' || purpose === 'start' || purpose === 'terminate'
  const wantsLag = purpose === 'status' || purpose === 'prepare' || purpose === 'start'
  return {
    names,
    region: request.region,
    envs: { blue: JSON.stringify(request.blue), green: JSON.stringify(request.green) },
    now,
    control,
    tables,
    buckets,
    delivery,
    fn: deploys ? await getFunction(ctx.clients.lambda, names.functionName) : undefined,
    role: deploys
      ? await getRole(ctx.clients.iam, names.roleName, { inlinePolicyName: names.policyName })
      : undefined,
    queue: needsAll
      ? await readQueue(ctx, names.failureQueue, purpose === 'status' || purpose === 'stop')
      : undefined,
    mappings,
    codeSha256: purpose === 'prepare' ? codeSha256(await handlerZip()) : '',
    greenTrafficSince: control?.meta?.greenTrafficSince,
    lag: wantsLag && streaming ? await readLag(ctx, names, now, warnings) : NO_LAG,
    warnings
  }
}
