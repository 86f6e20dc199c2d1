/**
 * The publish planner, pure: observed state + request → ordered steps with wait barriers. It
 * composes the concerns: preflight (preflight.ts), the safe order of alias moves (search.ts),
 * the edge function's rows, DNS placement (dns.ts), the router's tags (tags.ts) and cleanup
 * (cleanup.ts). Every run plans from what it observes, so a run that died halfway is finished by
 * the next; every AWS change is one step, so the dry run shows all of them.
 */
import { BlueGreenError } from '../errors.js'
import { formatRatio } from '../inputs.js'
import { ROLLOUT_TAGS } from '../rollout/tags.js'
import { CLEANUP_WARNING, cleanupSteps } from './cleanup.js'
import { placeDns, wantedRecords } from './dns.js'
import { preflight } from './preflight.js'
import {
  type Abs,
  applyMove,
  managedOf,
  type Move,
  planAliases,
  servingOf,
  sorted
} from './search.js'
import { routerCarries, routerTags, routerTagsDescribe } from './tags.js'
import {
  type DistKey,
  NEW_ROUTER,
  type Observed,
  type Plan,
  type PlanRequest,
  ROUTER_COMMENT_PREFIX,
  type RouterMode,
  stateOf,
  type Step,
  type TargetRouterMode
} from './types.js'

export { CLEANUP_WARNING, formatMs } from './cleanup.js'
export { wantedRecords } from './dns.js'
export { wildcardHeldMessage } from './preflight.js'
export { ROUTER_TAGS, stateOf } from './types.js'
// The vocabulary lives in types.ts; these keep imports of it through plan.js working.
export type {
  DistFacts,
  DistKey,
  Names,
  Observed,
  Plan,
  PlanRequest,
  RouterFacts,
  RouterMode,
  Step,
  WantedRecord
} from './types.js'

/** Plans publish. Throws BlueGreenError (before anything is changed) on a failed preflight. */
export function plan(observed: Observed, request: PlanRequest): Plan {
  const { names } = observed
  const state = stateOf(request.weights)
  const managed = managedOf(names)
  const warnings: string[] = []
  const ids: Record<DistKey, string> = {
    blue: observed.blue.id,
    green: observed.green.id,
    router: observed.router?.id ?? NEW_ROUTER
  }
  const recordsFirst = needsRecordsFirst(observed, state)

  preflight(observed, request, state, recordsFirst)

  const aliases = planAliases(observed, state, recordsFirst)
  const { start, path } = aliases
  if (path === undefined) {
    throw new BlueGreenError(
      `No safe order of changes leads from the current aliases (blue ${ids.blue}: ${start.blue.join(', ') || 'none'}; green ${ids.green}: ${start.green.join(', ') || 'none'}; router: ${start.router?.aliases.join(', ') ?? 'none'}) to ${state} without leaving a hostname unserved. Check that both distributions are enabled and that their certificates cover ${names.wildcard}.`
    )
  }

  let steps: Step[] = []
  let current = start
  // A change still InProgress (of a run that died, or someone else's) may reach an edge after
  // ours: let it finish before planning on top of it.
  const unsettled = (['blue', 'green', 'router'] as const).filter((d) =>
    d === 'router'
      ? observed.router !== undefined && !observed.router.deployed
      : !observed[d].deployed
  )
  if (path.length > 0 && unsettled.length > 0) {
    steps.push({
      kind: 'wait',
      dists: unsettled,
      description: `Wait until ${unsettled.map((d) => `${d} ${ids[d]}`).join(' and ')} finish${unsettled.length > 1 ? '' : 'es'} an earlier change (Deployed)`,
      resource: unsettled.map((d) => ids[d]).join(', ')
    })
  }
  const groups = 'groups' in aliases ? aliases.groups : []
  groups.forEach((group, gi) => {
    for (const move of group) {
      steps.push(...stepsOf(move, current, { observed, request, ids, managed, done: steps }))
      current = applyMove(current, move)
    }
    const last = gi === groups.length - 1
    if (!last || request.wait) {
      const dists = [...new Set(group.map((m) => m.dist))]
      steps.push({
        kind: 'wait',
        dists,
        description: `Wait until ${dists.map((d) => `${d} ${ids[d]}`).join(' and ')} ${dists.length > 1 ? 'are' : 'is'} Deployed`,
        resource: dists.map((d) => ids[d]).join(', ')
      })
    }
  })

  const records = wantedRecords(observed, state, recordsFirst)
  steps = placeDns(observed, state, records, steps)

  // Router tags: the run's record of weights, sides, and the time of the last full switch
  // (a created router gets them at creation). Tags that do not describe the target (a run died
  // between its last change and its TagResource) are rewritten; the switch time is then "now",
  // later than the real switch, so cleanup-min-age errs on the safe side.
  const router = observed.router
  const changedCloudFront = steps.some((s) => s.kind === 'update' || s.kind === 'router-update')
  const tagsCurrent = routerTagsDescribe(observed, request, state)
  const switched = state !== 'split' && (path.length > 0 || !tagsCurrent)
  // The rollout's record rides in the same TagResource. A router this run creates gets the
  // router's tags at creation and the record only at the end, once everything else is done.
  const rollout = request.rolloutTags ?? {}
  const withRollout = Object.keys(rollout).length > 0
  const created = steps.some((s) => s.kind === 'router-create')
  if (
    (router !== undefined || (created && withRollout)) &&
    !request.cleanup &&
    !recordsFirst &&
    (changedCloudFront || !tagsCurrent || !routerCarries(observed, rollout))
  ) {
    steps.push({
      kind: 'router-tags',
      tags: { ...routerTags(observed, request, switched), ...rollout },
      description: `Router: record ${formatRatio(request.weights)}${switched ? ' and the time of the full switch' : ''}${withRollout ? ` and the ramp's state (${rolloutText(rollout)})` : ''} in its tags`,
      resource: ids.router
    })
  }
  const first = request.rolloutFirst ?? {}
  if (
    router !== undefined &&
    Object.keys(first).length > 0 &&
    !routerCarries(observed, first) &&
    steps.some((s) => s.kind !== 'router-tags' && s.kind !== 'wait')
  ) {
    steps.unshift({
      kind: 'router-tags',
      tags: first,
      description: `Router: record the ramp's state (${rolloutText(first)}) before changing anything, so that a run that dies halfway leaves it so`,
      resource: ids.router
    })
  }

  if (request.cleanup) {
    steps.push(...cleanupSteps(observed, request, state, path.length > 0, ids))
    warnings.push(CLEANUP_WARNING)
    if (observed.dnsMode === 'manual' && observed.router !== undefined) {
      warnings.push(
        `DNS is manual: make sure no record still points at the router's domain ${observed.router.domainName}; cleanup deletes that distribution.`
      )
    }
  }
  if (recordsFirst) {
    warnings.push(recordsFirstWarning(observed))
  } else if (observed.dnsMode === 'manual') {
    warnings.push(
      `DNS is manual: create the records listed under DNS (alias or CNAME to the CloudFront domain) in your DNS provider.`
    )
  }
  if (state === 'split' && observed.dnsMode === 'manual' && !recordsFirst) {
    for (const r of observed.resolution ?? []) {
      if (!r.resolves) {
        warnings.push(
          `${r.host} does not resolve to CloudFront (${r.detail}), but the router already sends viewers there: create its record now.`
        )
      }
    }
  }
  return {
    state,
    steps,
    records,
    dnsMode: observed.dnsMode,
    phase: recordsFirst ? 'records-first' : 'complete',
    warnings,
    router: {
      comment: `${ROUTER_COMMENT_PREFIX} ${names.domain}`,
      callerReference:
        observed.router === undefined
          ? `${ROUTER_COMMENT_PREFIX}-${names.domain}-${request.now.getTime()}`
          : `${ROUTER_COMMENT_PREFIX}-${names.domain}`
    },
    edgeVersionArn: observed.edge?.desiredVersionArn,
    dnsFallback: request.dns === 'auto',
    waitTimeoutMs: request.waitTimeoutMs,
    serving: { before: servingOf(observed), after: aliases.target.colours }
  }
}

/** `step 2 rolled-back`: the rollout tags in a plan row's words. */
function rolloutText(tags: Record<string, string>): string {
  const step = tags[ROLLOUT_TAGS.step] ?? '?'
  const mark = tags[ROLLOUT_TAGS.mark] ?? ''
  const ramp = (tags[ROLLOUT_TAGS.ramp] ?? '?').replace(/ /g, ',')
  return `step ${step} of ${ramp}${mark === '' ? '' : `, ${mark}`}`
}

/**
 * Manual DNS and a split asked for: the router may take D with its edge function on only once
 * B1 and G2 resolve. Until then (phase 1) only the router-free changes are made. A router that
 * already answers D keeps doing so (its records were made in an earlier phase).
 */
function needsRecordsFirst(observed: Observed, state: ReturnType<typeof stateOf>): boolean {
  if (state !== 'split' || observed.dnsMode !== 'manual') return false
  const r = observed.router
  const routing =
    r !== undefined &&
    r.enabled &&
    r.aliases.includes(observed.names.domain) &&
    (r.mode === 'edge' || r.mode === 'edge-stale')
  if (routing) return false
  const resolution = observed.resolution ?? []
  return [observed.names.blueHost, observed.names.greenHost].some(
    (h) => !resolution.some((x) => x.host === h && x.resolves)
  )
}

function recordsFirstWarning(observed: Observed): string {
  const { names } = observed
  const missing = [names.blueHost, names.greenHost].map((h) => {
    const r = observed.resolution?.find((x) => x.host === h)
    return `${h}: ${r === undefined ? 'not checked' : r.resolves ? 'resolves' : r.detail}`
  })
  return `DNS is manual and the router can only take ${names.domain} once ${names.blueHost} and ${names.greenHost} resolve (${missing.join('; ')}). Create the records listed under DNS at your DNS provider, then re-run this publish with the same inputs: it checks them and then puts the router in front of ${names.domain}. ${names.domain} stays served by the current environment meanwhile.`
}

interface StepContext {
  observed: Observed
  request: PlanRequest
  ids: Record<DistKey, string>
  managed: string[]
  /** Steps planned so far (one edge version serves the whole run). */
  done: Step[]
}

const MODE_TEXT: Record<RouterMode, string> = {
  edge: 'edge function on (302 by ratio), falls back to blue',
  'edge-stale': 'edge function (older version)',
  'pass-blue': 'edge function off, pass-through to blue',
  'pass-green': 'edge function off, pass-through to green',
  other: 'unknown configuration'
}

function describeAliases(before: string[], after: string[]): string {
  const add = after.filter((a) => !before.includes(a))
  const drop = before.filter((a) => !after.includes(a))
  const parts = [
    add.length > 0 ? `add ${add.join(', ')}` : '',
    drop.length > 0 ? `drop ${drop.join(', ')}` : ''
  ].filter(Boolean)
  return parts.length > 0 ? parts.join(', ') : 'aliases unchanged'
}

/** The step(s) of one move: a distribution update, or a router change (after its edge rows). */
function stepsOf(move: Move, current: Abs, c: StepContext): Step[] {
  if (move.dist !== 'router') {
    const facts = c.observed[move.dist]
    const unmanaged = facts.aliases.filter((a) => !c.managed.includes(a))
    const next = move.next[move.dist]
    return [
      {
        kind: 'update',
        dist: move.dist,
        aliases: sorted([...unmanaged, ...next]),
        description: `${move.dist === 'blue' ? 'Blue' : 'Green'} distribution: ${describeAliases(current[move.dist], next)}`,
        resource: facts.id
      }
    ]
  }
  const r = move.next.router
  if (r === undefined) return []
  const out: Step[] = []
  const modeChange = current.router === undefined || current.router.mode !== r.mode
  const mode: TargetRouterMode | 'keep' =
    r.mode === 'edge' || r.mode === 'pass-blue' || r.mode === 'pass-green'
      ? modeChange
        ? r.mode
        : 'keep'
      : 'keep'
  if (mode === 'edge' && !c.done.some((s) => s.kind === 'edge-version')) {
    out.push(...edgeSteps(c.observed, c.request))
  }
  const what = mode === 'keep' ? 'mode unchanged' : MODE_TEXT[mode]
  if (move.create) {
    out.push({
      kind: 'router-create',
      aliases: r.aliases,
      mode: mode === 'keep' ? 'edge' : mode,
      tags: routerTags(c.observed, c.request, false),
      description: `Router: create holding ${r.aliases.join(', ') || 'no alias'}; ${what}`,
      resource: c.ids.router
    })
  } else {
    out.push({
      kind: 'router-update',
      enabled: r.enabled,
      aliases: r.aliases,
      mode,
      description: `Router: ${describeAliases(current.router?.aliases ?? [], r.aliases)}; ${what}`,
      resource: c.ids.router
    })
  }
  return out
}

/**
 * The edge function's rows, each one AWS change: the role (and its logging policy), the
 * function, its runtime, its code, and the version. None when a version already carries the
 * package (a re-run, or a ratio the router ran before).
 */
function edgeSteps(observed: Observed, request: PlanRequest): Step[] {
  const edge = observed.edge
  const desired = request.desiredEdge
  if (edge === undefined || desired === undefined) {
    throw new Error('internal: the edge function was not read, or no package was built')
  }
  if (edge.desiredVersionArn !== undefined) return []
  const out: Step[] = []
  const fn = edge.fn
  if (fn === undefined && edge.roleArn === undefined) {
    out.push({
      kind: 'edge-role',
      description: `IAM: create the role ${edge.roleName}, trusted by lambda.amazonaws.com and edgelambda.amazonaws.com`,
      resource: edge.roleName
    })
  }
  if (fn === undefined && !edge.rolePolicyAttached) {
    out.push({
      kind: 'edge-role-policy',
      description: `IAM: attach AWSLambdaBasicExecutionRole (logs) to ${edge.roleName}`,
      resource: edge.roleName
    })
  }
  if (fn === undefined) {
    out.push({
      kind: 'edge-function',
      description: `Lambda@Edge router: create the function (us-east-1, ${desired.runtime}, 128 MB, 5 s) with the code for ${formatRatio(request.weights)}`,
      resource: edge.functionName
    })
  } else {
    if (fn.runtime !== desired.runtime) {
      out.push({
        kind: 'edge-runtime',
        description: `Lambda@Edge router: move the function from ${fn.runtime || 'an unknown runtime'} to ${desired.runtime}`,
        resource: edge.functionName
      })
    }
    if (fn.codeSha256 !== desired.sha256) {
      out.push({
        kind: 'edge-code',
        description: `Lambda@Edge router: update the code to ${formatRatio(request.weights)}`,
        resource: edge.functionName
      })
    }
  }
  out.push({
    kind: 'edge-version',
    description: `Lambda@Edge router: publish a version for ${formatRatio(request.weights)}`,
    resource: edge.functionName
  })
  return out
}
