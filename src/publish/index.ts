/**
 * `publish`: discover → plan → apply, re-planning from a fresh read when someone else changed a
 * distribution meanwhile (PreconditionFailed). Fills ctx.report as it goes.
 */
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import { formatRatio, percents, type PublishRequest, type Weights } from '../inputs.js'
import { stoppedRampTags } from '../rollout/observe.js'
import { ROLLOUT_TAGS } from '../rollout/tags.js'
import type { PlanRow } from '../report.js'
import { readAsset } from '../assets.js'
import { apply, DnsWriteDenied, isPreconditionFailed } from './apply.js'
import { ensureReplicationCaughtUp, noteGreenTraffic } from './data-replicate.js'
import { type Discovery, discover } from './discover.js'
import { buildEdgePackage, EDGE_FUNCTION, type EdgePackage } from './edge-package.js'
import { CLEANUP_WARNING, plan } from './plan.js'
import { linksOf, transitionOf } from './transition.js'
import { type DesiredEdge, NEW_ROUTER_DOMAIN, type Plan, stateOf } from './types.js'

/** Fresh reads and plans after a PreconditionFailed, before giving up. */
export const MAX_PLAN_ATTEMPTS = 3

/**
 * A ramp run's say in each attempt (src/publish/ramp.ts): after every discover, the first and
 * each re-read after a concurrent change, the ramp decides again from what was read.
 */
export interface RolloutHook {
  retarget(discovery: Discovery): RolloutTarget
}

export type RolloutTarget =
  /** Publish these weights, with the ramp's record (and a record to write first, if any). */
  | { kind: 'publish'; tags: Record<string, string>; first: Record<string, string> | undefined }
  /** Nothing to publish any more (another run got there first): the hook reported why. */
  | { kind: 'stop' }
  /** The ramp now needs other weights than this publish was started with. */
  | { kind: 'reweigh'; weights: Weights }

/** Thrown when a re-read ramp needs other weights: the ramp run publishes again with them. */
export class Reweigh extends Error {
  constructor(readonly weights: Weights) {
    super(`internal: the ramp now needs ${formatRatio(weights)}`)
    this.name = 'Reweigh'
  }
}

export async function publish(
  request: PublishRequest,
  ctx: Context,
  rollout?: RolloutHook
): Promise<void> {
  if (request.ramp !== undefined && rollout === undefined) {
    throw new Error('internal: a ramp request runs through publishRamp (src/publish/ramp.ts)')
  }
  const { report, log } = ctx
  const state = stateOf(request.weights)
  const pct = percents(request.weights)
  report.weights = request.weights
  report.state = state
  Object.assign(report.outputs, {
    ratio: formatRatio(request.weights),
    'blue-percent': pct.blue,
    'green-percent': pct.green,
    state
  })
  const hostNames = {
    domain: request.domainName,
    blueHost: request.blueHostname,
    greenHost: request.greenHostname
  }
  // Labelled by who serves each name once that is known (after a dry run: now; after a run: then).
  report.links = linksOf(hostNames, undefined)

  const edge: EdgePackage | undefined =
    state === 'split'
      ? buildEdgePackage({
          code: await readAsset('edge/router.js'),
          blueHost: request.blueHostname,
          greenHost: request.greenHostname,
          weights: request.weights
        })
      : undefined

  const desiredEdge: DesiredEdge | undefined =
    edge === undefined
      ? undefined
      : { sha256: edge.sha256, description: edge.description, runtime: EDGE_FUNCTION.runtime }

  let consent = request.updateGreenAlias
  let asked = false
  let cleanupConfirmed = false
  /** Set when Route53 denied a record write in this run (dns: auto): DNS is manual from then. */
  let forceManual: string | undefined
  const doneRows: PlanRow[] = []
  for (let attempt = 1; ; attempt++) {
    const discovery = await log.group('Discover', () =>
      discover(request, ctx, { desiredEdge, forceManual })
    )
    const target = rollout?.retarget(discovery)
    if (target?.kind === 'stop') return
    if (target?.kind === 'reweigh') throw new Reweigh(target.weights)
    if (!consent && !asked && needsGreenAlias(request, discovery) && ctx.confirm !== undefined) {
      asked = true
      consent = await ctx.confirm(
        `The green distribution ${discovery.observed.green.id} does not hold ${request.greenHostname}, where the router sends green viewers. Add it?`
      )
    }
    if (request.dns === 'route53' && discovery.manualReason !== undefined) {
      throw new BlueGreenError(
        `dns: route53, but ${discovery.manualReason}. Create the hosted zone / grant route53:ListHostedZonesByName, ListResourceRecordSets and ChangeResourceRecordSets, or use dns: manual.`
      )
    }
    const p = plan(discovery.observed, {
      weights: request.weights,
      dns: request.dns,
      cleanup: request.cleanup,
      cleanupMinAgeMs: request.cleanupMinAgeMs,
      greenAliasConsent: consent,
      wait: request.wait,
      waitTimeoutMs: request.waitTimeoutMs,
      now: ctx.now(),
      desiredEdge,
      runUrl: ctx.runUrl,
      actor: ctx.github?.actor,
      rolloutTags: target === undefined ? stoppedRamp(request, ctx, discovery) : target.tags,
      rolloutFirst: target?.first
    })
    record(ctx, p, discovery, doneRows)
    // A re-plan after a concurrent change keeps what the first read found as "before".
    const transition = transitionOf(discovery.observed, p, request.weights)
    report.transition =
      report.transition === undefined
        ? transition
        : { ...transition, before: report.transition.before }
    const reason = discovery.manualReason
    const fallback = `DNS falls back to manual: ${reason ?? ''}. Create the records listed under DNS.`
    if (reason !== undefined && !report.warnings.includes(fallback)) report.warnings.push(fallback)
    for (const w of [...discovery.warnings, ...p.warnings]) {
      if (!report.warnings.includes(w)) report.warnings.push(w)
    }
    if (request.cleanup && attempt === 1) {
      report.notes.push(
        `cleanup keeps the records of ${request.domainName}, ${request.blueHostname} and ${request.greenHostname}: they point at the distribution that stays active. It removes the router distribution and the edge function.`
      )
    }
    if (p.phase === 'records-first') {
      // Phase 1 of manual DNS: the operator must act before the next run can finish.
      for (const w of p.warnings) log.warn(w)
      if (p.steps.length === 0) log.info('Nothing to change until those records resolve')
    } else if (p.steps.length === 0) {
      log.info(`Nothing to change: already ${state} at ${formatRatio(request.weights)}`)
    }

    if (request.dataReplicate && attempt === 1 && p.steps.length > 0) {
      await ensureReplicationCaughtUp(request, ctx)
    }
    if (attempt === 1) await noteGreenTraffic(request, ctx)
    if (request.dryRun) {
      report.links = linksOf(hostNames, report.transition.before)
      setOutputs(ctx, {
        routerId: discovery.observed.router?.id,
        edgeVersionArn: discovery.routerEdgeArn,
        dnsMode: p.dnsMode
      })
      return
    }
    const removes = p.steps.some((s) => s.kind === 'router-delete' || s.kind === 'edge-delete')
    if (removes && ctx.confirm !== undefined && !cleanupConfirmed) {
      cleanupConfirmed = true
      const ok = await ctx.confirm(
        `cleanup deletes the router ${discovery.observed.router?.id ?? '(already gone)'} and the edge function ${discovery.functionName}. ${CLEANUP_WARNING} Continue?`
      )
      if (!ok) throw new BlueGreenError('cleanup declined at the prompt; nothing was changed.')
    }
    try {
      const result = await log.group(`Apply (${p.steps.length} steps)`, () =>
        apply({ ctx, discovery, plan: p, edge, rowOffset: doneRows.length })
      )
      setOutputs(ctx, result)
      const t = report.transition
      report.transition = { ...t, done: true, ids: { ...t.ids, router: result.routerId } }
      report.links = linksOf(hostNames, report.transition.after)
      return
    } catch (error) {
      if (error instanceof DnsWriteDenied && forceManual === undefined) {
        // DNS is manual from here: re-read and re-plan, so the router does not take D before
        // B1 and G2 resolve (the records this run could not write).
        forceManual = `${error.message}; the CloudFront changes made so far are kept`
        doneRows.push(...report.plan.filter((r) => r.status === 'done'))
        log.warn(`${error.message}: DNS is manual from here; reading again and re-planning`)
        attempt -= 1
        continue
      }
      if (!isPreconditionFailed(error) || attempt >= MAX_PLAN_ATTEMPTS) throw error
      doneRows.push(...report.plan.filter((r) => r.status === 'done'))
      log.warn(
        `A distribution changed while this run was updating it (PreconditionFailed); reading it again and re-planning (attempt ${attempt + 1} of ${MAX_PLAN_ATTEMPTS})`
      )
    }
  }
}

/** A publish outside a ramp that changes the traffic marks a ramp recorded on the router stopped. */
function stoppedRamp(
  request: PublishRequest,
  ctx: Context,
  d: Discovery
): Record<string, string> | undefined {
  const { observed } = d
  if (observed.router === undefined) return undefined
  const tags = stoppedRampTags(observed.router.tags, {
    pair: { blue: observed.blue.id, green: observed.green.id },
    weights: request.weights,
    now: ctx.now(),
    run: { url: ctx.runUrl, actor: ctx.github?.actor }
  })
  const warning = `The router records a ramp (${observed.router.tags[ROLLOUT_TAGS.ramp]?.replace(/ /g, ',') ?? ''}); this publish changes its traffic and marks it stopped: scheduled ramp runs leave it alone from now on, and ramp-restart: true continues it from the new traffic.`
  if (tags !== undefined && !ctx.report.warnings.includes(warning))
    ctx.report.warnings.push(warning)
  return tags
}

function needsGreenAlias(request: PublishRequest, d: Discovery): boolean {
  const g = d.observed.green.aliases
  return (
    stateOf(request.weights) === 'split' &&
    !g.includes(request.greenHostname) &&
    !g.includes(d.observed.names.wildcard)
  )
}

/** Puts the plan and the DNS records the target needs into the report. */
function record(ctx: Context, p: Plan, d: Discovery, doneRows: PlanRow[]): void {
  const { report } = ctx
  report.plan = [
    ...doneRows,
    ...p.steps.map((s) => ({
      description: s.description,
      resource: s.resource,
      status: 'planned' as const
    }))
  ]
  const changing = new Set(
    p.steps.flatMap((s) => (s.kind === 'dns' ? s.records.map((r) => `${r.name} ${r.type}`) : []))
  )
  report.dns = p.records.map((r) => {
    const facts = r.dist === 'router' ? d.observed.router : d.observed[r.dist]
    return {
      name: r.name,
      type: r.type,
      target: facts?.domainName ?? NEW_ROUTER_DOMAIN,
      status:
        p.dnsMode === 'manual'
          ? 'manual'
          : changing.has(`${r.name} ${r.type}`)
            ? 'planned'
            : 'unchanged'
    }
  })
}

function setOutputs(
  ctx: Context,
  result: { routerId: string | undefined; edgeVersionArn: string | undefined; dnsMode: string }
): void {
  Object.assign(ctx.report.outputs, {
    'router-distribution-id': result.routerId ?? '',
    'edge-function-version-arn': result.edgeVersionArn ?? '',
    'dns-mode': result.dnsMode
  })
}
