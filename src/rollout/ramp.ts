/**
 * Ramps: parse `ramp: 10,25,50,100`, and the arithmetic between green percentages and exact
 * weights. Pure; imports only types (src/inputs.ts imports this module).
 */
import type { Weights } from '../inputs.js'

/** Most steps a ramp may have: the whole ramp must fit in one router tag (256 characters). */
export const MAX_RAMP_STEPS = 20

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string }

/**
 * Parses green percentages separated by commas or spaces (`10,25,50,100`, `50, 25, 0`): whole
 * numbers 0-100, strictly increasing to 100 (a rollout) or strictly decreasing to 0 (a ramp back).
 */
export function parseRampSteps(raw: string): Parsed<number[]> {
  const parts = raw
    .trim()
    .split(/[\s,]+/)
    .filter((p) => p !== '')
  if (parts.length === 0)
    return { ok: false, error: 'lists no step; give green percents such as 10,25,50,100' }
  const steps: number[] = []
  for (const part of parts) {
    const p = part.endsWith('%') ? part.slice(0, -1) : part
    if (!/^\d{1,3}$/.test(p) || Number(p) > 100) {
      return {
        ok: false,
        error: `'${part}' is not a green percent: whole numbers 0 to 100, such as 10,25,50,100`
      }
    }
    steps.push(Number(p))
  }
  if (steps.length > MAX_RAMP_STEPS) {
    return { ok: false, error: `has ${steps.length} steps; a ramp has at most ${MAX_RAMP_STEPS}` }
  }
  if (steps.length === 1 && steps[0] !== 0 && steps[0] !== 100) {
    return {
      ok: false,
      error: `is one step at ${steps[0]}; a ramp ends at 100 (or 0): use ratio for a fixed split`
    }
  }
  const up = steps.length === 1 ? steps[0] === 100 : (steps[1] ?? 0) > (steps[0] ?? 0)
  for (let i = 1; i < steps.length; i++) {
    const [a, b] = [steps[i - 1] ?? 0, steps[i] ?? 0]
    if (a === b) return { ok: false, error: `repeats ${a}; every step must move traffic` }
    if (up !== b > a) {
      return {
        ok: false,
        error: `goes ${up ? 'up' : 'down'} and then ${up ? 'down' : 'up'} (${a} then ${b}); a ramp moves one way: 10,25,50,100 to green, or 50,25,0 back to blue`
      }
    }
  }
  const last = steps[steps.length - 1]
  if (up && last !== 100) {
    return {
      ok: false,
      error: `ends at ${last}; a ramp to green ends at 100 (add 100, or publish a ratio instead)`
    }
  }
  if (!up && last !== 0) {
    return { ok: false, error: `ends at ${last}; a ramp back to blue ends at 0` }
  }
  return { ok: true, value: steps }
}

/** True when the ramp moves traffic towards green. */
export function rampsUp(steps: number[]): boolean {
  return steps[steps.length - 1] === 100
}

/** The ramp as written in tags and messages: `10,25,50,100`. */
export function formatSteps(steps: number[]): string {
  return steps.join(',')
}

/** Exact weights of a green percent: 25 → 3:1, 100 → 0:1. */
export function percentWeights(greenPercent: number): Weights {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))
  const blue = 100 - greenPercent
  const d = gcd(blue, greenPercent)
  return { blue: blue / d, green: greenPercent / d }
}

/** Do two weights send the same share to green (3:1 and 6:2)? */
export function sameWeights(a: Weights, b: Weights): boolean {
  return a.blue * b.green === a.green * b.blue
}

/** Compares the green share of `w` with `percent`: −1 below, 0 equal, 1 above (exact). */
export function compareGreen(w: Weights, percent: number): -1 | 0 | 1 {
  const lhs = 100 * w.green
  const rhs = percent * (w.blue + w.green)
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0
}

/** `90m` → `1h30m`; the canonical form parseDuration reads back (0 is `0s`). */
export function formatDuration(ms: number): string {
  let s = Math.round(ms / 1000)
  if (s === 0) return '0s'
  const out: string[] = []
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1]
  ] as const) {
    if (s >= size) {
      out.push(`${Math.floor(s / size)}${unit}`)
      s %= size
    }
  }
  return out.join('')
}
