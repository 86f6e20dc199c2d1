/**
 * The executor's bucket branch: carries out one BucketStep, with what earlier steps of the run
 * learnt (the rule's ARN, the queues, the pairs' records). Every AWS change here is the row the
 * step printed.
 */
import { putQueueTarget, putS3Rule, removeOurRule } from '../../aws/eventbridge.js'
import {
  createQueueMapping,
  deleteMapping,
  updateQueueMapping,
  waitMappingGone,
  waitMappingSettled,
  type MappingWait
} from '../../aws/lambda.js'
import { ensureEventBridge, removeEventBridge } from '../../aws/s3.js'
import { deleteQueue, ensureEventQueue, ruleSendPolicy, setQueuePolicy } from '../../aws/sqs.js'
import type { Context } from '../../context.js'
import { BlueGreenError } from '../../errors.js'
import { readControl } from '../control.js'
import { FUNCTION_TIMEOUT_SECONDS } from '../deploy.js'
import type { BucketPairing, BucketStep, ReplicationState } from '../types.js'
import { controlTableCopyStore } from './checkpoint.js'
import { copyBucket, formatBytes, type CopyOutcome, type CopyTuning } from './copy.js'
import {
  deliveryNames,
  eventsCompleteFrom,
  ignoresEverythingWarning,
  MAX_RECEIVE_COUNT,
  NOTIFICATION_PROPAGATION_MS,
  visibilityTimeoutSeconds
} from './delivery.js'
import { ignoreRules } from './ignore.js'
import { DEAD_LETTER_SID, QUEUE_MAPPING_SETTINGS } from './plan.js'
import {
  markCopyDone,
  markEventBridgeOn,
  putBucketRecord,
  recordBucketError,
  recordPassListed,
  setBucketT0,
  updateBucketIgnore,
  type BucketRecord
} from './records.js'
import { resyncBucket, type BucketRepairDeps } from './repair.js'

export interface BucketRunOptions {
  copyTuning?: CopyTuning
  /** How long S3 takes to apply a notification change (T0 after the delivery is in place). */
  notificationPropagationMs?: number
  /** Wait until T0 for the catch-up pass; false: leave it to the next prepare. */
  waitForEvents?: boolean
}

/** What the run learns for the bucket steps after it. */
export interface BucketLive {
  ruleArn: string | undefined
  eventsQueue: { url: string; arn: string } | undefined
  records: Map<string, BucketRecord>
  /** Pairs compared whole during this run (repair does each once). */
  resynced: Set<string>
}

export function bucketLive(state: ReplicationState): BucketLive {
  const records = new Map<string, BucketRecord>()
  for (const [blue, c] of state.control?.buckets ?? []) if (c.record) records.set(blue, c.record)
  const q = state.delivery.queue
  return {
    ruleArn: state.delivery.rule?.arn,
    eventsQueue: q === undefined || q.url === '' ? undefined : { url: q.url, arn: q.arn },
    records,
    resynced: new Set()
  }
}

interface Run {
  state: ReplicationState
  live: BucketLive
  /** The failure queue (created by an earlier step of the run, or found). */
  failureQueue: { url: string; arn: string } | undefined
  ctx: Context
  options: BucketRunOptions
  wait: MappingWait
}

async function reread(run: Run, blue: string): Promise<BucketRecord> {
  const { ctx, state } = run
  const record = (await readControl(ctx.clients.dynamodb, state.names.controlTable))?.buckets.get(
    blue
  )?.record
  if (record === undefined) throw new Error(`no control record for bucket ${blue}`)
  run.live.records.set(blue, record)
  return record
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is still unknown`)
  return value
}

export async function runBucket(
  step: BucketStep,
  state: ReplicationState,
  shared: { live: BucketLive; failureQueue: { url: string; arn: string } | undefined },
  ctx: Context,
  options: BucketRunOptions & { waiterMinDelay?: number }
): Promise<void> {
  const run: Run = {
    state,
    live: shared.live,
    failureQueue: shared.failureQueue,
    ctx,
    options,
    wait: { sleep: ctx.sleep, intervalMs: (options.waiterMinDelay ?? 2) * 1000 }
  }
  const { names } = state
  const d = deliveryNames(names.functionName)
  const { clients } = ctx
  const db = clients.dynamodb
  const table = names.controlTable
  switch (step.kind) {
    case 'record-pair': {
      const won = await putBucketRecord(db, table, {
        blue: step.route.blue,
        green: step.route.green,
        kind: step.route.kind,
        patterns: step.route.patterns,
        greenRegion: step.route.greenRegion,
        objectEstimate: step.objectEstimate
      })
      await reread(run, step.bucket)
      if (!won)
        ctx.log.info(`${step.bucket}: another run recorded the pair first; its record holds`)
      return
    }
    case 'eventbridge-on': {
      const { changed } = await ensureEventBridge(clients.s3, step.bucket)
      if (changed) await markEventBridgeOn(db, table, step.bucket, ctx.now().toISOString())
      return
    }
    case 'rule-put':
      run.live.ruleArn = await putS3Rule(clients.eventbridge, {
        name: d.rule,
        buckets: step.buckets,
        description: `bluegreen-action: blue's object events for ${names.controlTable}`,
        enabled: true
      })
      return
    case 'events-queue': {
      const queue = await ensureEventQueue(clients.sqs, {
        name: d.queue,
        ruleArn: need(run.live.ruleArn, 'the ARN of the EventBridge rule'),
        deadLetterArn: need(run.failureQueue, `the failure queue ${names.failureQueue}`).arn,
        visibilityTimeoutSeconds: visibilityTimeoutSeconds(FUNCTION_TIMEOUT_SECONDS),
        maxReceiveCount: MAX_RECEIVE_COUNT
      })
      run.live.eventsQueue = { url: queue.url, arn: queue.arn }
      return
    }
    case 'failure-queue-policy': {
      const failure = need(run.failureQueue, `the failure queue ${names.failureQueue}`)
      const ruleArn = need(run.live.ruleArn, 'the ARN of the EventBridge rule')
      await setQueuePolicy(
        clients.sqs,
        failure.url,
        ruleSendPolicy(failure.arn, ruleArn, DEAD_LETTER_SID)
      )
      return
    }
    case 'rule-target':
      await putQueueTarget(clients.eventbridge, {
        rule: d.rule,
        id: d.targetId,
        queueArn: need(run.live.eventsQueue, `the events queue ${d.queue}`).arn,
        deadLetterArn: need(run.failureQueue, `the failure queue ${names.failureQueue}`).arn
      })
      return
    case 'record-t0': {
      const t0 = eventsCompleteFrom(
        ctx.now(),
        options.notificationPropagationMs ?? NOTIFICATION_PROPAGATION_MS
      )
      await setBucketT0(db, table, step.bucket, t0.toISOString())
      await reread(run, step.bucket)
      return
    }
    case 'record-ignore':
      await updateBucketIgnore(db, table, step.bucket, {
        patterns: step.route.patterns,
        at: ctx.now().toISOString()
      })
      await reread(run, step.bucket)
      return
    case 'copy':
      await runCopy(run, step)
      return
    case 'mapping-create': {
      const created = await createQueueMapping(
        clients.lambda,
        {
          functionName: names.functionName,
          queueArn: need(run.live.eventsQueue, `the events queue ${d.queue}`).arn
        },
        QUEUE_MAPPING_SETTINGS,
        { sleep: ctx.sleep }
      )
      await waitMappingSettled(clients.lambda, created.uuid, run.wait)
      return
    }
    case 'mapping-update':
      await waitMappingSettled(clients.lambda, step.uuid, run.wait)
      await updateQueueMapping(clients.lambda, step.uuid, QUEUE_MAPPING_SETTINGS, {
        enable: step.enable,
        sleep: ctx.sleep
      })
      await waitMappingSettled(clients.lambda, step.uuid, run.wait)
      return
    case 'mapping-delete':
      await deleteMapping(clients.lambda, step.uuid, run.wait)
      return
    case 'mapping-wait-gone':
      await waitMappingGone(clients.lambda, step.uuid, run.wait)
      return
    case 'rule-delete': {
      const removed = await removeOurRule(clients.eventbridge, {
        name: d.rule,
        targetId: d.targetId
      })
      if (!removed.ruleDeleted) {
        const message = `The EventBridge rule ${d.rule} has targets of someone else's (${removed.otherTargets.join(', ')}); our target is removed, the rule is left for them.`
        ctx.log.warn(message)
        ctx.report.warnings.push(message)
      }
      return
    }
    case 'events-queue-delete':
      if (run.live.eventsQueue !== undefined)
        await deleteQueue(clients.sqs, run.live.eventsQueue.url)
      return
    case 'eventbridge-off':
      await removeEventBridge(clients.s3, step.bucket)
      return
    case 'resync':
      await runBucketResync(ctx, state, run.live, step.route)
      return
  }
}

export function bucketRepairDeps(ctx: Context, state: ReplicationState): BucketRepairDeps {
  return {
    s3: (region) => (region === undefined ? ctx.clients.s3 : ctx.clients.s3In(region)),
    dynamodb: ctx.clients.dynamodb,
    controlTable: state.names.controlTable,
    sleep: ctx.sleep
  }
}

/** Compares a pair whole and brings it level (once per run), failing on keys still differing. */
export async function runBucketResync(
  ctx: Context,
  state: ReplicationState,
  live: BucketLive,
  route: BucketPairing
): Promise<void> {
  const done = live.resynced
  if (done.has(route.blue)) return
  const result = await ctx.log.group(`Compare ${route.blue} → ${route.green}`, () =>
    resyncBucket(bucketRepairDeps(ctx, state), route)
  )
  ctx.log.info(`${route.blue} → ${route.green}: ${result.applied} differing keys applied`)
  if (result.remaining.length > 0) {
    throw new BlueGreenError(
      `${result.remaining.length} keys of ${route.green} still differ from ${route.blue} after repair, e.g. ${result.remaining.slice(0, 10).join(', ')}: blue is still changing them (re-run repair), or green refuses them (the function's log names the error)`
    )
  }
  done.add(route.blue)
}

function warn(ctx: Context, message: string): void {
  ctx.log.warn(message)
  if (!ctx.report.warnings.includes(message)) ctx.report.warnings.push(message)
}

function summarise(ctx: Context, route: BucketPairing, outcome: CopyOutcome): void {
  const p = outcome.pass
  ctx.log.info(
    `${route.blue} → ${route.green}: pass of ${outcome.passStartedAt} ${outcome.done ? 'done' : 'stopped'}: ${p.listed} objects listed, ${p.copied} copied (${formatBytes(p.bytesCopied)}), ${p.skipped} already equal, ${p.ignored} ignored${p.archived > 0 ? `, ${p.archived} archived` : ''}${p.extra > 0 ? `, ${p.extra} only on green (${p.deleted} deleted)` : ''}`
  )
  if (outcome.archivedKeys.length > 0) {
    warn(
      ctx,
      `${p.archived} objects of ${route.blue} are archived (GLACIER or DEEP_ARCHIVE) and cannot be copied before a restore, e.g. ${outcome.archivedKeys.slice(0, 5).join(', ')}: restore them on blue and re-run prepare, or add them to the ${route.kind} ignore list`
    )
  }
  if (p.extra > p.deleted && outcome.extraKeys.length > 0) {
    warn(
      ctx,
      `${p.extra - p.deleted} objects are only on green ${route.green} and not ignored, e.g. ${outcome.extraKeys.slice(0, 5).join(', ')}: replicate verify reports them; set overwrite-green: true to delete them, or add them to the ${route.kind} ignore list`
    )
  }
  const everything = ignoresEverythingWarning(route, p.listed, p.ignored, route.patterns)
  if (everything !== undefined) warn(ctx, everything)
}

async function copyPass(
  run: Run,
  step: Extract<BucketStep, { kind: 'copy' }>,
  freshAfter: Date | undefined
): Promise<CopyOutcome> {
  const { ctx, state } = run
  const { route } = step
  const facts = state.buckets.find((b) => b.blue === route.blue)
  const outcome = await copyBucket(
    {
      pair: { blue: route.blue, green: route.green, kind: route.kind },
      ignore: ignoreRules(route.kind, route.patterns),
      store: controlTableCopyStore(ctx.clients.dynamodb, state.names.controlTable, route.blue, {
        sleep: ctx.sleep
      }),
      freshAfter,
      deleteExtra: step.deleteExtra,
      keepRedirects: facts?.blueWebsite ?? false
    },
    {
      source: ctx.clients.s3,
      target:
        route.greenRegion === undefined ? ctx.clients.s3 : ctx.clients.s3In(route.greenRegion),
      log: ctx.log,
      now: ctx.now,
      sleep: ctx.sleep
    },
    run.options.copyTuning
  )
  if (!outcome.alreadyDone) summarise(ctx, route, outcome)
  if (!outcome.done) {
    const sample = outcome.failures
      .slice(0, 5)
      .map((f) => `${f.key} (${f.reason})`)
      .join('; ')
    const message = `${outcome.failures.length} objects of ${route.blue} could not be copied to ${route.green}, e.g. ${sample}. The checkpoint stops before the first of them: fix the cause and re-run prepare, which retries them and skips what is already equal`
    await recordBucketError(
      ctx.clients.dynamodb,
      state.names.controlTable,
      route.blue,
      message
    ).catch(() => undefined)
    throw new BlueGreenError(message)
  }
  return outcome
}

/** Sleeps until `at`, saying so every half minute. */
async function waitUntil(ctx: Context, at: number, what: string): Promise<void> {
  for (;;) {
    const left = at - ctx.now().getTime()
    if (left <= 0) return
    ctx.log.info(`${what}: ${Math.ceil(left / 1000)} s to go`)
    await ctx.sleep(Math.min(left, 30_000))
  }
}

/**
 * The copy of one pair: resumes (or starts) a pass; if that pass began before T0, a catch-up pass
 * once T0 has come (each key changed before T0 is listed again; later changes are the events').
 * The pair's copy is complete when a pass that began at or after T0 has finished.
 */
async function runCopy(run: Run, step: Extract<BucketStep, { kind: 'copy' }>): Promise<void> {
  const { ctx, state } = run
  const db = ctx.clients.dynamodb
  const table = state.names.controlTable
  const record = run.live.records.get(step.bucket) ?? (await reread(run, step.bucket))
  const t0 = Date.parse(record.t0)
  if (Number.isNaN(t0)) throw new Error(`no T0 recorded for bucket ${step.bucket}`)
  const from = record.passesFrom === undefined ? undefined : new Date(record.passesFrom)
  let outcome = await ctx.log.group(`Copy ${step.bucket} → ${step.route.green}`, () =>
    copyPass(run, step, from)
  )
  if (Date.parse(outcome.passStartedAt) < t0) {
    await recordPassListed(db, table, step.bucket, outcome.pass.listed)
    if (ctx.now().getTime() < t0 && run.options.waitForEvents === false) {
      const note = `The copy of ${step.bucket} began before blue's events were complete (T0 ${record.t0}): its catch-up pass runs at the next \`replicate prepare\` after then (wait: false).`
      ctx.log.info(note)
      ctx.report.notes.push(note)
      return
    }
    await waitUntil(
      ctx,
      t0,
      `${step.bucket}: waiting until blue's events are complete (T0 ${record.t0}, S3 applies a notification change in about five minutes) for the catch-up pass`
    )
    outcome = await ctx.log.group(`Catch-up pass ${step.bucket} → ${step.route.green}`, () =>
      copyPass(run, step, new Date(t0))
    )
  }
  await markCopyDone(db, table, step.bucket, {
    at: ctx.now().toISOString(),
    listed: outcome.pass.listed
  })
}
