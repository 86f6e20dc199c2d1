/**
 * Carries out a plan, step by step, recording each step's status in the report. Every update
 * uses the ETag it read (IfMatch); a PreconditionFailed propagates to index.ts, which re-reads
 * and re-plans. Waits use the SDK waiters, in slices, logging progress between them.
 */
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import { formatRatio, type PublishRequest } from '../inputs.js'
import type { DnsRow } from '../report.js'
import {
  createDistributionWithTags,
  type DistributionConfig,
  type DistributionState,
  deleteDistribution,
  errorName,
  getDistributionConfig,
  tagResource,
  updateDistribution,
  waitDeployed,
  type WaitTiming,
  withAliases
} from '../aws/cloudfront.js'
import {
  createFunction,
  deleteFunction,
  ensureEdgeRole,
  getFunctionState,
  listVersions,
  publishVersion,
  EDGE_RUNTIME,
  updateFunctionCode,
  updateFunctionRuntime,
  waitFunctionReady
} from '../aws/lambda-edge.js'
import { type AliasRecord, upsertAliasRecords } from '../aws/route53.js'
import { type Discovery, isAccessDenied, ROUTER_COMMENT_PREFIX } from './discover.js'
import type { EdgePackage } from './edge-package.js'
import {
  type DistKey,
  formatMs,
  type Plan,
  ROUTER_TAGS,
  type Step,
  type TargetRouterMode,
  type WantedRecord
} from './plan.js'

/** The execution role every router function uses (one per account). */
export const EDGE_ROLE_NAME = 'bluegreen-edge-router'

/**
 * Waiter timing (seconds). CloudFront takes minutes, so production polls every 10-30 s and
 * reports progress every minute. Tests that fake AWS shrink these with setWaitTiming.
 */
const timing: WaitTiming & { progressEverySeconds: number } = {
  minDelaySeconds: 10,
  maxDelaySeconds: 30,
  progressEverySeconds: 60
}

export function setWaitTiming(next: Partial<typeof timing>): void {
  Object.assign(timing, next)
}

export interface ApplyInput {
  request: PublishRequest
  ctx: Context
  discovery: Discovery
  plan: Plan
  /** Needed when the plan has an edge-version step (split). */
  edge: EdgePackage | undefined
  /** Index in report.plan of this plan's first row. */
  rowOffset: number
}

export interface ApplyResult {
  routerId: string | undefined
  /** The edge version the router runs after this run (split), if any. */
  edgeVersionArn: string | undefined
  dnsMode: 'route53' | 'manual'
}

/** The router's config: a clone of `source` holding `aliases`, with our edge function or not. */
export function buildRouterConfig(options: {
  source: DistributionConfig
  aliases: string[]
  edgeArn: string | undefined
  functionName: string
  callerReference: string
  comment: string
  enabled: boolean
}): DistributionConfig {
  const config: DistributionConfig = {
    ...options.source,
    CallerReference: options.callerReference,
    Comment: options.comment.slice(0, 128),
    Enabled: options.enabled,
    Aliases: { Quantity: options.aliases.length, Items: [...options.aliases] }
  }
  // A continuous-deployment policy belongs to one distribution; a clone cannot share it.
  delete config.ContinuousDeploymentPolicyId
  delete config.Staging
  const edge = <B extends BehaviourAssociations>(b: B): B => withEdge(b, options)
  if (options.source.DefaultCacheBehavior !== undefined) {
    config.DefaultCacheBehavior = edge(options.source.DefaultCacheBehavior)
  }
  const items = options.source.CacheBehaviors?.Items
  if (items !== undefined) {
    config.CacheBehaviors = { Quantity: items.length, Items: items.map(edge) }
  }
  return config
}

interface BehaviourAssociations {
  LambdaFunctionAssociations?:
    | {
        Quantity: number | undefined
        Items?:
          | {
              LambdaFunctionARN: string | undefined
              EventType: string | undefined
              IncludeBody?: boolean | undefined
            }[]
          | undefined
      }
    | undefined
  FunctionAssociations?:
    | {
        Quantity: number | undefined
        Items?: { FunctionARN: string | undefined; EventType: string | undefined }[] | undefined
      }
    | undefined
}

/**
 * The behaviour with our viewer-request function (or without it: pass-through). Other events'
 * associations stay; a CloudFront Function on viewer-request cannot coexist with Lambda@Edge
 * there, so the router drops it (the 302 happens before it would run anyway).
 */
function withEdge<B extends BehaviourAssociations>(
  behaviour: B,
  options: { edgeArn: string | undefined; functionName: string }
): B {
  const ours = (arn: string | undefined) =>
    arn?.includes(`:function:${options.functionName}:`) ?? false
  const others = (behaviour.LambdaFunctionAssociations?.Items ?? []).filter(
    (a) =>
      !ours(a.LambdaFunctionARN) &&
      (options.edgeArn === undefined || a.EventType !== 'viewer-request')
  )
  const lambdas =
    options.edgeArn === undefined
      ? others
      : [
          ...others,
          { LambdaFunctionARN: options.edgeArn, EventType: 'viewer-request', IncludeBody: false }
        ]
  const out: B = {
    ...behaviour,
    LambdaFunctionAssociations: { Quantity: lambdas.length, Items: lambdas }
  }
  if (options.edgeArn !== undefined && behaviour.FunctionAssociations !== undefined) {
    const fns = (behaviour.FunctionAssociations.Items ?? []).filter(
      (f) => f.EventType !== 'viewer-request'
    )
    out.FunctionAssociations = { Quantity: fns.length, Items: fns }
  }
  return out
}

/**
 * Another writer (a second run of the workflow, a person in the console) changed a distribution
 * this run's next step relies on. An ETag only guards the distribution being updated, but
 * whether a step is safe depends on the others too, so each step first checks that none of them
 * changed since this run read (or last wrote) it; index.ts then re-reads and re-plans.
 */
export class ConcurrentChange extends BlueGreenError {
  constructor(key: DistKey, id: string) {
    super(
      `The ${key} distribution ${id} was changed by someone else while this run was working. Run one publish at a time per domain (a workflow \`concurrency:\` group), then re-run.`
    )
    this.name = 'ConcurrentChange'
  }
}

export function isPreconditionFailed(error: unknown): boolean {
  const name = errorName(error)
  return (
    name === 'PreconditionFailed' ||
    name === 'InvalidIfMatchVersion' ||
    error instanceof ConcurrentChange
  )
}

export async function apply(input: ApplyInput): Promise<ApplyResult> {
  const { request, ctx, discovery, plan } = input
  const { report, log } = ctx
  const cf = ctx.clients.cloudfront
  const live: Partial<Record<DistKey, DistributionState>> = {
    blue: discovery.dists.blue,
    green: discovery.dists.green,
    ...(discovery.dists.router === undefined ? {} : { router: discovery.dists.router })
  }
  let edgeVersionArn =
    discovery.observed.router?.mode === 'edge' ? discovery.routerEdgeArn : undefined
  let dnsMode = plan.dnsMode
  /** Set by the router-delete step (a closure: TypeScript's narrowing cannot see it). */
  const outcome = { routerDeleted: false }
  const mutated = (): void => {
    report.changed = true
  }
  const dist = (key: DistKey): DistributionState => {
    const d = live[key]
    if (d === undefined) throw new Error(`internal: the ${key} distribution is not known yet`)
    return d
  }
  const update = async (key: DistKey, config: DistributionConfig): Promise<void> => {
    const d = dist(key)
    const etag = await updateDistribution(cf, { id: d.id, config, etag: d.etag })
    mutated()
    live[key] = { ...d, config, etag, status: 'InProgress' }
  }
  const routerSource = (mode: TargetRouterMode): DistributionConfig =>
    dist(mode === 'pass-green' ? 'green' : 'blue').config
  const routerComment = `${ROUTER_COMMENT_PREFIX} ${request.domainName}`

  for (const [i, step] of plan.steps.entries()) {
    const row = report.plan[input.rowOffset + i]
    log.info(`[${i + 1}/${plan.steps.length}] ${step.description}`)
    try {
      if (step.kind !== 'wait' && step.kind !== 'edge-version' && step.kind !== 'edge-delete') {
        await assertUnchanged()
      }
      await runStep(step)
      if (row !== undefined) row.status = 'done'
    } catch (error) {
      if (row !== undefined) row.status = 'failed'
      throw error
    }
  }
  // A router created by this run has a domain now: the DNS rows name it.
  for (const r of plan.records) {
    const row = report.dns.find((d) => d.name === r.name && d.type === r.type)
    const target = live[r.dist]?.domainName
    if (row !== undefined && target !== undefined) row.target = target
  }
  return {
    routerId: outcome.routerDeleted ? undefined : live.router?.id,
    edgeVersionArn: outcome.routerDeleted ? undefined : edgeVersionArn,
    dnsMode
  }

  async function runStep(step: Step): Promise<void> {
    switch (step.kind) {
      case 'edge-version':
        edgeVersionArn = await publishEdgeVersion()
        return
      case 'update':
        await update(step.dist, withAliases(dist(step.dist).config, step.aliases))
        return
      case 'router-create': {
        const config = buildRouterConfig({
          source: routerSource(step.mode),
          aliases: step.aliases,
          edgeArn: step.mode === 'edge' ? requireEdgeArn() : undefined,
          functionName: discovery.functionName,
          callerReference: `${ROUTER_COMMENT_PREFIX}-${request.domainName}-${ctx.now().getTime()}`,
          comment: routerComment,
          enabled: true
        })
        live.router = await createDistributionWithTags(cf, {
          config,
          tags: routerTags(false)
        })
        mutated()
        log.info(`Router ${live.router.id} created (${live.router.domainName})`)
        return
      }
      case 'router-update': {
        const current = dist('router').config
        const config =
          step.mode === 'keep'
            ? { ...withAliases(current, step.aliases), Enabled: step.enabled }
            : buildRouterConfig({
                source: routerSource(step.mode),
                aliases: step.aliases,
                edgeArn: step.mode === 'edge' ? requireEdgeArn() : undefined,
                functionName: discovery.functionName,
                callerReference:
                  current.CallerReference ?? `${ROUTER_COMMENT_PREFIX}-${request.domainName}`,
                comment: current.Comment ?? routerComment,
                enabled: step.enabled
              })
        if (step.mode !== 'edge' && step.mode !== 'keep') edgeVersionArn = undefined
        await update('router', config)
        return
      }
      case 'wait':
        for (const key of step.dists) await waitUntilDeployed(key)
        return
      case 'dns':
        await upsertDns(step.records)
        return
      case 'router-tags':
        await tagResource(cf, dist('router').arn, routerTags(step.switched))
        mutated()
        return
      case 'router-disable':
        await update('router', { ...dist('router').config, Enabled: false })
        return
      case 'router-delete': {
        const r = dist('router')
        await deleteDistribution(cf, { id: r.id, etag: r.etag })
        mutated()
        outcome.routerDeleted = true
        return
      }
      case 'edge-delete':
        await deleteEdgeFunction()
        return
    }
  }

  /** Throws ConcurrentChange when a distribution's ETag is no longer the one this run holds. */
  async function assertUnchanged(): Promise<void> {
    for (const key of ['blue', 'green', 'router'] as const) {
      const d = live[key]
      if (d === undefined || (key === 'router' && outcome.routerDeleted)) continue
      const etag = await getDistributionConfig(cf, d.id).then(
        (c) => c.etag,
        (error: unknown) => {
          if (errorName(error) === 'NoSuchDistribution') return undefined
          throw error
        }
      )
      if (etag !== d.etag) throw new ConcurrentChange(key, d.id)
    }
  }

  function requireEdgeArn(): string {
    if (edgeVersionArn === undefined) throw new Error('internal: no edge version published yet')
    return edgeVersionArn
  }

  function routerTags(switched: boolean): Record<string, string> {
    const now = ctx.now().toISOString()
    return {
      [ROUTER_TAGS.domain]: request.domainName,
      [ROUTER_TAGS.blue]: dist('blue').id,
      [ROUTER_TAGS.green]: dist('green').id,
      [ROUTER_TAGS.weights]: formatRatio(request.weights),
      [ROUTER_TAGS.updatedAt]: now,
      ...(switched ? { [ROUTER_TAGS.switchedAt]: now } : {}),
      ...(ctx.runUrl === undefined ? {} : { [ROUTER_TAGS.runUrl]: ctx.runUrl.slice(0, 256) })
    }
  }

  /**
   * The SDK waiter in slices of `progressEverySeconds`, a progress line after each, until
   * wait-timeout. A slice shorter than the waiter's delays shrinks them (the SDK requires
   * maxWaitTime > minDelay), so even a short wait-timeout polls.
   */
  async function waitUntilDeployed(key: DistKey): Promise<void> {
    const d = dist(key)
    const limitSeconds = request.waitTimeoutMs / 1000
    let waited = 0
    log.info(`Waiting for ${key} ${d.id} to be Deployed (up to ${formatMs(request.waitTimeoutMs)})`)
    while (waited < limitSeconds) {
      const slice = Math.min(
        Math.max(timing.progressEverySeconds, timing.minDelaySeconds * 2),
        limitSeconds - waited
      )
      const minDelaySeconds = Math.min(timing.minDelaySeconds, slice / 2)
      const maxDelaySeconds = Math.max(minDelaySeconds, Math.min(timing.maxDelaySeconds, slice))
      const done = await waitDeployed(cf, d.id, {
        minDelaySeconds,
        maxDelaySeconds,
        maxWaitSeconds: slice
      })
      if (done) {
        live[key] = { ...dist(key), status: 'Deployed' }
        return
      }
      waited += slice
      log.info(`${key} ${d.id}: still InProgress after ${formatMs(waited * 1000)}`)
    }
    throw new BlueGreenError(
      `${key} distribution ${d.id} is still InProgress after ${formatMs(waited * 1000)} (wait-timeout). The changes made so far are safe to leave: re-run with the same inputs to finish, or raise wait-timeout.`
    )
  }

  async function publishEdgeVersion(): Promise<string> {
    const edge = input.edge
    if (edge === undefined) throw new Error('internal: the edge package was not built')
    const lambda = ctx.clients.edgeLambda
    const name = discovery.functionName
    const waitOptions = {
      ...timing,
      maxWaitSeconds: Math.max(request.waitTimeoutMs / 1000, timing.minDelaySeconds * 2)
    }
    const current = await getFunctionState(lambda, name)
    if (current !== undefined) {
      const existing = (await listVersions(lambda, name)).find(
        (v) => v.description === edge.description
      )
      if (existing !== undefined) {
        log.info(`Edge version ${existing.arn} already carries this config; reusing it`)
        return existing.arn
      }
      // A create or update (of a run that died) may still be in progress: let it finish.
      if (current.state !== 'Active') {
        await waitFunctionReady(lambda, name, { ...waitOptions, after: 'create' })
      }
      if (current.lastUpdateStatus === 'InProgress') {
        await waitFunctionReady(lambda, name, { ...waitOptions, after: 'update' })
      }
      if (current.runtime !== EDGE_RUNTIME) {
        // Made by an older release on a runtime Lambda no longer lets anyone update.
        await updateFunctionRuntime(lambda, name)
        mutated()
        await waitFunctionReady(lambda, name, { ...waitOptions, after: 'update' })
      }
      if (current.codeSha256 !== edge.sha256) {
        await updateFunctionCode(lambda, { name, zip: edge.zip })
        mutated()
        await waitFunctionReady(lambda, name, { ...waitOptions, after: 'update' })
      }
    } else {
      const role = await ensureEdgeRole(ctx.clients.iam, EDGE_ROLE_NAME)
      if (role.created) mutated()
      await createWithRoleRetry(role.arn, role.created)
      await waitFunctionReady(lambda, name, { ...waitOptions, after: 'create' })
    }
    const version = await publishVersion(lambda, { name, description: edge.description })
    mutated()
    log.info(`Edge version ${version.arn} published`)
    return version.arn
  }

  /** A new role takes seconds to become assumable by Lambda: retry that one error a few times. */
  async function createWithRoleRetry(roleArn: string, newRole: boolean): Promise<void> {
    const edge = input.edge
    if (edge === undefined) throw new Error('internal: the edge package was not built')
    for (let attempt = 1; ; attempt++) {
      try {
        await createFunction(ctx.clients.edgeLambda, {
          name: discovery.functionName,
          roleArn,
          zip: edge.zip,
          description: 'bluegreen-action router (Lambda@Edge, viewer-request)'
        })
        mutated()
        return
      } catch (error) {
        const roleNotReady =
          errorName(error) === 'InvalidParameterValueException' &&
          error instanceof Error &&
          /role/i.test(error.message)
        if (!newRole || !roleNotReady || attempt >= 8) throw error
        log.info('The new role is not assumable yet; retrying in 5s')
        await ctx.sleep(5000)
      }
    }
  }

  async function upsertDns(records: WantedRecord[]): Promise<void> {
    const zone = discovery.zone
    if (zone === undefined) throw new Error('internal: DNS step without a hosted zone')
    const wanted = records.map((r) => toAliasRecord(r))
    const cnames = discovery.records.filter(
      (r) => r.type === 'CNAME' && wanted.some((w) => w.name === r.name)
    )
    try {
      await upsertAliasRecords(ctx.clients.route53, {
        zoneId: zone.id,
        records: wanted,
        cnamesToReplace: cnames
      })
      mutated()
      markDns(wanted, 'upserted')
    } catch (error) {
      if (request.dns !== 'auto' || !isAccessDenied(error)) throw error
      dnsMode = 'manual'
      for (const row of report.dns) row.status = 'manual'
      report.warnings.push(
        `Route53 denied the record change in zone ${zone.name} (${errorName(error) ?? 'AccessDenied'}): the CloudFront changes are made; create the records listed under DNS yourself (dns: manual).`
      )
    }
  }

  function toAliasRecord(r: WantedRecord): AliasRecord {
    return { name: r.name, type: r.type, target: dist(r.dist).domainName }
  }

  function markDns(records: AliasRecord[], status: DnsRow['status']): void {
    for (const rec of records) {
      const row = report.dns.find((d) => d.name === rec.name && d.type === rec.type)
      if (row !== undefined) {
        row.status = status
        row.target = rec.target
      }
    }
  }

  async function deleteEdgeFunction(): Promise<void> {
    try {
      await deleteFunction(ctx.clients.edgeLambda, discovery.functionName)
      mutated()
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return
      const text = error instanceof Error ? error.message : String(error)
      report.warnings.push(
        `The Lambda@Edge function ${discovery.functionName} could not be deleted yet (${errorName(error) ?? 'error'}: ${text}). CloudFront keeps replicas for a few hours after the router is gone; re-run publish with cleanup: true later to delete it.`
      )
    }
  }
}
