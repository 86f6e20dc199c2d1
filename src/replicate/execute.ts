/**
 * The one executor of replicate: runs a plan's steps in order, each a row of report.plan marked
 * done or failed as it goes, and passes what a step learns (the role's ARN, the queue, the stream
 * ARNs, T0 records, the rule's ARN) to the steps after it. Consecutive backfill and bucket copy
 * steps run together (a bounded number at once), so the first table's retention clock does not
 * run while the last one is copied. Bucket steps run in s3/execute.ts. Dry run: the rows are
 * listed and nothing runs.
 */
import {
  describeTable,
  isStreamAlreadyEnabled,
  setStream,
  waitForTableActive,
  waitForTableGone,
  waitStreamEnabled
} from '../aws/dynamodb.js'
import { createRole, deleteRole, putInlinePolicy } from '../aws/iam.js'
import {
  createFunction,
  createStreamMapping,
  deleteFunction,
  deleteMapping,
  updateFunctionCode,
  updateFunctionConfiguration,
  updateStreamMapping,
  waitMappingGone,
  waitMappingSettled
} from '../aws/lambda.js'
import { createQueue, deleteQueue } from '../aws/sqs.js'
import { mapLimit } from '../concurrency.js'
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import type { PlanRow } from '../report.js'
import { backfill, type BackfillTuning } from './backfill.js'
import {
  clearEnabling,
  createControlTable,
  deleteControlTable,
  markBackfillDone,
  markEnabling,
  putMeta,
  putTableRecord,
  readControl,
  recordTableError,
  type TableRecord
} from './control.js'
import {
  FUNCTION_HANDLER,
  FUNCTION_MEMORY_MB,
  FUNCTION_RUNTIME,
  FUNCTION_TIMEOUT_SECONDS,
  handlerZip,
  mappingSettings,
  policyFor,
  TRUSTED_SERVICES
} from './deploy.js'
import { retentionProblem, type RetentionRules } from './prepare.js'
import { assertLevel, drainQueue, resyncTable, type RepairDeps } from './repair.js'
import {
  bucketLive,
  bucketRepairDeps,
  runBucket,
  runBucketResync,
  type BucketLive,
  type BucketRunOptions
} from './s3/execute.js'
import { applyS3Message } from './s3/repair.js'
import type {
  ReplicatePlan,
  ReplicateStep,
  ReplicationState,
  SharedStep,
  TableStep
} from './types.js'

export interface ExecuteOptions extends RetentionRules, BucketRunOptions {
  tuning?: BackfillTuning
  /** Wait between T0 and the first scan, so writes in flight when the stream came on are visible. */
  settleMs?: number
  /** Shortest delay of the SDK waiters, seconds. */
  waiterMinDelay?: number
  /** Scan segments of a table comparison (repair, removal of keys blue lacks). */
  compareSegments?: number
}

/** Tables backfilled at once. */
export const TABLES_AT_ONCE = 4

/** What steps learn as they run, for the steps after them. */
interface Live {
  roleArn: string | undefined
  queue: { url: string; arn: string } | undefined
  streams: Map<string, string>
  records: Map<string, TableRecord>
  /** Tables compared whole during this run (repair does each once). */
  resynced: Set<string>
  buckets: BucketLive
}

export async function executePlan(
  plan: ReplicatePlan,
  state: ReplicationState,
  ctx: Context,
  options: ExecuteOptions & { dryRun: boolean }
): Promise<void> {
  for (const w of plan.warnings) {
    ctx.log.warn(w)
    if (!ctx.report.warnings.includes(w)) ctx.report.warnings.push(w)
  }
  ctx.report.notes.push(...plan.notes)
  const rows: PlanRow[] = plan.steps.map((s) => ({
    description: s.description,
    resource: s.resource,
    status: 'planned'
  }))
  ctx.report.plan.push(...rows)
  if (options.dryRun) return
  const live: Live = {
    roleArn: state.role?.arn,
    queue: state.queue === undefined ? undefined : { url: state.queue.url, arn: state.queue.arn },
    streams: new Map(),
    records: new Map(),
    resynced: new Set(),
    buckets: bucketLive(state)
  }
  for (const t of state.tables) {
    const arn = t.control?.table.streamArn ?? t.blueInfo?.stream.arn
    if (arn !== undefined) live.streams.set(t.blue, arn)
    if (t.control !== undefined) live.records.set(t.blue, t.control.table)
  }
  const run = async (index: number): Promise<void> => {
    const step = plan.steps[index]
    const row = rows[index]
    if (step === undefined || row === undefined) return
    ctx.report.changed = true
    try {
      if (step.section === 'shared') await runShared(step, state, live, ctx, options)
      else if (step.section === 'tables') await runTable(step, state, live, ctx, options)
      else
        await runBucket(step, state, { live: live.buckets, failureQueue: live.queue }, ctx, options)
      row.status = 'done'
    } catch (error) {
      row.status = 'failed'
      throw error
    }
  }
  // Backfills and bucket copies that follow each other run together.
  const copies = (step: ReplicateStep | undefined): boolean =>
    (step?.section === 'tables' && step.kind === 'backfill') ||
    (step?.section === 'buckets' && step.kind === 'copy')
  for (let i = 0; i < plan.steps.length;) {
    const step = plan.steps[i]
    if (copies(step)) {
      let end = i
      while (copies(plan.steps[end])) end++
      const group = Array.from({ length: end - i }, (_, k) => i + k)
      await mapLimit(group, TABLES_AT_ONCE, run)
      checkRetention(
        ctx,
        live,
        group.map((k) => plan.steps[k]),
        options
      )
      i = end
    } else {
      await run(i)
      i++
    }
  }
}

/**
 * After the backfills: every table's T0 must still be inside the stream's retention less the
 * margin, or start could not replay all changes since; checked for every table of the run, not
 * only the one that finished last.
 */
function checkRetention(
  ctx: Context,
  live: Live,
  steps: readonly (ReplicateStep | undefined)[],
  rules: RetentionRules
): void {
  const records = steps.flatMap((step) => {
    const record = step?.section === 'tables' ? live.records.get(step.table) : undefined
    return record === undefined ? [] : [record]
  })
  const problem = retentionProblem(records, ctx.now(), rules)
  if (problem !== undefined) throw new BlueGreenError(problem)
}

function waiter(options: ExecuteOptions): { minDelay: number } {
  return { minDelay: options.waiterMinDelay ?? 2 }
}

function mappingWait(ctx: Context, options: ExecuteOptions) {
  return { sleep: ctx.sleep, intervalMs: (options.waiterMinDelay ?? 2) * 1000 }
}

function repairDeps(ctx: Context, options: ExecuteOptions): RepairDeps {
  return {
    dynamodb: ctx.clients.dynamodb,
    streams: ctx.clients.streams,
    sqs: ctx.clients.sqs,
    log: ctx.log,
    sleep: ctx.sleep,
    segments: options.compareSegments ?? 4
  }
}

async function resync(
  ctx: Context,
  state: ReplicationState,
  live: Live,
  options: ExecuteOptions,
  blue: string,
  green: string,
  prove = true
): Promise<void> {
  if (live.resynced.has(blue)) return
  const facts = state.tables.find((t) => t.blue === blue)
  const schema =
    facts?.blueInfo?.keySchema ?? (await describeTable(ctx.clients.dynamodb, blue))?.keySchema
  if (schema === undefined) throw new BlueGreenError(`Table ${blue} does not exist any more`)
  const pair = { blue, green, schema }
  const result = await ctx.log.group(`Compare ${blue} → ${green}`, () =>
    resyncTable(repairDeps(ctx, options), pair)
  )
  ctx.log.info(`${blue} → ${green}: ${result.applied} differing keys applied`)
  if (prove) assertLevel(pair, result)
  live.resynced.add(blue)
}

async function runShared(
  step: SharedStep,
  state: ReplicationState,
  live: Live,
  ctx: Context,
  options: ExecuteOptions
): Promise<void> {
  const { names } = state
  const { clients } = ctx
  const propagation = { sleep: ctx.sleep }
  switch (step.kind) {
    case 'control-create':
      await createControlTable(clients.dynamodb, names.controlTable)
      await waitForTableActive(clients.dynamodb, names.controlTable, waiter(options))
      await putMeta(clients.dynamodb, names.controlTable, {
        blue: state.envs.blue,
        green: state.envs.green,
        functionName: names.functionName,
        roleName: names.roleName,
        createdAt: ctx.now().toISOString()
      })
      return
    case 'control-delete':
      await deleteControlTable(clients.dynamodb, names.controlTable)
      await waitForTableGone(clients.dynamodb, names.controlTable, waiter(options))
      return
    case 'queue-create': {
      const queue = await createQueue(clients.sqs, names.failureQueue)
      live.queue = { url: queue.url, arn: queue.arn }
      return
    }
    case 'queue-delete':
      if (live.queue !== undefined) await deleteQueue(clients.sqs, live.queue.url)
      return
    case 'role-create':
      live.roleArn = await createRole(clients.iam, {
        name: names.roleName,
        trustedServices: TRUSTED_SERVICES,
        description: `bluegreen-action replication ${names.controlTable}`
      })
      return
    case 'role-policy': {
      const policy = policyFor(state, step.tables, live.streams, live.queue?.arn, step.buckets)
      if (policy === undefined) throw new Error('a stream ARN is still unknown for the role policy')
      await putInlinePolicy(clients.iam, names.roleName, names.policyName, policy)
      return
    }
    case 'role-delete':
      await deleteRole(clients.iam, names.roleName, { inlinePolicies: [names.policyName] })
      return
    case 'function-create':
      await createFunction(
        clients.lambda,
        {
          name: names.functionName,
          roleArn: live.roleArn ?? '',
          zip: await handlerZip(),
          runtime: FUNCTION_RUNTIME,
          handler: FUNCTION_HANDLER,
          memoryMb: FUNCTION_MEMORY_MB,
          timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
          description: `bluegreen-action: replicates DynamoDB ${names.controlTable}`,
          environment: step.environment
        },
        { ...propagation, ...waiter(options) }
      )
      return
    case 'function-code':
      await updateFunctionCode(
        clients.lambda,
        names.functionName,
        await handlerZip(),
        waiter(options)
      )
      return
    case 'function-config':
      await updateFunctionConfiguration(
        clients.lambda,
        names.functionName,
        {
          runtime: FUNCTION_RUNTIME,
          environment: step.environment,
          ...(live.roleArn === undefined ? {} : { roleArn: live.roleArn })
        },
        { ...propagation, ...waiter(options) }
      )
      return
    case 'function-delete':
      await deleteFunction(clients.lambda, names.functionName)
      return
    case 'drain-queue': {
      if (live.queue === undefined) return
      const bucketDeps = bucketRepairDeps(ctx, state)
      const result = await drainQueue(repairDeps(ctx, options), live.queue.url, {
        tables: step.tables,
        buckets: step.buckets,
        applyS3: (body) => applyS3Message(bucketDeps, body, step.buckets),
        resyncTable: (blue) =>
          resync(
            ctx,
            state,
            live,
            options,
            blue,
            step.tables.find((t) => t.blue === blue)?.green ?? ''
          ),
        resyncBucket: async (blue) => {
          const pairing = step.buckets.find((b) => b.blue === blue)
          if (pairing !== undefined) await runBucketResync(ctx, state, live.buckets, pairing)
        }
      })
      ctx.log.info(
        `failure queue: ${result.messages} batches, ${result.keys} keys re-applied${result.resynced.length > 0 ? `; compared whole: ${result.resynced.join(', ')}` : ''}`
      )
      return
    }
  }
}

async function runTable(
  step: TableStep,
  state: ReplicationState,
  live: Live,
  ctx: Context,
  options: ExecuteOptions
): Promise<void> {
  const { names } = state
  const db = ctx.clients.dynamodb
  const lambda = ctx.clients.lambda
  switch (step.kind) {
    case 'enable-stream': {
      let arn: string | undefined
      try {
        arn = await setStream(db, step.table, true)
      } catch (error) {
        // Not ours: never leave a marker that would claim someone else's stream.
        await clearEnabling(db, names.controlTable, step.table).catch(() => undefined)
        if (isStreamAlreadyEnabled(error)) {
          throw new BlueGreenError(
            `Someone turned on the stream of ${step.table} while prepare was starting; re-run prepare (it reuses that stream and leaves it on).`
          )
        }
        throw error
      }
      arn ??= (await describeTable(db, step.table))?.stream.arn
      if (arn === undefined)
        throw new BlueGreenError(`The stream of ${step.table} did not come on; re-run prepare`)
      await markEnabling(db, names.controlTable, step.table, {
        at: ctx.now().toISOString(),
        streamArn: arn
      })
      live.streams.set(step.table, arn)
      return
    }
    case 'clear-marker':
      await clearEnabling(db, names.controlTable, step.table)
      return
    case 'record-t0': {
      const current = await describeTable(db, step.table)
      const streamArn = current?.stream.arn
      if (current === undefined || streamArn === undefined) {
        throw new BlueGreenError(`The stream of ${step.table} did not come on; re-run prepare`)
      }
      await waitStreamEnabled(ctx.clients.streams, streamArn, mappingWait(ctx, options))
      await waitForTableActive(db, step.table, waiter(options))
      const record: TableRecord = {
        blue: step.table,
        green: step.green,
        streamArn,
        streamEnabledByUs: step.streamEnabledByUs,
        t0: ctx.now().toISOString(),
        segments: step.segments,
        itemCount: current.itemCount,
        backfillDoneAt: undefined,
        errors: [],
        greenHadItems: step.greenHadItems
      }
      const won = await putTableRecord(db, names.controlTable, record)
      // Another job of a matrix recorded the table first: its T0 and stream hold.
      const kept = won
        ? record
        : (await readControl(db, names.controlTable))?.tables.get(step.table)?.table
      if (kept === undefined) throw new Error(`no control record for ${step.table}`)
      live.records.set(step.table, kept)
      live.streams.set(step.table, kept.streamArn)
      return
    }
    case 'backfill':
      await runBackfill(step, state, live, ctx, options)
      return
    case 'mapping-create': {
      if (live.queue === undefined)
        throw new Error(`the failure queue ${names.failureQueue} is missing`)
      const created = await createStreamMapping(
        lambda,
        {
          functionName: names.functionName,
          eventSourceArn: step.streamArn,
          startingPosition: 'TRIM_HORIZON'
        },
        mappingSettings(live.queue.arn),
        { sleep: ctx.sleep }
      )
      await waitMappingSettled(lambda, created.uuid, mappingWait(ctx, options))
      return
    }
    case 'mapping-update': {
      if (live.queue === undefined)
        throw new Error(`the failure queue ${names.failureQueue} is missing`)
      // A mapping still Disabling (or Updating) cannot take another change yet.
      await waitMappingSettled(lambda, step.uuid, mappingWait(ctx, options))
      await updateStreamMapping(lambda, step.uuid, mappingSettings(live.queue.arn), {
        enable: step.enable,
        sleep: ctx.sleep
      })
      await waitMappingSettled(lambda, step.uuid, mappingWait(ctx, options))
      return
    }
    case 'mapping-delete':
      await deleteMapping(lambda, step.uuid, mappingWait(ctx, options))
      return
    case 'mapping-wait-gone':
      await waitMappingGone(lambda, step.uuid, mappingWait(ctx, options))
      return
    case 'disable-stream':
      await setStream(db, step.table, false)
      return
    case 'resync':
      await resync(ctx, state, live, options, step.table, step.green)
      return
  }
}

async function runBackfill(
  step: Extract<TableStep, { kind: 'backfill' }>,
  state: ReplicationState,
  live: Live,
  ctx: Context,
  options: ExecuteOptions
): Promise<void> {
  const db = ctx.clients.dynamodb
  const { names } = state
  const record = live.records.get(step.table)
  if (record === undefined) throw new Error(`no control record for ${step.table}`)
  const facts = state.tables.find((t) => t.blue === step.table)
  const t0 = new Date(record.t0)
  const wait = t0.getTime() + (options.settleMs ?? 5000) - ctx.now().getTime()
  if (wait > 0) await ctx.sleep(wait)
  const control = await readControl(db, names.controlTable)
  const checkpoints = new Map(
    (control?.tables.get(step.table)?.segments ?? []).map((s) => [s.segment, s])
  )
  try {
    await ctx.log.group(`Backfill ${step.table} → ${step.green}`, () =>
      backfill(
        {
          controlTable: names.controlTable,
          blue: step.table,
          green: step.green,
          itemCount: Math.max(record.itemCount, facts?.blueInfo?.itemCount ?? 0),
          t0,
          totalSegments: record.segments,
          segments: step.segments,
          checkpoints
        },
        { dynamodb: db, log: ctx.log, now: ctx.now, sleep: ctx.sleep },
        {
          ...options.tuning,
          ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
          ...(options.marginMs === undefined ? {} : { retentionMarginMs: options.marginMs })
        }
      )
    )
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    await recordTableError(db, names.controlTable, step.table, message).catch(() => undefined)
    throw error
  }
  const after = (await readControl(db, names.controlTable))?.tables.get(step.table)
  const done = Array.from({ length: record.segments }, (_, i) => i).every(
    (i) => after?.segments.find((s) => s.segment === i)?.done === true
  )
  if (!done) return
  // Green held items of its own (allowed by the operator): the keys blue lacks go now, found by
  // the same comparison verify makes.
  // Keys still changing on blue are the stream's to bring over: no proof here.
  if (step.removeExtra) await resync(ctx, state, live, options, step.table, step.green, false)
  await markBackfillDone(db, names.controlTable, step.table, ctx.now().toISOString())
}
