/**
 * `replicate start`: one event source mapping per blue stream, from TRIM_HORIZON (every change
 * since T0 is replayed; applying is idempotent), with bisect on error, per-item failures, and
 * the failure queue as on-failure destination (a batch Lambda gives up on is recorded there, not
 * dropped silently); a mapping of ours made without that destination gets it.
 * Refuses while a backfill is unfinished, when the stream changed or aged past its retention
 * since T0, when the function lacks the table, or when the stream already has two readers.
 */
import {
  createMapping,
  getFunction,
  listMappings,
  setMappingOnFailure
} from '../aws/replication-lambda.js'
import { getQueue } from '../aws/sqs.js'
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import type { ReplicateRequest } from '../inputs.js'
import { STREAM_RETENTION_MS } from './backfill.js'
import { isBackfillDone, readControl } from './control.js'
import { replicationNames } from './names.js'
import { resolvePairs } from './pairing.js'
import { fillStatus, isOurs, ourMappings } from './state.js'
import { backfillPercent, backfillShare } from './status.js'
import { Steps } from './steps.js'

export async function start(request: ReplicateRequest, ctx: Context): Promise<void> {
  const db = ctx.clients.dynamodb
  const names = replicationNames(request.blue, request.green)
  const pairs = await resolvePairs(db, request)
  const control = await readControl(db, names.controlTable)
  if (control === undefined) {
    throw new BlueGreenError(
      `Nothing is prepared for this blue/green pair (no control table ${names.controlTable}): run \`replicate prepare\` first.`
    )
  }
  const fn = await getFunction(ctx.clients.lambda, names.functionName)
  let tableMap: Record<string, unknown>
  try {
    tableMap = JSON.parse(fn?.environment.BLUEGREEN_TABLE_MAP ?? '{}') as Record<string, unknown>
  } catch {
    tableMap = {}
  }
  const mappings = await ourMappings(ctx, names)
  const queue = await getQueue(ctx.clients.sqs, names.failureQueue)
  const now = ctx.now()
  const problems: string[] = []
  const todo: { blue: string; streamArn: string }[] = []
  const noDestination: { blue: string; uuid: string }[] = []
  for (const pair of pairs) {
    const tc = control.tables.get(pair.blue.name)
    const blue = pair.blue.name
    if (tc === undefined) {
      problems.push(`${blue} is not prepared: run \`replicate prepare\` for it first`)
      continue
    }
    const { table } = tc
    if (!isBackfillDone(tc)) {
      problems.push(
        `the backfill of ${blue} has not finished (${backfillPercent(backfillShare(tc))} %): run \`replicate prepare\` until it reports done`
      )
      continue
    }
    if (table.green !== pair.green.name) {
      problems.push(`${blue} was prepared into ${table.green}, not ${pair.green.name}`)
      continue
    }
    if (pair.blue.stream.arn !== table.streamArn) {
      problems.push(
        `the stream of ${blue} changed since prepare (${table.streamArn} → ${pair.blue.stream.arn ?? 'none'}); changes may be lost: run \`replicate terminate\` and \`replicate prepare\` again`
      )
      continue
    }
    if (now.getTime() > new Date(table.t0).getTime() + STREAM_RETENTION_MS) {
      problems.push(
        `T0 of ${blue} (${table.t0}) is more than 24 hours ago: the stream no longer holds the changes made during the backfill. Run \`replicate terminate\` and \`replicate prepare\` again, then start right after it`
      )
      continue
    }
    if (fn !== undefined && tableMap[blue] !== pair.green.name) {
      problems.push(
        `the replication function does not know ${blue} yet: re-run \`replicate prepare\` to update it`
      )
      continue
    }
    const existing = mappings.find((m) => m.eventSourceArn === table.streamArn)
    if (existing !== undefined) {
      if (existing.onFailure === undefined || existing.onFailure !== queue?.arn) {
        noDestination.push({ blue, uuid: existing.uuid })
      }
      continue
    }
    const others = (
      await listMappings(ctx.clients.lambda, { eventSourceArn: table.streamArn })
    ).filter((m) => !isOurs(m, names))
    if (others.length >= 2) {
      problems.push(
        `the stream of ${blue} already has ${others.length} readers (${others.map((m) => m.functionArn).join(', ')}); a third would be throttled: remove one`
      )
      continue
    }
    todo.push({ blue, streamArn: table.streamArn })
  }
  if (problems.length === 0 && fn === undefined) {
    problems.push(
      `the replication function ${names.functionName} is missing: run \`replicate prepare\` again (it deploys the function)`
    )
  }
  if (problems.length === 0 && queue === undefined) {
    const missing = `the failure queue ${names.failureQueue} is missing: run \`replicate prepare\` again (it creates the queue)`
    // A dry run may follow a dry-run prepare that plans to create it (data-replicate).
    if (request.dryRun) ctx.report.notes.push(`A real run of start needs the queue: ${missing}.`)
    else problems.push(missing)
  }
  if (problems.length > 0) {
    throw new BlueGreenError(
      problems.length === 1
        ? `Cannot start: ${problems[0] ?? ''}`
        : `Cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`
    )
  }

  // Set whenever a step runs: only a dry run gets here without the queue.
  const queueArn = queue?.arn ?? ''
  const steps = new Steps(ctx.report)
  const created = [...mappings]
  for (const t of todo) {
    steps.add(
      `Attach the replication function to the stream from TRIM_HORIZON, failed batches to ${names.failureQueue} (CreateEventSourceMapping)`,
      t.blue,
      async () => {
        created.push(
          await createMapping(
            ctx.clients.lambda,
            names.functionName,
            t.streamArn,
            queueArn,
            ctx.sleep
          )
        )
      }
    )
  }
  for (const m of noDestination) {
    steps.add(
      `Send the batches the function keeps failing on to ${names.failureQueue} instead of dropping them (UpdateEventSourceMapping)`,
      m.blue,
      async () => {
        const updated = await setMappingOnFailure(ctx.clients.lambda, m.uuid, queueArn, ctx.sleep)
        const i = created.findIndex((c) => c.uuid === m.uuid)
        if (i >= 0) created[i] = updated
      }
    )
  }
  await steps.execute(request.dryRun)
  await fillStatus(
    ctx,
    names,
    control,
    created,
    pairs.map((p) => ({ blue: p.blue.name, green: p.green.name }))
  )
}
