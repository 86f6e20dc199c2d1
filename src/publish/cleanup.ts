/**
 * cleanup, pure: only from all-blue or all-green, only cleanup-min-age after the full switch
 * (read from the router's tags): disable the router, wait, delete it, delete the edge function.
 */
import { BlueGreenError } from '../errors.js'
import { routerTagsDescribe } from './tags.js'
import {
  type DistKey,
  type Observed,
  type PlanRequest,
  type PublishState,
  ROUTER_TAGS,
  type Step
} from './types.js'

export const CLEANUP_WARNING =
  'It is HIGHLY recommended to use cleanup only a couple of hours/days after ratio 0:1 (or 1:0) was executed, because it may create DNS lags or other unexpected behavior.'

export function cleanupSteps(
  observed: Observed,
  request: PlanRequest,
  state: PublishState,
  switching: boolean,
  ids: Record<DistKey, string>
): Step[] {
  const router = observed.router
  const steps: Step[] = []
  if (router !== undefined) {
    const at = routerTagsDescribe(observed, request, state)
      ? router.tags[ROUTER_TAGS.switchedAt]
      : undefined
    const since = switching ? request.now : at === undefined ? undefined : new Date(at)
    // No record (a run died before tagging): only a cleanup-min-age of 0 needs no time.
    const unknown = since === undefined || Number.isNaN(since.getTime())
    if (unknown && request.cleanupMinAgeMs > 0) {
      throw new BlueGreenError(
        `cleanup: router ${router.id} has no record of the full switch to ${state} (tag ${ROUTER_TAGS.switchedAt}). Run publish once without cleanup to record it, then again with cleanup after cleanup-min-age.`
      )
    }
    const age = unknown ? 0 : request.now.getTime() - since.getTime()
    if (!unknown && age < request.cleanupMinAgeMs) {
      const left = request.cleanupMinAgeMs - age
      throw new BlueGreenError(
        `cleanup refused: the full switch to ${state} was ${switching ? 'made by this run' : `at ${since.toISOString()}`}, ${formatMs(age)} ago; cleanup-min-age is ${formatMs(request.cleanupMinAgeMs)}, so ${formatMs(left)} are left. ${CLEANUP_WARNING} Re-run with cleanup after that, or lower cleanup-min-age.`
      )
    }
    if (router.enabled || switching) {
      steps.push({
        kind: 'router-disable',
        description: 'Router: disable (it holds no alias any more)',
        resource: ids.router
      })
    }
    if (router.enabled || switching || !router.deployed) {
      steps.push({
        kind: 'wait',
        dists: ['router'],
        description: `Wait until router ${ids.router} is Deployed (disabled)`,
        resource: ids.router
      })
    }
    steps.push({ kind: 'router-delete', description: 'Router: delete', resource: ids.router })
  }
  if (router !== undefined || observed.edgeFunctionExists) {
    steps.push({
      kind: 'edge-delete',
      description:
        'Lambda@Edge router: delete the function and its versions (best effort: replicas may keep it for hours; later runs retry)',
      resource: observed.edge?.functionName ?? 'edge function'
    })
  }
  return steps
}

export function formatMs(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return [
    h > 0 ? `${h}h` : '',
    m > 0 ? `${m}m` : '',
    h === 0 && (sec > 0 || m === 0) ? `${sec}s` : ''
  ]
    .filter(Boolean)
    .join('')
}
