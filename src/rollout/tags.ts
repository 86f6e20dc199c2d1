/**
 * The rollout state on the router distribution's tags, one tag per field so that an operator can
 * read it in the CloudFront console. CloudFront's rules for tags (API reference, Tag): keys 1-128
 * and values 0-256 characters of letters, digits, space and `_ . : / = + - @`; at most 50 tags on
 * a distribution. Every key below is always written (an empty value for an absent field), so one
 * TagResource call replaces the whole state and no UntagResource is needed.
 */
import { parseDuration } from '../inputs.js'
import { formatDuration, parseRampSteps } from './ramp.js'
import type { RolloutMark, RolloutState, StoredRollout } from './types.js'

export const ROLLOUT_TAGS = {
  ramp: 'bluegreen:ramp',
  interval: 'bluegreen:ramp-interval',
  blue: 'bluegreen:ramp-blue',
  green: 'bluegreen:ramp-green',
  step: 'bluegreen:ramp-step',
  stepAt: 'bluegreen:ramp-step-at',
  startedAt: 'bluegreen:ramp-started-at',
  mark: 'bluegreen:ramp-mark',
  markAt: 'bluegreen:ramp-mark-at',
  markAlarm: 'bluegreen:ramp-mark-alarm',
  run: 'bluegreen:ramp-run',
  actor: 'bluegreen:ramp-actor',
  deployment: 'bluegreen:ramp-deployment'
} as const

export const TAG_KEY_MAX = 128
export const TAG_VALUE_MAX = 256
/** The characters CloudFront's documentation lists for tag keys and values. */
const TAG_CHARS = /^[A-Za-z0-9 _.:/=+\-@]*$/
const TAG_CHAR = /[A-Za-z0-9 _.:/=+\-@]/
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** A valid tag value for free text (alarm names, actors, URLs): other characters become `_`. */
export function sanitizeTagValue(text: string): string {
  return Array.from(text, (c) => (TAG_CHAR.test(c) ? c : '_'))
    .join('')
    .slice(0, TAG_VALUE_MAX)
}

/** Is this a tag CloudFront accepts? (Used by the encoder and its tests.) */
export function isValidTag(key: string, value: string): boolean {
  return (
    key.length >= 1 &&
    key.length <= TAG_KEY_MAX &&
    TAG_CHARS.test(key) &&
    !key.startsWith('aws:') &&
    value.length <= TAG_VALUE_MAX &&
    TAG_CHARS.test(value)
  )
}

/** The tags that record `state`: every key of ROLLOUT_TAGS, each within CloudFront's rules. */
export function encodeRolloutTags(state: RolloutState): Record<string, string> {
  const tags: Record<string, string> = {
    [ROLLOUT_TAGS.ramp]: state.ramp.steps.join(' '),
    [ROLLOUT_TAGS.interval]: formatDuration(state.ramp.intervalMs),
    [ROLLOUT_TAGS.blue]: state.pair.blue,
    [ROLLOUT_TAGS.green]: state.pair.green,
    [ROLLOUT_TAGS.step]: String(state.step + 1),
    [ROLLOUT_TAGS.stepAt]: state.stepAt.toISOString(),
    [ROLLOUT_TAGS.startedAt]: state.startedAt.toISOString(),
    [ROLLOUT_TAGS.mark]: state.mark?.kind ?? '',
    [ROLLOUT_TAGS.markAt]: state.mark?.at.toISOString() ?? '',
    [ROLLOUT_TAGS.markAlarm]: state.mark === undefined ? '' : sanitizeTagValue(state.mark.alarm),
    [ROLLOUT_TAGS.run]: sanitizeTagValue(state.run.url ?? ''),
    [ROLLOUT_TAGS.actor]: sanitizeTagValue(state.run.actor ?? ''),
    [ROLLOUT_TAGS.deployment]: state.deployment === undefined ? '' : String(state.deployment)
  }
  for (const [key, value] of Object.entries(tags)) {
    if (!isValidTag(key, value)) {
      // Distribution ids come from AWS and fit; anything else would be a bug in this module.
      throw new Error(
        `internal: rollout tag ${key}=${JSON.stringify(value)} breaks CloudFront's tag rules`
      )
    }
  }
  return tags
}

class Unreadable extends Error {
  constructor(
    readonly tag: string,
    readonly value: string,
    readonly why: string
  ) {
    super(why)
  }
}

/** Reads the rollout state back from a distribution's tags (all of them; others are ignored). */
export function decodeRolloutTags(tags: Record<string, string>): StoredRollout {
  const rampValue = tags[ROLLOUT_TAGS.ramp]
  if (rampValue === undefined || rampValue.trim() === '') return { kind: 'none' }
  try {
    return { kind: 'ok', state: readState(tags) }
  } catch (error) {
    if (error instanceof Unreadable) {
      return { kind: 'invalid', tag: error.tag, value: error.value, error: error.why }
    }
    throw error
  }
}

function readState(tags: Record<string, string>): RolloutState {
  const get = (key: string): string => tags[key] ?? ''
  const required = (key: string): string => {
    const value = get(key)
    if (value === '') throw new Unreadable(key, value, 'is missing')
    return value
  }
  const date = (key: string): Date => {
    const value = required(key)
    const d = new Date(value)
    if (!ISO.test(value) || Number.isNaN(d.getTime())) {
      throw new Unreadable(key, value, 'is not a time such as 2026-05-01T09:00:00.000Z')
    }
    return d
  }

  const steps = parseRampSteps(get(ROLLOUT_TAGS.ramp))
  if (!steps.ok) throw new Unreadable(ROLLOUT_TAGS.ramp, get(ROLLOUT_TAGS.ramp), steps.error)
  const interval = parseDuration(required(ROLLOUT_TAGS.interval))
  if (!interval.ok)
    throw new Unreadable(ROLLOUT_TAGS.interval, get(ROLLOUT_TAGS.interval), interval.error)

  const stepText = required(ROLLOUT_TAGS.step)
  const step = Number(stepText)
  if (!/^\d{1,2}$/.test(stepText) || step < 1 || step > steps.value.length) {
    throw new Unreadable(
      ROLLOUT_TAGS.step,
      stepText,
      `must be a step number from 1 to ${steps.value.length}`
    )
  }

  const markKind = get(ROLLOUT_TAGS.mark)
  let mark: RolloutMark | undefined
  if (markKind === 'rolled-back' || markKind === 'held' || markKind === 'stopped') {
    mark = { kind: markKind, at: date(ROLLOUT_TAGS.markAt), alarm: get(ROLLOUT_TAGS.markAlarm) }
  } else if (markKind !== '') {
    throw new Unreadable(
      ROLLOUT_TAGS.mark,
      markKind,
      "must be empty, 'rolled-back', 'held' or 'stopped'"
    )
  }

  const deploymentText = get(ROLLOUT_TAGS.deployment)
  if (deploymentText !== '' && !/^\d{1,15}$/.test(deploymentText)) {
    throw new Unreadable(ROLLOUT_TAGS.deployment, deploymentText, 'must be a GitHub deployment id')
  }
  const url = get(ROLLOUT_TAGS.run)
  const actor = get(ROLLOUT_TAGS.actor)
  return {
    ramp: { steps: steps.value, intervalMs: interval.value },
    pair: { blue: required(ROLLOUT_TAGS.blue), green: required(ROLLOUT_TAGS.green) },
    step: step - 1,
    stepAt: date(ROLLOUT_TAGS.stepAt),
    startedAt: date(ROLLOUT_TAGS.startedAt),
    mark,
    run: { url: url === '' ? undefined : url, actor: actor === '' ? undefined : actor },
    deployment: deploymentText === '' ? undefined : Number(deploymentText)
  }
}

/** Do two states encode to the same tags (nothing to write)? */
export function sameRollout(a: RolloutState, b: RolloutState): boolean {
  const ta = encodeRolloutTags(a)
  const tb = encodeRolloutTags(b)
  return Object.keys(ta).every((k) => ta[k] === tb[k])
}
