/**
 * Carries out a plan, step by step, with the raw configs discover read (never the request),
 * recording each step's status in the report. Every update uses the ETag it read (IfMatch); a
 * PreconditionFailed propagates to index.ts, which re-reads and re-plans. Waits use the SDK
 * waiters, in slices, logging progress between them. A create whose answer was lost (the SDK's
 * retry then meets what the first attempt made: EntityAlreadyExists, ResourceConflictException,
 * DistributionAlreadyExists, CNAMEAlreadyExists) is adopted by reading it back.
 */
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import type { DnsRow } from '../report.js'
import { nameNewRouter } from './transition.js'
import {
  createDistributionWithTags,
  type DistributionConfig,
  type DistributionState,
  deleteDistribution,
  getDistribution,
  getDistributionConfig,
  listDistributions,
  listTags,
  tagResource,
  updateDistribution,
  waitDeployed,
  withAliases
} from '../aws/cloudfront.js'
import {
  errorMessage,
  errorName,
  isAccessDenied,
  isNamed,
  isNoSuchDistribution,
  isResourceConflict
} from '../aws/errors.js'
import { attachManagedPolicy, createRole, getRole } from '../aws/iam.js'
import {
  createFunction,
  deleteFunction,
  getFunction,
  listVersions,
  publishVersion,
  updateFunctionCode,
  updateFunctionConfiguration,
  waitFunctionReady,
  type WaitOptions
} from '../aws/lambda.js'
import type { ChangeListener, WaitTiming } from '../aws/retry.js'
import { type AliasRecord, listRecords, upsertAliasRecords, waitInsync } from '../aws/route53.js'
import { formatMs } from './cleanup.js'
import type { Discovery } from './discover.js'
import { EDGE_FUNCTION, EDGE_ROLE, type EdgePackage } from './edge-package.js'
import { routerConfig } from './router-config.js'
import {
  type ApplyResult,
  type DistKey,
  type Plan,
  ROUTER_TAGS,
  type Step,
  type TargetRouterMode,
  type WantedRecord
} from './types.js'

export type { ApplyResult } from './types.js'
export { EDGE_ROLE_NAME } from './edge-package.js'

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
  ctx: Context
  discovery: Discovery
  plan: Plan
  /** Needed when the plan has edge-function, edge-code or edge-version steps (split). */
  edge: EdgePackage | undefined
  /** Index in report.plan of this plan's first row. */
  rowOffset: number
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

/** Route53 refused a record write in `dns: auto`: index.ts re-plans with manual DNS. */
export class DnsWriteDenied extends BlueGreenError {
  constructor(
    readonly zone: string,
    readonly reason: string
  ) {
    super(`Route53 denied the record change in zone ${zone} (${reason})`)
    this.name = 'DnsWriteDenied'
  }
}

export function isPreconditionFailed(error: unknown): boolean {
  return (
    isNamed(error, 'PreconditionFailed', 'InvalidIfMatchVersion') ||
    error instanceof ConcurrentChange
  )
}

export async function apply(input: ApplyInput): Promise<ApplyResult> {
  const { ctx, discovery, plan } = input
  const { report, log } = ctx
  const cf = ctx.clients.cloudfront
  const live: Partial<Record<DistKey, DistributionState>> = {
    blue: discovery.dists.blue,
    green: discovery.dists.green,
    ...(discovery.dists.router === undefined ? {} : { router: discovery.dists.router })
  }
  let edgeVersionArn =
    discovery.observed.router?.mode === 'edge' ? discovery.routerEdgeArn : plan.edgeVersionArn
  let roleArn = discovery.observed.edge?.roleArn
  const changeIds: string[] = []
  /** Set by the router-delete step (a closure: TypeScript's narrowing cannot see it). */
  const outcome = { routerDeleted: false }
  const functionName = discovery.functionName
  const waitSeconds = Math.max(plan.waitTimeoutMs / 1000, timing.minDelaySeconds * 2)
  /** Lambda's waits (a function Active, an update done): the waiter timing, up to wait-timeout. */
  const lambdaWait: WaitOptions = {
    minDelay: timing.minDelaySeconds,
    maxDelay: timing.maxDelaySeconds,
    maxWaitSeconds: waitSeconds
  }
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
  const buildRouter = (
    mode: TargetRouterMode,
    o: { aliases: string[]; callerReference: string; comment: string; enabled: boolean }
  ): DistributionConfig =>
    routerConfig({
      originDomain: dist(mode === 'pass-green' ? 'green' : 'blue').domainName,
      blue: dist('blue').config,
      edgeArn: mode === 'edge' ? requireEdgeArn() : undefined,
      ...o
    })

  for (const [i, step] of plan.steps.entries()) {
    const row = report.plan[input.rowOffset + i]
    log.info(`[${i + 1}/${plan.steps.length}] ${step.description}`)
    try {
      if (step.kind === 'update' || step.kind.startsWith('router-') || step.kind === 'dns') {
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
    edgeVersionArn:
      outcome.routerDeleted || plan.state !== 'split' || plan.phase !== 'complete'
        ? undefined
        : edgeVersionArn,
    dnsMode: plan.dnsMode
  }

  async function runStep(step: Step): Promise<void> {
    switch (step.kind) {
      case 'edge-role':
        roleArn = await createEdgeRole()
        return
      case 'edge-role-policy':
        await attachManagedPolicy(ctx.clients.iam, EDGE_ROLE.name, EDGE_ROLE.policyArn)
        mutated()
        return
      case 'edge-function':
        await createEdgeFunction()
        return
      case 'edge-runtime':
        await updateFunction('runtime', (listener) =>
          updateFunctionConfiguration(
            ctx.clients.edgeLambda,
            functionName,
            { runtime: EDGE_FUNCTION.runtime },
            { ...lambdaWait, sleep: ctx.sleep, ...listener }
          )
        )
        return
      case 'edge-code':
        await updateFunction('code', (listener) =>
          updateFunctionCode(ctx.clients.edgeLambda, functionName, pkg().zip, {
            ...lambdaWait,
            ...listener
          })
        )
        return
      case 'edge-version':
        edgeVersionArn = await publishEdgeVersion()
        return
      case 'update':
        await update(step.dist, withAliases(dist(step.dist).config, step.aliases))
        return
      case 'router-create': {
        const config = buildRouter(step.mode, {
          aliases: step.aliases,
          callerReference: plan.router.callerReference,
          comment: plan.router.comment,
          enabled: true
        })
        live.router = await createRouter(config, step.tags)
        mutated()
        nameNewRouter(report, input.rowOffset, live.router)
        log.info(`Router ${live.router.id} created (${live.router.domainName})`)
        return
      }
      case 'router-update': {
        const current = dist('router').config
        const config =
          step.mode === 'keep'
            ? { ...withAliases(current, step.aliases), Enabled: step.enabled }
            : buildRouter(step.mode, {
                aliases: step.aliases,
                callerReference: current.CallerReference ?? plan.router.callerReference,
                comment: current.Comment ?? plan.router.comment,
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
        await upsertDns(step.zoneId, step.zoneName, step.records)
        return
      case 'dns-sync':
        for (const id of changeIds) await waitUntilInsync(id)
        return
      case 'router-tags':
        await tagResource(cf, dist('router').arn, step.tags)
        mutated()
        return
      case 'router-disable':
        await update('router', { ...dist('router').config, Enabled: false })
        return
      case 'router-delete': {
        const r = dist('router')
        try {
          await deleteDistribution(cf, { id: r.id, etag: r.etag })
        } catch (error) {
          // The answer of a delete that went through was lost; the retry finds nothing.
          if (!isNoSuchDistribution(error)) throw error
        }
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
          if (isNoSuchDistribution(error)) return undefined
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

  function pkg(): EdgePackage {
    if (input.edge === undefined) throw new Error('internal: the edge package was not built')
    return input.edge
  }

  /**
   * CreateDistributionWithTags. When its answer was lost, the SDK's retry meets what the first
   * attempt made (DistributionAlreadyExists for the same CallerReference, or CNAMEAlreadyExists
   * for D): the router is found by its tags and CallerReference, and adopted.
   */
  async function createRouter(
    config: DistributionConfig,
    tags: Record<string, string>
  ): Promise<DistributionState> {
    try {
      return await createDistributionWithTags(cf, { config, tags })
    } catch (error) {
      if (!isNamed(error, 'DistributionAlreadyExists', 'CNAMEAlreadyExists')) throw error
      for (const d of await listDistributions(cf)) {
        if (!d.comment.startsWith(plan.router.comment)) continue
        if ((await listTags(cf, d.arn))[ROUTER_TAGS.domain] !== tags[ROUTER_TAGS.domain]) continue
        const found = await getDistribution(cf, d.id)
        if (found !== undefined && found.config.CallerReference === config.CallerReference) {
          log.info(`Router ${found.id} was created by this run (its answer was lost); adopting it`)
          return found
        }
      }
      throw error
    }
  }

  /** CreateRole (iam.ts adopts the role a lost answer's retry meets as EntityAlreadyExists). */
  async function createEdgeRole(): Promise<string> {
    return createRole(ctx.clients.iam, EDGE_ROLE, {
      onChange: (how) => {
        mutated()
        if (how === 'adopted') {
          log.info(`The role ${EDGE_ROLE.name} exists (created by this run or another); using it`)
        }
      }
    })
  }

  /**
   * CreateFunction, then the wait until it is Active. A new role (of this run, or of one that
   * died right after creating it) takes seconds to become assumable by Lambda: lambda.ts retries
   * while IAM propagates. A lost answer's retry gets ResourceConflictException: lambda.ts adopts
   * the function, and the code rows of a later run bring it up to date if it is not ours.
   */
  async function createEdgeFunction(): Promise<void> {
    const role = roleArn ?? (await getRole(ctx.clients.iam, EDGE_ROLE.name))?.arn
    if (role === undefined) throw new Error(`internal: the role ${EDGE_ROLE.name} does not exist`)
    await createFunction(
      ctx.clients.edgeLambda,
      { name: functionName, roleArn: role, zip: pkg().zip, ...EDGE_FUNCTION },
      {
        ...lambdaWait,
        sleep: ctx.sleep,
        onRetry: (_error, delayMs) => {
          log.info(`The new role is not assumable yet; retrying in ${formatMs(delayMs)}`)
        },
        onChange: (how) => {
          mutated()
          if (how === 'adopted') {
            log.info(`The function ${functionName} exists (its create answer was lost); using it`)
          }
        }
      }
    )
  }

  /**
   * One update of $LATEST (runtime or code, which waits until it is done), after any update still
   * in progress. A lost answer's retry gets ResourceConflictException (the first attempt's update
   * is in progress): wait for it and check that it made the change.
   */
  async function updateFunction(
    what: 'runtime' | 'code',
    call: (listener: ChangeListener) => Promise<void>
  ): Promise<void> {
    const lambda = ctx.clients.edgeLambda
    const ready = (after: 'create' | 'update') =>
      waitFunctionReady(lambda, functionName, { ...lambdaWait, after })
    const before = await getFunction(lambda, functionName)
    if (before !== undefined && before.state !== 'Active') await ready('create')
    if (before?.lastUpdateStatus === 'InProgress') await ready('update')
    try {
      await call({ onChange: mutated })
    } catch (error) {
      if (!isResourceConflict(error)) throw error
      await ready('update')
      const now = await getFunction(lambda, functionName)
      const done =
        what === 'runtime'
          ? now?.runtime === EDGE_FUNCTION.runtime
          : now?.codeSha256 === pkg().sha256
      if (!done) throw error
      mutated()
    }
  }

  /**
   * PublishVersion of $LATEST (Lambda returns the latest version when nothing changed). A
   * ResourceConflictException means an update of the function is in progress: the retry of a
   * lost answer, or another run's code update (two runs at once). Once it is done, a version
   * that carries the package is used, else this run publishes again.
   */
  async function publishEdgeVersion(): Promise<string> {
    const lambda = ctx.clients.edgeLambda
    const description = pkg().description
    for (let attempt = 1; ; attempt++) {
      try {
        const version = await publishVersion(lambda, functionName, description)
        mutated()
        log.info(`Edge version ${version.arn} published`)
        return version.arn
      } catch (error) {
        if (!isResourceConflict(error)) throw error
        await waitFunctionReady(lambda, functionName, { ...lambdaWait, after: 'update' })
        const found = (await listVersions(lambda, functionName)).find(
          (v) => v.description === description
        )
        if (found !== undefined) {
          mutated()
          return found.arn
        }
        const now = await getFunction(lambda, functionName)
        if (attempt >= 2 || now?.codeSha256 !== pkg().sha256) throw error
        log.info('An update of the edge function was in progress; publishing the version again')
      }
    }
  }

  /**
   * The SDK waiter in slices of `progressEverySeconds`, a progress line after each, until
   * wait-timeout. A slice shorter than the waiter's delays shrinks them (the SDK requires
   * maxWaitTime > minDelay), so even a short wait-timeout polls.
   */
  async function inSlices(
    label: string,
    poll: (t: WaitTiming & { maxWaitSeconds: number }) => Promise<boolean>
  ): Promise<void> {
    const limitSeconds = plan.waitTimeoutMs / 1000
    let waited = 0
    while (waited < limitSeconds) {
      const slice = Math.min(
        Math.max(timing.progressEverySeconds, timing.minDelaySeconds * 2),
        limitSeconds - waited
      )
      const minDelaySeconds = Math.min(timing.minDelaySeconds, slice / 2)
      const maxDelaySeconds = Math.max(minDelaySeconds, Math.min(timing.maxDelaySeconds, slice))
      if (await poll({ minDelaySeconds, maxDelaySeconds, maxWaitSeconds: slice })) return
      waited += slice
      log.info(`${label}: still waiting after ${formatMs(waited * 1000)}`)
    }
    throw new BlueGreenError(
      `${label} is still not done after ${formatMs(waited * 1000)} (wait-timeout). The changes made so far are safe to leave: re-run with the same inputs to finish, or raise wait-timeout.`
    )
  }

  async function waitUntilDeployed(key: DistKey): Promise<void> {
    const d = dist(key)
    log.info(`Waiting for ${key} ${d.id} to be Deployed (up to ${formatMs(plan.waitTimeoutMs)})`)
    await inSlices(`${key} distribution ${d.id} (InProgress → Deployed)`, (t) =>
      waitDeployed(cf, d.id, t)
    )
    live[key] = { ...dist(key), status: 'Deployed' }
  }

  async function waitUntilInsync(changeId: string): Promise<void> {
    log.info(`Waiting for Route53 change ${changeId} to be INSYNC`)
    await inSlices(`Route53 change ${changeId} (PENDING → INSYNC)`, (t) =>
      waitInsync(ctx.clients.route53, changeId, t)
    )
  }

  async function upsertDns(
    zoneId: string,
    zoneName: string,
    records: WantedRecord[]
  ): Promise<void> {
    const wanted = records.map((r) => toAliasRecord(r))
    const cnames = discovery.records.filter(
      (r) => r.type === 'CNAME' && wanted.some((w) => w.name === r.name)
    )
    try {
      changeIds.push(
        await upsertAliasRecords(ctx.clients.route53, {
          zoneId,
          records: wanted,
          cnamesToReplace: cnames
        })
      )
    } catch (error) {
      if (plan.dnsFallback && isAccessDenied(error)) {
        throw new DnsWriteDenied(zoneName, errorName(error) ?? 'AccessDenied')
      }
      if (!isNamed(error, 'InvalidChangeBatch') || cnames.length === 0) throw error
      // The answer of a batch that went through was lost: its retry cannot delete the CNAMEs
      // again. If they are gone, the UPSERTs alone are idempotent and give a change to wait on.
      const left = await Promise.all(
        [...new Set(cnames.map((c) => c.name))].map((n) =>
          listRecords(ctx.clients.route53, zoneId, n)
        )
      )
      if (left.flat().some((r) => r.type === 'CNAME')) throw error
      changeIds.push(
        await upsertAliasRecords(ctx.clients.route53, {
          zoneId,
          records: wanted,
          cnamesToReplace: []
        })
      )
    }
    mutated()
    markDns(wanted, 'upserted')
  }

  function toAliasRecord(r: WantedRecord): AliasRecord {
    if (r.type === 'CNAME') throw new Error('internal: Route53 gets alias records, not CNAMEs')
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

  /** DeleteFunction (gone already is fine: a lost answer's retry finds nothing). */
  async function deleteEdgeFunction(): Promise<void> {
    try {
      await deleteFunction(ctx.clients.edgeLambda, functionName)
      mutated()
    } catch (error) {
      const text = errorMessage(error)
      report.warnings.push(
        `The Lambda@Edge function ${functionName} could not be deleted yet (${errorName(error) ?? 'error'}: ${text}). CloudFront keeps replicas for a few hours after the router is gone; re-run publish with cleanup: true later to delete it.`
      )
    }
  }
}
