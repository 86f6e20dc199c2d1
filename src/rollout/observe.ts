/**
 * What the router tells a ramp run, pure: the traffic in force between this run's blue and green
 * (as the last finished publish left it: the weights in the router's tags, or, without a router
 * for this pair, which side holds the domain), and the mark a publish outside the ramp leaves on
 * it. Both the cheap read of a ramp run and publish's full discover feed these functions, so a
 * ramp decides the same way whichever read it comes from.
 */
import { parseRatio, type Weights } from '../inputs.js'
import { ROUTER_TAGS } from '../publish/types.js'
import { ALL_BLUE } from './decide.js'
import { sameWeights } from './ramp.js'
import { decodeRolloutTags, encodeRolloutTags } from './tags.js'
import type { Pair, RunInfo } from './types.js'

/** The little a ramp run needs to know about the distributions. */
export interface RouterView {
  /** This run's blue and green distribution ids. */
  pair: Pair
  /** D and W. */
  domain: string
  wildcard: string
  blueAliases: string[]
  greenAliases: string[]
  router: { id: string; aliases: string[]; tags: Record<string, string> } | undefined
}

export type Traffic = { kind: 'known'; weights: Weights } | { kind: 'unknown'; reason: string }

const ALL_GREEN: Weights = { blue: 0, green: 1 }

/** The traffic between this run's blue and green now, as the last finished publish left it. */
export function trafficInForce(view: RouterView): Traffic {
  const { router, pair, domain, wildcard } = view
  const tags = router?.tags ?? {}
  if (
    router !== undefined &&
    tags[ROUTER_TAGS.blue] === pair.blue &&
    tags[ROUTER_TAGS.green] === pair.green
  ) {
    const weights = parseRatio(tags[ROUTER_TAGS.weights] ?? '')
    if (weights.ok) return { kind: 'known', weights: weights.value }
  }
  if (router?.aliases.includes(domain) === true) {
    return {
      kind: 'unknown',
      reason: `the router ${router.id} answers ${domain}, but its tags record no traffic between blue ${pair.blue} and green ${pair.green} (${ROUTER_TAGS.blue} = ${tags[ROUTER_TAGS.blue] ?? '(none)'}, ${ROUTER_TAGS.green} = ${tags[ROUTER_TAGS.green] ?? '(none)'}, ${ROUTER_TAGS.weights} = ${tags[ROUTER_TAGS.weights] ?? '(none)'})`
    }
  }
  // No router for this pair: the side that holds D (or W, which D falls under) serves it all.
  for (const name of [domain, wildcard]) {
    if (view.greenAliases.includes(name)) return { kind: 'known', weights: ALL_GREEN }
    if (view.blueAliases.includes(name)) return { kind: 'known', weights: ALL_BLUE }
  }
  // Neither serves D yet: nothing goes to green.
  return { kind: 'known', weights: ALL_BLUE }
}

/**
 * The rollout tags a publish outside a ramp writes with its own: when it changes the traffic (or
 * the pair) that the router records while a ramp is recorded there, the ramp is marked stopped,
 * so that the next scheduled ramp run leaves it alone (and says so) instead of failing every
 * hour; ramp-restart continues it from the new traffic. Undefined: nothing to mark.
 */
export function stoppedRampTags(
  routerTags: Record<string, string>,
  change: { pair: Pair; weights: Weights; now: Date; run: RunInfo }
): Record<string, string> | undefined {
  const stored = decodeRolloutTags(routerTags)
  if (stored.kind !== 'ok' || stored.state.mark?.kind === 'stopped') return undefined
  const before = parseRatio(routerTags[ROUTER_TAGS.weights] ?? '')
  const unchanged =
    routerTags[ROUTER_TAGS.blue] === change.pair.blue &&
    routerTags[ROUTER_TAGS.green] === change.pair.green &&
    before.ok &&
    sameWeights(before.value, change.weights)
  if (unchanged) return undefined
  return encodeRolloutTags({
    ...stored.state,
    mark: { kind: 'stopped', at: change.now, alarm: '' },
    run: change.run
  })
}
