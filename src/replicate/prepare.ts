/**
 * `replicate prepare`: streams on, T0 recorded, backfill with checkpoints, function deployed
 * with its failure queue.
 * Everything is read and checked first; the mutating calls are then listed as steps (dry run
 * stops there) and run in order. A re-run resumes: tables already backfilled are skipped, a
 * backfill in progress continues from its segments' checkpoints, an up-to-date function is left
 * alone.
 */
import { describeTable, setStream, waitForTableActive, type TableInfo } from '../aws/dynamodb.js'
import {
  createFunction,
  createRole,
  getFunction,
  getRole,
  listMappings,
  putRolePolicy,
  updateFunctionCode,
  updateFunctionConfiguration
} from '../aws/replication-lambda.js'
import { createQueue, getQueue } from '../aws/sqs.js'
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import type { ReplicateRequest } from '../inputs.js'
import { backfill, formatDuration, STREAM_RETENTION_MS, type BackfillTuning } from './backfill.js'
import {
  createControlTable,
  isBackfillDone,
  markBackfillDone,
  markEnabling,
  putMeta,
  putTableRecord,
  readControl,
  recordTableError,
  type ControlState,
  type TableRecord
} from './control.js'
import {
  codeSha256,
  handlerZip,
  logGroupArn,
  queueArnOf,
  replicationPolicy,
  tableArnOf
} from './deploy.js'
import { replicationNames, type ReplicationNames } from './names.js'
import { resolvePairs, type ResolvedPair } from './pairing.js'
import { fillStatus, isOurs, ourMappings } from './state.js'
import { Steps } from './steps.js'

export interface ReplicateOptions {
  tuning?: BackfillTuning
  /** Wait between T0 and the first scan, so writes in flight when the stream came on are visible. */
  settleMs?: number
  /** Shortest delay of the SDK waiters, seconds. */
  waiterMinDelay?: number
}

const GOOD_VIEWS = new Set(['NEW_IMAGE', 'NEW_AND_OLD_IMAGES'])
export const ENV_LIMIT_BYTES = 4096

/** What prepare will do for one table. */
interface TablePlan {
  pair: ResolvedPair
  /** enable: turn the stream on; reuse: someone's stream carries new images; resume; done. */
  mode: 'enable' | 'reuse' | 'resume' | 'done'
  /** The stream is (or will be) one prepare turned on: terminate turns it off. */
  streamByUs: boolean
  record: TableRecord | undefined
}

function rangeOf(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

export async function prepare(
  request: ReplicateRequest,
  ctx: Context,
  options: ReplicateOptions = {}
): Promise<void> {
  const db = ctx.clients.dynamodb
  const names = replicationNames(request.blue, request.green)
  const pairs = await resolvePairs(db, request)
  let control = await readControl(db, names.controlTable)
  const now = ctx.now()
  const margin = options.tuning?.retentionMarginMs ?? 3_600_000
  const retention = options.tuning?.retentionMs ?? STREAM_RETENTION_MS

  // ---- decide -------------------------------------------------------------------------------
  const problems: string[] = []
  const plans: TablePlan[] = []
  for (const pair of pairs) {
    const blue = pair.blue
    const tc = control?.tables.get(blue.name)
    const record = tc?.table
    if (tc !== undefined && record !== undefined) {
      if (record.green !== pair.green.name) {
        problems.push(
          `${blue.name} is being replicated into ${record.green}, not ${pair.green.name}: run \`replicate terminate\` first to change the pairing`
        )
      } else if (blue.stream.arn !== record.streamArn) {
        problems.push(
          `the stream of ${blue.name} changed since prepare recorded it (${record.streamArn} → ${blue.stream.arn ?? 'none'}): changes since T0 may be lost; run \`replicate terminate\` and \`replicate prepare\` again`
        )
      } else if (isBackfillDone(tc)) {
        plans.push({ pair, mode: 'done', record, streamByUs: record.streamEnabledByUs })
      } else if (record.segments !== request.segments) {
        problems.push(
          `the backfill of ${blue.name} runs with segments ${record.segments}; re-run with segments ${record.segments} (its checkpoints are per segment), or terminate and prepare again`
        )
      } else if (now.getTime() > new Date(record.t0).getTime() + retention - margin) {
        problems.push(
          `the backfill of ${blue.name} started at ${record.t0} and can no longer finish inside the stream's ${formatDuration(retention)} retention: run \`replicate terminate\`, then \`replicate prepare\` with more segments or a matrix`
        )
      } else {
        plans.push({ pair, mode: 'resume', record, streamByUs: record.streamEnabledByUs })
      }
    } else if (blue.stream.enabled) {
      if (blue.stream.viewType !== undefined && GOOD_VIEWS.has(blue.stream.viewType)) {
        // Ours when an earlier run of prepare turned it on and died before recording T0.
        const streamByUs = control?.enabling.has(blue.name) === true
        plans.push({ pair, mode: 'reuse', record: undefined, streamByUs })
      } else {
        problems.push(
          `${blue.name} already has a ${blue.stream.viewType ?? 'unknown'} stream that another consumer may use; it carries no new images, and a table has one stream, which this action never turns off for someone else. Its owner can re-create it as NEW_IMAGE or NEW_AND_OLD_IMAGES (turn it off, then on); then re-run`
        )
      }
    } else {
      plans.push({ pair, mode: 'enable', record: undefined, streamByUs: true })
    }
    const streamArn = blue.stream.arn
    if (streamArn !== undefined) {
      const others = (await listMappings(ctx.clients.lambda, { eventSourceArn: streamArn })).filter(
        (m) => !isOurs(m, names)
      )
      if (others.length >= 2) {
        problems.push(
          `the stream of ${blue.name} already has ${others.length} readers (${others.map((m) => m.functionArn).join(', ')}); DynamoDB throttles a shard read by more than two, so a third (the replication function) would slow everyone: remove one`
        )
      }
    }
  }
  if (problems.length > 0) {
    throw new BlueGreenError(
      problems.length === 1
        ? `Cannot prepare: ${problems[0] ?? ''}`
        : `Cannot prepare:\n${problems.map((p) => `  - ${p}`).join('\n')}`
    )
  }

  const deploy = await planDeploy(ctx, names, control, plans)

  // ---- plan ---------------------------------------------------------------------------------
  const steps = new Steps(ctx.report)
  const waiter = { minDelay: options.waiterMinDelay ?? 2 }
  if (control === undefined) {
    steps.add(
      'Create the replication control table (CreateTable, PAY_PER_REQUEST) and record blue/green (PutItem)',
      names.controlTable,
      async () => {
        await createControlTable(db, names.controlTable)
        await waitForTableActive(db, names.controlTable, waiter)
        await putMeta(db, names.controlTable, {
          blue: JSON.stringify(request.blue),
          green: JSON.stringify(request.green),
          functionName: names.functionName,
          roleName: names.roleName,
          createdAt: ctx.now().toISOString()
        })
      }
    )
  }

  const segments = request.segment === undefined ? rangeOf(request.segments) : [request.segment]
  for (const plan of plans) {
    const { blue, green } = plan.pair
    if (plan.mode === 'done') continue
    const live: { record: TableRecord | undefined } = { record: plan.record }
    if (plan.mode === 'enable' || plan.mode === 'reuse') {
      if (plan.mode === 'enable') {
        steps.add(
          `Note in the control table that prepare turns the stream on (PutItem), then enable it, NEW_AND_OLD_IMAGES (UpdateTable)`,
          blue.name,
          async () => {
            await markEnabling(db, names.controlTable, blue.name, ctx.now().toISOString())
            const current = await describeTable(db, blue.name)
            if (current?.stream.enabled !== true) await setStream(db, blue.name, true)
            await waitForTableActive(db, blue.name, waiter)
          }
        )
      }
      steps.add(
        `Record T0 and the stream of ${blue.name} in the control table (PutItem)`,
        names.controlTable,
        async () => {
          const current = await describeTable(db, blue.name)
          const streamArn = current?.stream.arn
          if (current === undefined || streamArn === undefined) {
            throw new BlueGreenError(`The stream of ${blue.name} did not come on; re-run prepare`)
          }
          const record: TableRecord = {
            blue: blue.name,
            green: green.name,
            streamArn,
            streamEnabledByUs: plan.streamByUs,
            t0: ctx.now().toISOString(),
            segments: request.segments,
            itemCount: current.itemCount,
            backfillDoneAt: undefined,
            errors: []
          }
          const won = await putTableRecord(db, names.controlTable, record)
          // Another job of a matrix recorded the table first: its T0 and stream hold.
          live.record = won
            ? record
            : (await readControl(db, names.controlTable))?.tables.get(blue.name)?.table
        }
      )
    }
    steps.add(
      `Backfill: parallel Scan of ${blue.name} (segments ${segments.length === request.segments ? `0-${request.segments - 1}` : segments.join(',')} of ${request.segments}) → BatchWriteItem; checkpoint per page (UpdateItem on ${names.controlTable})`,
      green.name,
      async () => {
        const record = live.record
        if (record === undefined) throw new Error(`no control record for ${blue.name}`)
        await backfillTable(ctx, names, blue, record, segments, options)
      }
    )
  }
  for (const step of deploy) steps.add(step.description, step.resource, step.run)

  // ---- do -----------------------------------------------------------------------------------
  await steps.execute(request.dryRun)
  control = request.dryRun ? control : await readControl(db, names.controlTable)
  const overall = await fillStatus(
    ctx,
    names,
    control,
    await ourMappings(ctx, names),
    pairs.map((p) => ({ blue: p.blue.name, green: p.green.name }))
  )
  if (!request.dryRun && overall < 0 && request.segment !== undefined) {
    ctx.report.notes.push(
      `Segment ${request.segment} of ${request.segments} is done; the backfill completes when every segment's job has finished.`
    )
  }
}

async function backfillTable(
  ctx: Context,
  names: ReplicationNames,
  blue: TableInfo,
  record: TableRecord,
  segments: readonly number[],
  options: ReplicateOptions
): Promise<void> {
  const db = ctx.clients.dynamodb
  const t0 = new Date(record.t0)
  const settleUntil = t0.getTime() + (options.settleMs ?? 5000)
  const wait = settleUntil - ctx.now().getTime()
  if (wait > 0) await ctx.sleep(wait)
  const control = await readControl(db, names.controlTable)
  const checkpoints = new Map(
    (control?.tables.get(blue.name)?.segments ?? []).map((s) => [s.segment, s])
  )
  try {
    await ctx.log.group(`Backfill ${blue.name} → ${record.green}`, () =>
      backfill(
        {
          controlTable: names.controlTable,
          blue: blue.name,
          green: record.green,
          itemCount: Math.max(record.itemCount, blue.itemCount),
          t0,
          totalSegments: record.segments,
          segments,
          checkpoints
        },
        { dynamodb: db, log: ctx.log, now: ctx.now, sleep: ctx.sleep },
        options.tuning
      )
    )
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    await recordTableError(db, names.controlTable, blue.name, message).catch(() => undefined)
    throw error
  }
  const after = (await readControl(db, names.controlTable))?.tables.get(blue.name)
  const done = rangeOf(record.segments).every(
    (i) => after?.segments.find((s) => s.segment === i)?.done === true
  )
  if (done) await markBackfillDone(db, names.controlTable, blue.name, ctx.now().toISOString())
}

interface DeployStep {
  description: string
  resource: string
  run: () => Promise<void>
}

/**
 * Steps that bring the function and its role to the wanted state, from reads only: the failure
 * queue, the role with its inline policy, the function's code (compared by CodeSha256) and
 * configuration.
 * The function covers every table of the control table plus those of this run.
 */
async function planDeploy(
  ctx: Context,
  names: ReplicationNames,
  control: ControlState | undefined,
  plans: readonly TablePlan[]
): Promise<DeployStep[]> {
  const db = ctx.clients.dynamodb
  const zip = await handlerZip()
  const anyArn = plans[0]?.pair.blue.arn ?? ''
  const tables = new Map<string, { green: string; stream: () => Promise<string | undefined> }>()
  for (const tc of control?.tables.values() ?? []) {
    const arn = tc.table.streamArn
    tables.set(tc.table.blue, { green: tc.table.green, stream: () => Promise.resolve(arn) })
  }
  let streamsKnown = true
  for (const plan of plans) {
    const known = plan.record?.streamArn ?? plan.pair.blue.stream.arn
    if (known === undefined) streamsKnown = false
    const name = plan.pair.blue.name
    tables.set(name, {
      green: plan.pair.green.name,
      stream: async () => known ?? (await describeTable(db, name))?.stream.arn
    })
  }
  const tableMap = Object.fromEntries([...tables].map(([b, t]) => [b, t.green]))
  const environment = {
    BLUEGREEN_TABLE_MAP: JSON.stringify(tableMap),
    BLUEGREEN_CONTROL_TABLE: names.controlTable
  }
  const envBytes = Object.entries(environment).reduce((n, [k, v]) => n + k.length + v.length, 0)
  if (envBytes > ENV_LIMIT_BYTES) {
    throw new BlueGreenError(
      `The table map of ${tables.size} tables needs ${envBytes} bytes of environment, over Lambda's 4 KB: replicate fewer tables per blue/green pair`
    )
  }
  const queue = await getQueue(ctx.clients.sqs, names.failureQueue)
  // The queue's ARN before it exists: the one SQS will give it (the create step sets the real one).
  const live = {
    roleArn: '',
    queueArn: queue?.arn ?? queueArnOf(anyArn, names.failureQueue)
  }
  const policyOf = async (): Promise<string> => {
    const streamArns: string[] = []
    for (const t of tables.values()) {
      const arn = await t.stream()
      if (arn !== undefined) streamArns.push(arn)
    }
    return replicationPolicy({
      blueTableArns: [...tables.keys()].map((b) => tableArnOf(anyArn, b)),
      greenTableArns: [...tables.values()].map((t) => tableArnOf(anyArn, t.green)),
      streamArns,
      controlTableArn: tableArnOf(anyArn, names.controlTable),
      logGroupArn: logGroupArn(anyArn, names.functionName),
      failureQueueArn: live.queueArn
    })
  }
  const role = await getRole(ctx.clients.iam, names.roleName, names.policyName)
  const fn = await getFunction(ctx.clients.lambda, names.functionName)
  const steps: DeployStep[] = []
  live.roleArn = role?.arn ?? ''
  if (queue === undefined) {
    steps.push({
      description:
        'Create the queue for batches the function keeps failing on, kept 14 days (CreateQueue)',
      resource: names.failureQueue,
      run: async () => {
        live.queueArn = (await createQueue(ctx.clients.sqs, names.failureQueue)).arn
      }
    })
  }
  if (role === undefined) {
    steps.push({
      description:
        'Create the replication function role, trusted by lambda.amazonaws.com (CreateRole)',
      resource: names.roleName,
      run: async () => {
        live.roleArn = await createRole(
          ctx.clients.iam,
          names.roleName,
          `bluegreen-action replication ${names.controlTable}`
        )
      }
    })
  }
  const wantedPolicy = streamsKnown ? await policyOf() : undefined
  if (
    role?.policy === undefined ||
    wantedPolicy === undefined ||
    !samePolicy(role.policy, wantedPolicy)
  ) {
    steps.push({
      description:
        'Scope the role to these tables and streams: GetItem on blue, PutItem/DeleteItem on green, stream reads, logs, SendMessage to the failure queue (PutRolePolicy)',
      resource: names.roleName,
      run: async () => {
        await putRolePolicy(ctx.clients.iam, names.roleName, names.policyName, await policyOf())
      }
    })
  }
  const spec = {
    name: names.functionName,
    environment,
    description: `bluegreen-action: replicates DynamoDB ${names.controlTable}`
  }
  const deployOptions = { sleep: ctx.sleep, minDelay: 2 }
  if (fn === undefined) {
    steps.push({
      description: 'Deploy the replication function (CreateFunction)',
      resource: names.functionName,
      run: async () => {
        await createFunction(
          ctx.clients.lambda,
          { ...spec, roleArn: live.roleArn, zip },
          deployOptions
        )
      }
    })
  } else {
    if (fn.codeSha256 !== codeSha256(zip)) {
      steps.push({
        description: 'Update the replication function code (UpdateFunctionCode)',
        resource: names.functionName,
        run: () => updateFunctionCode(ctx.clients.lambda, names.functionName, zip, deployOptions)
      })
    }
    if (fn.role !== live.roleArn || !sameEnvironment(fn.environment, environment)) {
      steps.push({
        description: 'Update the replication function table map (UpdateFunctionConfiguration)',
        resource: names.functionName,
        run: () =>
          updateFunctionConfiguration(
            ctx.clients.lambda,
            { ...spec, roleArn: live.roleArn },
            deployOptions
          )
      })
    }
  }
  return steps
}

function samePolicy(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b))
  } catch {
    return false
  }
}

function sameEnvironment(a: Record<string, string>, b: Record<string, string>): boolean {
  const text = (e: Record<string, string>) => JSON.stringify(Object.entries(e).sort())
  return text(a) === text(b)
}
