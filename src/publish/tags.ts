/**
 * The router's tags, pure: what they must say for a target (domain, sides, weights, the time of
 * the last full switch, the run), and whether they already say it.
 */
import { formatRatio } from '../inputs.js'
import { sanitizeTagValue } from '../rollout/tags.js'
import { type Observed, type PlanRequest, type PublishState, ROUTER_TAGS } from './types.js'

export function routerTags(
  observed: Observed,
  request: PlanRequest,
  switched: boolean
): Record<string, string> {
  const now = request.now.toISOString()
  return {
    [ROUTER_TAGS.domain]: observed.names.domain,
    [ROUTER_TAGS.blue]: observed.blue.id,
    [ROUTER_TAGS.green]: observed.green.id,
    [ROUTER_TAGS.weights]: formatRatio(request.weights),
    [ROUTER_TAGS.updatedAt]: now,
    ...(switched ? { [ROUTER_TAGS.switchedAt]: now } : {}),
    ...(request.runUrl === undefined ? {} : { [ROUTER_TAGS.runUrl]: request.runUrl.slice(0, 256) }),
    ...(request.actor === undefined ? {} : { [ROUTER_TAGS.actor]: sanitizeTagValue(request.actor) })
  }
}

/** Does the router already carry every one of these tags with these values? */
export function routerCarries(observed: Observed, tags: Record<string, string>): boolean {
  const t = observed.router?.tags
  return t !== undefined && Object.entries(tags).every(([k, v]) => t[k] === v)
}

/** Do the router's tags record this target (weights, sides, and for all-X the switch time)? */
export function routerTagsDescribe(
  observed: Observed,
  request: PlanRequest,
  state: PublishState
): boolean {
  const t = observed.router?.tags
  if (t === undefined) return false
  return (
    t[ROUTER_TAGS.weights] === formatRatio(request.weights) &&
    t[ROUTER_TAGS.blue] === observed.blue.id &&
    t[ROUTER_TAGS.green] === observed.green.id &&
    (state === 'split' || t[ROUTER_TAGS.switchedAt] !== undefined)
  )
}
