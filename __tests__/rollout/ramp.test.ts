import {
  compareGreen,
  formatDuration,
  parseRampSteps,
  percentWeights,
  rampsUp
} from '../../src/rollout/ramp.js'
import { parseDuration } from '../../src/inputs.js'

describe('parseRampSteps', () => {
  it.each([
    ['10,25,50,100', [10, 25, 50, 100]],
    ['10 25 50 100', [10, 25, 50, 100]],
    [' 5%, 100% ', [5, 100]],
    ['100', [100]],
    ['50,25,0', [50, 25, 0]],
    ['0,100', [0, 100]]
  ])('reads %s', (raw, steps) => {
    expect(parseRampSteps(raw)).toEqual({ ok: true, value: steps })
  })

  it.each([
    ['', 'lists no step'],
    ['10,x,100', "'x' is not a green percent"],
    ['10,101', "'101' is not a green percent"],
    ['10,-5,100', "'-5' is not a green percent"],
    ['10,50', 'ends at 50; a ramp to green ends at 100'],
    ['50,10', 'ends at 10; a ramp back to blue ends at 0'],
    ['10,50,25,100', 'goes up and then down (50 then 25)'],
    ['25,25,100', 'repeats 25'],
    ['60', 'is one step at 60']
  ])('refuses %j: %s', (raw, message) => {
    const r = parseRampSteps(raw)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toContain(message)
  })

  it('knows the direction', () => {
    expect(rampsUp([10, 100])).toBe(true)
    expect(rampsUp([50, 0])).toBe(false)
  })
})

describe('percent arithmetic is exact', () => {
  it('turns percents into reduced weights', () => {
    expect(percentWeights(25)).toEqual({ blue: 3, green: 1 })
    expect(percentWeights(10)).toEqual({ blue: 9, green: 1 })
    expect(percentWeights(100)).toEqual({ blue: 0, green: 1 })
    expect(percentWeights(0)).toEqual({ blue: 1, green: 0 })
    expect(percentWeights(33)).toEqual({ blue: 67, green: 33 })
  })

  it('compares a ratio with a percent without rounding (2:9 is 18.18 %, not 18)', () => {
    expect(compareGreen({ blue: 9, green: 2 }, 18)).toBe(1)
    expect(compareGreen({ blue: 9, green: 2 }, 19)).toBe(-1)
    expect(compareGreen({ blue: 3, green: 1 }, 25)).toBe(0)
    expect(compareGreen({ blue: 1, green: 0 }, 0)).toBe(0)
  })
})

describe('formatDuration', () => {
  it.each([
    [24 * 3600_000, '1d'],
    [6 * 3600_000, '6h'],
    [90 * 60_000, '1h30m'],
    [45_000, '45s'],
    [0, '0s'],
    [(26 * 3600 + 61) * 1000, '1d2h1m1s']
  ])('%d ms is %s, and parseDuration reads it back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDuration(text)).toEqual({ ok: true, value: ms })
  })
})
