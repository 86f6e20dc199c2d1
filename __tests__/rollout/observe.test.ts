/**
 * What a ramp run reads from the router, pure: the traffic in force between this run's blue and
 * green, and the stop mark a publish outside the ramp leaves.
 */
import { encodeRolloutTags, ROLLOUT_TAGS } from '../../src/rollout/tags.js'
import { type RouterView, stoppedRampTags, trafficInForce } from '../../src/rollout/observe.js'
import type { RolloutState } from '../../src/rollout/types.js'

const D = 'www.deep.mg'
const W = '*.deep.mg'
const pair = { blue: 'EBLUE', green: 'EGREEN' }
const routerTags = (blue: string, green: string, weights: string) => ({
  'bluegreen:domain': D,
  'bluegreen:blue': blue,
  'bluegreen:green': green,
  'bluegreen:weights': weights
})
const view = (over: Partial<RouterView>): RouterView => ({
  pair,
  domain: D,
  wildcard: W,
  blueAliases: [],
  greenAliases: [],
  router: undefined,
  ...over
})

describe('the traffic in force', () => {
  it('is the weights the router records for this blue and green', () => {
    const v = view({
      blueAliases: [W],
      router: { id: 'EROUTER', aliases: [D], tags: routerTags('EBLUE', 'EGREEN', '3:1') }
    })
    expect(trafficInForce(v)).toEqual({ kind: 'known', weights: { blue: 3, green: 1 } })
  })

  it('without a router: all green when green holds D (or W), all blue when blue does', () => {
    expect(trafficInForce(view({ greenAliases: [D, W] }))).toMatchObject({
      weights: { blue: 0, green: 1 }
    })
    expect(trafficInForce(view({ blueAliases: [W] }))).toMatchObject({
      weights: { blue: 1, green: 0 }
    })
    expect(trafficInForce(view({}))).toMatchObject({ weights: { blue: 1, green: 0 } })
  })

  it('a router of another pair that is off D: who holds D tells', () => {
    const v = view({
      greenAliases: [D, W],
      router: { id: 'EROUTER', aliases: [], tags: routerTags('EOLD', 'EBLUE', '0:1') }
    })
    expect(trafficInForce(v)).toMatchObject({ weights: { blue: 0, green: 1 } })
  })

  it('is unknown while a router answers D for another pair', () => {
    const v = view({
      router: { id: 'EROUTER', aliases: [D], tags: routerTags('EOLD', 'EBLUE', '1:1') }
    })
    const t = trafficInForce(v)
    expect(t.kind).toBe('unknown')
    if (t.kind === 'unknown') expect(t.reason).toContain('bluegreen:blue = EOLD')
  })
})

describe('a publish outside a ramp', () => {
  const state: RolloutState = {
    ramp: { steps: [10, 25, 50, 100], intervalMs: 86_400_000 },
    pair,
    step: 1,
    stepAt: new Date('2026-05-02T09:00:00.000Z'),
    startedAt: new Date('2026-05-01T09:00:00.000Z'),
    mark: undefined,
    run: { url: 'https://github.com/deep/site/actions/runs/1', actor: 'cron' },
    deployment: 7
  }
  const tags = { ...routerTags('EBLUE', 'EGREEN', '3:1'), ...encodeRolloutTags(state) }
  const change = (weights: { blue: number; green: number }, p = pair) => ({
    pair: p,
    weights,
    now: new Date('2026-05-02T12:00:00.000Z'),
    run: { url: 'https://github.com/deep/site/actions/runs/2', actor: 'alice' }
  })

  it('that changes the traffic marks the ramp stopped, naming its run and actor', () => {
    const out = stoppedRampTags(tags, change({ blue: 1, green: 0 }))
    expect(out).toMatchObject({
      [ROLLOUT_TAGS.mark]: 'stopped',
      [ROLLOUT_TAGS.markAt]: '2026-05-02T12:00:00.000Z',
      [ROLLOUT_TAGS.actor]: 'alice',
      [ROLLOUT_TAGS.step]: '2',
      [ROLLOUT_TAGS.deployment]: '7'
    })
  })

  it('that keeps the traffic (6:2 is 3:1) leaves it alone', () => {
    expect(stoppedRampTags(tags, change({ blue: 3, green: 1 }))).toBeUndefined()
  })

  it('that moves the router to another pair stops it too', () => {
    expect(
      stoppedRampTags(tags, change({ blue: 3, green: 1 }, { blue: 'EGREEN', green: 'ENEW' }))
    ).toMatchObject({ [ROLLOUT_TAGS.mark]: 'stopped' })
  })

  it('leaves a stopped ramp, unreadable tags and a router without a ramp alone', () => {
    const stopped = stoppedRampTags(tags, change({ blue: 1, green: 0 })) ?? {}
    expect(stoppedRampTags({ ...tags, ...stopped }, change({ blue: 1, green: 1 }))).toBeUndefined()
    expect(
      stoppedRampTags({ ...tags, [ROLLOUT_TAGS.step]: 'x' }, change({ blue: 1, green: 0 }))
    ).toBeUndefined()
    expect(
      stoppedRampTags(routerTags('EBLUE', 'EGREEN', '3:1'), change({ blue: 1, green: 0 }))
    ).toBeUndefined()
  })
})
