import fc from 'fast-check'
import {
  decodeRolloutTags,
  encodeRolloutTags,
  isValidTag,
  ROLLOUT_TAGS,
  sameRollout,
  sanitizeTagValue,
  TAG_VALUE_MAX
} from '../../src/rollout/tags.js'
import type { RolloutState } from '../../src/rollout/types.js'

const state: RolloutState = {
  ramp: { steps: [10, 25, 50, 100], intervalMs: 24 * 3600_000 },
  pair: { blue: 'E2QWRUHAPOMQZL', green: 'E1ABCDEF123456' },
  step: 1,
  stepAt: new Date('2026-05-02T09:00:00.000Z'),
  startedAt: new Date('2026-05-01T09:00:00.000Z'),
  mark: undefined,
  run: { url: 'https://github.com/deep/site/actions/runs/123', actor: 'octocat' },
  deployment: 987654321
}

describe('rollout tags', () => {
  it('writes one readable tag per field, every key every time', () => {
    expect(encodeRolloutTags(state)).toEqual({
      'bluegreen:ramp': '10 25 50 100',
      'bluegreen:ramp-interval': '1d',
      'bluegreen:ramp-blue': 'E2QWRUHAPOMQZL',
      'bluegreen:ramp-green': 'E1ABCDEF123456',
      'bluegreen:ramp-step': '2',
      'bluegreen:ramp-step-at': '2026-05-02T09:00:00.000Z',
      'bluegreen:ramp-started-at': '2026-05-01T09:00:00.000Z',
      'bluegreen:ramp-mark': '',
      'bluegreen:ramp-mark-at': '',
      'bluegreen:ramp-mark-alarm': '',
      'bluegreen:ramp-run': 'https://github.com/deep/site/actions/runs/123',
      'bluegreen:ramp-actor': 'octocat',
      'bluegreen:ramp-deployment': '987654321'
    })
    expect(Object.keys(encodeRolloutTags(state)).sort()).toEqual(Object.values(ROLLOUT_TAGS).sort())
  })

  it('reads back what it wrote, beside the router tags of publish', () => {
    const tags = {
      'bluegreen:domain': 'www.deep.mg',
      'bluegreen:weights': '3:1',
      ...encodeRolloutTags(state)
    }
    expect(decodeRolloutTags(tags)).toEqual({ kind: 'ok', state })
  })

  it('keeps a mark and clears it with empty values (no UntagResource needed)', () => {
    const marked: RolloutState = {
      ...state,
      mark: { kind: 'rolled-back', at: new Date('2026-05-02T10:00:00.000Z'), alarm: 'www-5xx' }
    }
    const tags = encodeRolloutTags(marked)
    expect(decodeRolloutTags(tags)).toEqual({ kind: 'ok', state: marked })
    const cleared = { ...tags, ...encodeRolloutTags(state) }
    expect(decodeRolloutTags(cleared)).toEqual({ kind: 'ok', state })
  })

  it('has no rollout when the ramp tag is absent or empty', () => {
    expect(decodeRolloutTags({ 'bluegreen:domain': 'www.deep.mg' })).toEqual({ kind: 'none' })
    expect(decodeRolloutTags({ ...encodeRolloutTags(state), 'bluegreen:ramp': '' })).toEqual({
      kind: 'none'
    })
  })

  it.each([
    ['bluegreen:ramp-step', '7', 'must be a step number from 1 to 4'],
    ['bluegreen:ramp-step', 'two', 'must be a step number'],
    ['bluegreen:ramp-step-at', 'yesterday', 'is not a time'],
    ['bluegreen:ramp-interval', 'soon', 'must be a duration'],
    ['bluegreen:ramp', '10 50', 'ends at 50'],
    ['bluegreen:ramp-mark', 'paused', "must be empty, 'rolled-back', 'held' or 'stopped'"],
    ['bluegreen:ramp-deployment', 'abc', 'must be a GitHub deployment id'],
    ['bluegreen:ramp-blue', '', 'is missing']
  ])('names an edited tag it cannot read: %s = %j', (tag, value, error) => {
    const decoded = decodeRolloutTags({ ...encodeRolloutTags(state), [tag]: value })
    expect(decoded).toMatchObject({ kind: 'invalid', tag, value })
    if (decoded.kind === 'invalid') expect(decoded.error).toContain(error)
  })

  it('sanitises free text into CloudFront tag characters and length', () => {
    expect(sanitizeTagValue('dependabot[bot]')).toBe('dependabot_bot_')
    expect(sanitizeTagValue('5xx, p99 (www)')).toBe('5xx_ p99 _www_')
    expect(sanitizeTagValue('x'.repeat(300))).toHaveLength(TAG_VALUE_MAX)
  })

  it('never writes a tag CloudFront would refuse, and reads every state back (property)', () => {
    const date = fc.date({
      min: new Date('2020-01-01'),
      max: new Date('2100-01-01'),
      noInvalidDate: true
    })
    const arb = fc
      .record({
        steps: fc
          .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 19 })
          .map((s) => [...s.sort((a, b) => a - b), 100]),
        intervalS: fc.integer({ min: 1, max: 400 * 86_400 }),
        blue: fc.stringMatching(/^[A-Z0-9]{1,20}$/),
        green: fc.stringMatching(/^[A-Z0-9]{1,20}$/),
        stepSeed: fc.nat(),
        stepAt: date,
        startedAt: date,
        mark: fc.option(
          fc.record({
            kind: fc.constantFrom('rolled-back' as const, 'held' as const),
            at: date,
            alarm: fc.string({ maxLength: 300 })
          }),
          { nil: undefined }
        ),
        url: fc.option(fc.webUrl(), { nil: undefined }),
        actor: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        deployment: fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: undefined })
      })
      .map((r): RolloutState => ({
        ramp: { steps: r.steps, intervalMs: r.intervalS * 1000 },
        pair: { blue: r.blue, green: r.green },
        step: r.stepSeed % r.steps.length,
        stepAt: r.stepAt,
        startedAt: r.startedAt,
        mark: r.mark,
        run: { url: r.url, actor: r.actor },
        deployment: r.deployment
      }))
    fc.assert(
      fc.property(arb, (s) => {
        const tags = encodeRolloutTags(s)
        for (const [k, v] of Object.entries(tags)) expect(isValidTag(k, v)).toBe(true)
        const decoded = decodeRolloutTags(tags)
        expect(decoded.kind).toBe('ok')
        if (decoded.kind !== 'ok') return
        const clean = (t: string | undefined) =>
          t === undefined || t === '' ? undefined : sanitizeTagValue(t)
        expect(decoded.state).toEqual({
          ...s,
          mark:
            s.mark === undefined ? undefined : { ...s.mark, alarm: sanitizeTagValue(s.mark.alarm) },
          run: { url: clean(s.run.url), actor: clean(s.run.actor) }
        })
        expect(sameRollout(decoded.state, s)).toBe(true)
      }),
      { numRuns: 300 }
    )
  })
})
