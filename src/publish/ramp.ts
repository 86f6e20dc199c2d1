/**
 * A ramp run (`ramp` given). It reads where the rollout stands: the router, its tags and the
 * traffic they record, and nothing more (no configs, certificates, functions or DNS), then the
 * alarms. It decides (src/rollout/decide.ts). A step or a rollback is an ordinary publish of the
 * decided weights, which decides again after every read it makes, so a run that meets another
 * run's change acts on what that run left. Runs that only wait write the rollout's tags, and
 * only when the record changed. A GitHub deployment records the rollout when github-token is
 * given.
 */
import type { Context } from '../context.js'
import { BlueGreenError, describeError } from '../errors.js'
import { formatRatio, percents, type PublishRequest, type Weights } from '../inputs.js'
import { listTags, tagResource } from '../aws/cloudfront.js'
import { alarmHistory, readAlarms, type CloudWatchFor } from '../aws/cloudwatch-alarms.js'
import {
  type DeploymentStatus,
  GitHubDeploymentError,
  githubDeployments,
  type GitHubDeployments
} from '../github/deployments.js'
import { decideRamp, deploymentPlan, type DeploymentStatusUpdate } from '../rollout/decide.js'
import { evaluateGate, missingAlarmsMessage, readAlarmReadings } from '../rollout/gate.js'
import { type RouterView, trafficInForce } from '../rollout/observe.js'
import { formatSteps, sameWeights } from '../rollout/ramp.js'
import { decodeRolloutTags, encodeRolloutTags, ROLLOUT_TAGS } from '../rollout/tags.js'
import type {
  GatePolicy,
  GateVerdict,
  RampDecision,
  RolloutState,
  RunInfo,
  StoredRollout
} from '../rollout/types.js'
import type { RolloutReport } from '../report.js'
import { type Discovery, findRouter, namesOf, resolvePair } from './discover.js'
import { publish, Reweigh, type RolloutTarget } from './index.js'
import { stateOf } from './types.js'

/** How often a ramp run publishes again when a re-read ramp needs other weights. */
const MAX_REWEIGHS = 3

/** What a ramp run read before deciding: the view, and the router's ARN for a tag write. */
interface RolloutRead {
  view: RouterView
  routerArn: string | undefined
}

export async function publishRamp(request: PublishRequest, ctx: Context): Promise<void> {
  const ramp = request.ramp
  if (ramp === undefined) throw new Error('internal: publishRamp without a ramp')
  const { log, report } = ctx
  const run: RunInfo = { url: ctx.runUrl, actor: ctx.github?.actor }
  const policy: GatePolicy = request.alarms?.policy ?? { onAlarm: 'rollback', bakeTimeMs: 0 }
  const github = await deploymentsOf(request, ctx)

  const read = await log.group('Read the rollout', () => readRollout(request, ctx))
  const gate = await log.group('Check the alarms', () => readGate(request, ctx))
  const decide = (view: RouterView): RampDecision => {
    const traffic = trafficInForce(view)
    if (traffic.kind === 'unknown') {
      throw new BlueGreenError(
        `ramp: cannot tell the traffic in force: ${traffic.reason}. Publish a ratio for this blue and green first, then run the ramp.`
      )
    }
    return decideRamp({
      ramp: ramp.ramp,
      restart: ramp.restart,
      pair: view.pair,
      current: traffic.weights,
      stored: storedOf(view),
      gate,
      policy,
      now: ctx.now(),
      run
    })
  }

  let decision = decide(read.view)
  const stored = storedOf(read.view)
  const section = rolloutSection(decision, gate, stored, read.view, request)
  report.rollout = section
  log.info(decision.summary)
  setRampOutputs(ctx, decision, read.view)

  if (decision.kind === 'step' || decision.kind === 'rollback') {
    let outcome: StepOutcome
    try {
      outcome = await takeStep({ request, ctx, github, decision, decide, view: read.view })
    } catch (error) {
      if (decision.kind === 'rollback' && !request.dryRun) {
        // The rollback's first step records it: once that is done, the next run finishes it.
        const recorded =
          decision.reason === 'finish' || report.plan.some((row) => row.status === 'done')
        report.errors.push(
          `${decision.summary} ${recorded ? 'The rollback did not finish; it is recorded on the router, so the next run finishes it.' : 'Nothing was changed; the next run rolls back if the alarm is still in ALARM.'}`
        )
      }
      section.done =
        'The change failed; see the error and the plan. The next run continues from what is there.'
      throw error
    }
    decision = outcome.decision
    section.summary = decision.summary
    section.done = outcome.done
    if (!outcome.published) setRampOutputs(ctx, decision, outcome.view)
    else Object.assign(report.outputs, decision.outputs)
  } else {
    section.done = await recordOnly({ request, ctx, github, decision, read, stored })
  }
  if (decision.fails) failOrWarn(ctx, request, decision)
}

/** The router, its tags, this run's blue and green: what a ramp decides from. */
async function readRollout(request: PublishRequest, ctx: Context): Promise<RolloutRead> {
  const names = namesOf(request)
  const search = await findRouter(ctx.clients.cloudfront, names)
  const { blueId, greenId } = await resolvePair(request, search, ctx.log, {
    preferRecorded: true
  })
  const aliasesOf = (side: string, id: string): string[] => {
    const d = search.list.find((x) => x.id === id)
    if (d === undefined) {
      throw new BlueGreenError(`${side}: CloudFront distribution ${id} does not exist.`)
    }
    return d.aliases
  }
  const router = search.router
  return {
    view: {
      pair: { blue: blueId, green: greenId },
      domain: names.domain,
      wildcard: names.wildcard,
      blueAliases: aliasesOf('blue', blueId),
      greenAliases: aliasesOf('green', greenId),
      router:
        router === undefined
          ? undefined
          : { id: router.id, aliases: router.aliases, tags: search.routerTags }
    },
    routerArn: router?.arn
  }
}

/** The same view from publish's full discover (each attempt re-reads it). */
function viewOf(d: Discovery): RouterView {
  const o = d.observed
  return {
    pair: { blue: o.blue.id, green: o.green.id },
    domain: o.names.domain,
    wildcard: o.names.wildcard,
    blueAliases: o.blue.aliases,
    greenAliases: o.green.aliases,
    router:
      o.router === undefined
        ? undefined
        : { id: o.router.id, aliases: o.router.aliases, tags: o.router.tags }
  }
}

function storedOf(view: RouterView): StoredRollout {
  return decodeRolloutTags(view.router?.tags ?? {})
}

/** Reads the alarms; one that does not exist stops the run here, before any change. */
async function readGate(request: PublishRequest, ctx: Context): Promise<GateVerdict> {
  const alarms = request.alarms
  if (alarms === undefined) return { kind: 'none' }
  const { clients } = ctx
  const cloudwatchFor: CloudWatchFor = (region) => {
    if (region === request.region) return clients.cloudwatch
    const client = clients.cloudwatchIn?.(region)
    if (client === undefined) throw new Error(`internal: no CloudWatch client for ${region}`)
    return client
  }
  const { alarms: found, missing } = await readAlarms(cloudwatchFor, request.region, alarms.specs)
  if (missing.length > 0) throw new BlueGreenError(missingAlarmsMessage(missing, request.region))
  const now = ctx.now()
  const { bakeTimeMs } = alarms.policy
  const { readings, historyDenied } = await readAlarmReadings(
    alarmHistory(cloudwatchFor),
    found,
    bakeTimeMs,
    now
  )
  if (historyDenied) {
    warn(
      ctx,
      'Could not read the alarms history (cloudwatch:DescribeAlarmHistory denied): bake-time counts from each alarm’s last state change, so a step may wait longer than needed. Grant the permission to read it.'
    )
  }
  return evaluateGate(readings, bakeTimeMs, now)
}

interface StepInput {
  request: PublishRequest
  ctx: Context
  github: GitHubDeployments | undefined
  decision: RampDecision & { kind: 'step' | 'rollback' }
  decide: (view: RouterView) => RampDecision
  /** What the decision was made from. */
  view: RouterView
}

interface StepOutcome {
  /** The decision the publish acted on (the last re-read's). */
  decision: RampDecision
  /** The last read (publish's discover). */
  view: RouterView
  /** Did the publish run to its end (false: another run had got there first). */
  published: boolean
  done: string
}

/**
 * An ordinary publish of the decided weights, with the ramp deciding again after each read; the
 * GitHub deployment gets its statuses around it.
 */
async function takeStep(input: StepInput): Promise<StepOutcome> {
  const { request, ctx, github } = input
  let decision: RampDecision = input.decision
  let weights = input.decision.weights
  const deployment = await startDeployment(input)
  /** Set by the hook (a closure: TypeScript's narrowing cannot see it). */
  const seen: { stopped: boolean; view: RouterView } = { stopped: false, view: input.view }
  const hook = {
    retarget: (discovery: Discovery): RolloutTarget => {
      seen.view = viewOf(discovery)
      const again = input.decide(seen.view)
      if (again.kind !== 'step' && again.kind !== 'rollback') {
        decision = again
        seen.stopped = true
        warn(ctx, `Another run changed the rollout while this one was working: ${again.summary}`)
        return { kind: 'stop' }
      }
      if (!sameWeights(again.weights, weights)) return { kind: 'reweigh', weights: again.weights }
      const record: RolloutState = { ...again.record, deployment: deployment.id }
      decision = { ...again, record }
      const tags = encodeRolloutTags(record)
      return { kind: 'publish', tags, first: again.kind === 'rollback' ? tags : undefined }
    }
  }
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await publish({ ...request, weights }, ctx, hook)
        break
      } catch (error) {
        if (!(error instanceof Reweigh) || attempt >= MAX_REWEIGHS) throw error
        ctx.log.info(`The rollout changed meanwhile; publishing ${formatRatio(error.weights)}`)
        weights = error.weights
      }
    }
  } catch (error) {
    await postStatus(ctx, github, deployment.id, deployment.plan?.failed, request)
    throw error
  }
  if (seen.stopped) {
    if (deployment.created) {
      await postStatus(
        ctx,
        github,
        deployment.id,
        { state: 'inactive', description: 'Another run made this change first' },
        request
      )
    }
    return {
      decision,
      view: seen.view,
      published: false,
      done: 'Nothing changed: another run got there first.'
    }
  }
  if (!request.dryRun) await postStatus(ctx, github, deployment.id, deployment.plan?.done, request)
  const pct = percents(weights).green
  return {
    decision,
    view: seen.view,
    published: true,
    done: request.dryRun
      ? `Dry run: a real run would move the traffic to ${pct} % green (${formatRatio(weights)}); nothing changed.`
      : decision.kind === 'rollback'
        ? 'All traffic is on blue (1:0) now.'
        : `Traffic is at ${pct} % green (${formatRatio(weights)}) now; the step is recorded on the router.`
  }
}

/** The deployment a step records itself in: created first when the rollout has none yet. */
async function startDeployment(input: StepInput): Promise<{
  id: number | undefined
  created: boolean
  plan: ReturnType<typeof deploymentPlan>
}> {
  const { request, ctx, github, decision } = input
  const plan = deploymentPlan(decision)
  let id = decision.record.deployment
  if (github === undefined || plan === undefined || request.dryRun) {
    return { id, created: false, plan }
  }
  let created = false
  try {
    if (id === undefined || plan.create) {
      id = await github.create({
        environment: request.deployment?.environment ?? 'production',
        ref: ctx.github?.sha ?? '',
        description: `Ramp ${formatSteps(decision.record.ramp.steps)} of ${request.domainName}`,
        payload: {
          domain: request.domainName,
          ramp: formatSteps(decision.record.ramp.steps),
          blue: decision.record.pair.blue,
          green: decision.record.pair.green
        }
      })
      created = true
      ctx.log.info(`GitHub deployment ${id} created for ${request.deployment?.environment ?? ''}`)
    }
    if (plan.start !== undefined) await github.setStatus(id, status(plan.start, request, ctx))
  } catch (error) {
    // A step does not start without its record; a rollback never waits for GitHub.
    if (decision.kind === 'step') {
      throw new BlueGreenError(
        `${githubProblem(error)} The ramp did not move; nothing was changed.`
      )
    }
    ctx.report.errors.push(githubProblem(error))
  }
  return { id, created, plan }
}

function status(
  update: DeploymentStatusUpdate,
  request: PublishRequest,
  ctx: Context
): DeploymentStatus {
  return {
    ...update,
    environmentUrl: `https://${request.domainName}`,
    logUrl: ctx.runUrl
  }
}

/** Posts a status; a failure is reported (the job fails) but changes nothing already done. */
async function postStatus(
  ctx: Context,
  github: GitHubDeployments | undefined,
  id: number | undefined,
  update: DeploymentStatusUpdate | undefined,
  request: PublishRequest
): Promise<void> {
  if (github === undefined || id === undefined || update === undefined || request.dryRun) return
  try {
    await github.setStatus(id, status(update, request, ctx))
  } catch (error) {
    ctx.report.errors.push(githubProblem(error))
  }
}

interface RecordInput {
  request: PublishRequest
  ctx: Context
  github: GitHubDeployments | undefined
  decision: RampDecision
  read: RolloutRead
  stored: StoredRollout
}

/**
 * A run that publishes nothing (wait, finished, hold, blocked, refuse): writes the rollout's
 * record when it changed (a hold, a hold that ended, a new ramp-interval), after reading the
 * tags once more so that a record another run wrote meanwhile is not overwritten.
 */
async function recordOnly(input: RecordInput): Promise<string> {
  const { request, ctx, decision, read, stored } = input
  const router = read.view.router
  let record = 'record' in decision ? decision.record : undefined
  if (record === undefined || router === undefined || read.routerArn === undefined) {
    return 'Nothing changed.'
  }
  const firstHold =
    decision.kind === 'hold' && stored.kind === 'ok' && stored.state.mark?.kind !== 'held'
  if (firstHold && input.github !== undefined && !request.dryRun) {
    record = await recordHold(input, record)
  }
  const tags = encodeRolloutTags(record)
  if (Object.entries(tags).every(([k, v]) => router.tags[k] === v)) return 'Nothing changed.'
  const row = {
    description: `Router: record the ramp's state (step ${tags[ROLLOUT_TAGS.step] ?? ''}${record.mark === undefined ? '' : `, ${record.mark.kind}`}) in its tags`,
    resource: router.id,
    status: 'planned' as const
  }
  ctx.report.plan.push(row)
  if (request.dryRun) return 'Dry run: a real run would record the ramp’s state; nothing changed.'
  const now = await listTags(ctx.clients.cloudfront, read.routerArn)
  const before = ROLLOUT_KEYS.every((k) => (now[k] ?? '') === (router.tags[k] ?? ''))
  if (!before) {
    ctx.report.plan[ctx.report.plan.length - 1] = { ...row, status: 'skipped' }
    warn(
      ctx,
      'Another run changed the rollout while this one was reading it: its record is kept, nothing written. The next run decides from it.'
    )
    return 'Nothing changed: another run recorded the rollout first.'
  }
  await tagResource(ctx.clients.cloudfront, read.routerArn, tags)
  ctx.report.changed = true
  ctx.report.plan[ctx.report.plan.length - 1] = { ...row, status: 'done' }
  return decision.kind === 'hold'
    ? 'The traffic stays where it is (on-alarm: hold); the hold is recorded in the router’s tags.'
    : 'The ramp’s state is recorded in the router’s tags; the traffic did not change.'
}

const ROLLOUT_KEYS = Object.values(ROLLOUT_TAGS)

/** The first run of a hold posts `failure` on the deployment (creating it if there is none). */
async function recordHold(input: RecordInput, record: RolloutState): Promise<RolloutState> {
  const { ctx, github, decision, request } = input
  const plan = deploymentPlan(decision)
  if (github === undefined || plan === undefined) return record
  let id = record.deployment
  try {
    if (id === undefined) {
      id = await github.create({
        environment: request.deployment?.environment ?? 'production',
        ref: ctx.github?.sha ?? '',
        description: `Ramp ${formatSteps(record.ramp.steps)} of ${request.domainName}`,
        payload: { domain: request.domainName, ramp: formatSteps(record.ramp.steps) }
      })
    }
    await github.setStatus(id, status(plan.done, request, ctx))
  } catch (error) {
    ctx.report.errors.push(githubProblem(error))
  }
  return { ...record, deployment: id }
}

/** GitHub deployments when github-token is given; the run's repository and commit are needed. */
async function deploymentsOf(
  request: PublishRequest,
  ctx: Context
): Promise<GitHubDeployments | undefined> {
  const token = request.deployment?.token
  if (token === undefined || request.dryRun) return undefined
  const repository = ctx.github?.repository
  if (repository === undefined || ctx.github?.sha === undefined) {
    throw new BlueGreenError(
      'github-token: a GitHub deployment needs the repository and commit of the workflow run (GITHUB_REPOSITORY and GITHUB_SHA, which the runner sets); run it from a workflow, or leave github-token empty.'
    )
  }
  return githubDeployments({ token, repository })
}

/** The ramp outputs, and publish's own outputs for a run that publishes nothing. */
function setRampOutputs(ctx: Context, decision: RampDecision, view: RouterView): void {
  const { report } = ctx
  Object.assign(report.outputs, decision.outputs)
  if (decision.kind === 'step' || decision.kind === 'rollback') return
  const traffic = trafficInForce(view)
  if (traffic.kind === 'unknown') return
  const w: Weights = traffic.weights
  const pct = percents(w)
  report.weights = w
  report.state = stateOf(w)
  Object.assign(report.outputs, {
    ratio: formatRatio(w),
    'blue-percent': pct.blue,
    'green-percent': pct.green,
    state: stateOf(w),
    'router-distribution-id': view.router?.id ?? ''
  })
}

/** The summary's rollout section before the run acts. */
function rolloutSection(
  decision: RampDecision,
  gate: GateVerdict,
  stored: StoredRollout,
  view: RouterView,
  request: PublishRequest
): RolloutReport {
  const alarms = gate.kind === 'none' ? [] : gate.alarms
  const last =
    'record' in decision && decision.record !== undefined
      ? decision.record
      : stored.kind === 'ok'
        ? stored.state
        : undefined
  return {
    summary: decision.summary,
    done: 'Nothing changed.',
    alarms: alarms.map((a) => ({
      name: a.name,
      region: a.region,
      state: a.state,
      since: a.since.toISOString(),
      reason: a.reason
    })),
    run: last?.run ?? { url: undefined, actor: undefined },
    deployment:
      last?.deployment === undefined
        ? undefined
        : `${request.deployment?.environment ?? 'production'} deployment ${last.deployment}${view.router === undefined ? '' : ` (router ${view.router.id})`}`
  }
}

/** A decision that fails the job: a real run fails; a dry run fails only on a refusal. */
function failOrWarn(ctx: Context, request: PublishRequest, decision: RampDecision): void {
  if (!request.dryRun || decision.kind === 'refuse') {
    ctx.report.errors.push(decision.summary)
  } else {
    warn(ctx, `Dry run: a real run would fail: ${decision.summary}`)
  }
}

/** A warning for the log and the summary (once). */
function warn(ctx: Context, message: string): void {
  if (!ctx.report.warnings.includes(message)) ctx.report.warnings.push(message)
}

/** A GitHub API failure in the operator's words (its message already says what to change). */
function githubProblem(error: unknown): string {
  return error instanceof GitHubDeploymentError ? error.message : describeError(error)
}
