/**
 * Ramp decisions over many runs of a scheduled workflow on a simulated clock: the router's tags
 * carry the rollout from run to run (encoded and decoded every time), alarms change state
 * between runs, and the traffic is whatever the last publish left.
 */
import { deploymentPlan } from '../../src/rollout/decide.js'
import { ROLLOUT_TAGS } from '../../src/rollout/tags.js'
import type { Ramp, RampDecision } from '../../src/rollout/types.js'
import { at, count, DAY, HOUR, World } from './simulate.js'

const RAMP: Ramp = { steps: [10, 25, 50, 100], intervalMs: DAY }

/** The green percents after each run that changed the traffic, with the hour of the run. */
function steps(world: World): [number, string][] {
  return world.log
    .filter((l) => l.decision.kind === 'step' || l.decision.kind === 'rollback')
    .map((l) => [
      (l.at.getTime() - at(0).getTime()) / HOUR,
      l.decision.kind === 'step' ? l.decision.reason : 'rollback'
    ])
}

describe('a ramp under an hourly cron', () => {
  it('10,25,50,100 every 1d: four runs change traffic, a day apart; the others change nothing', () => {
    const world = new World()
    const runs = world.cron({ ramp: RAMP, from: 0, to: 5 * DAY })
    expect(steps(world)).toEqual([
      [0, 'start'],
      [24, 'advance'],
      [48, 'advance'],
      [72, 'advance']
    ])
    expect(world.green()).toBe(100)
    expect(world.publishes).toBe(4)
    expect(world.tagWrites).toBe(4)
    expect(count(runs, 'step')).toBe(4)
    expect(count(runs, 'wait')).toBe(69)
    expect(count(runs, 'finished')).toBe(120 - 73)
    expect(runs.every((d) => !d.fails)).toBe(true)
  })

  it('a run before the interval changes nothing and says when the next step is due', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    const early = world.run({ ramp: RAMP, now: at(23 * HOUR + 59 * 60_000) })
    expect(early).toMatchObject({ kind: 'wait', waitingFor: 'interval' })
    expect(early.outputs).toEqual({
      'ramp-step': '1',
      'ramp-next': '25',
      'ramp-due-at': '2026-05-02T09:00:00.000Z'
    })
    expect(early.summary).toContain('due at 2026-05-02T09:00:00.000Z. Nothing changed.')
    expect(world.green()).toBe(10)
  })

  it('never advances more than one step, however long since the last run', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    const late = world.run({ ramp: RAMP, now: at(30 * DAY) })
    expect(late).toMatchObject({ kind: 'step', reason: 'advance', from: 0 })
    expect(world.green()).toBe(25)
    expect(late.outputs['ramp-due-at']).toBe(at(31 * DAY).toISOString())
  })

  it('with late cron runs (jitter up to 20 min) every step still waits a whole interval', () => {
    const world = new World()
    // A fixed pseudo-random delay per run, as GitHub's scheduler delays runs.
    const jitter = (i: number): number => ((i * 7919) % 20) * 60_000
    world.cron({ ramp: RAMP, from: 0, to: 6 * DAY, jitterMs: jitter })
    const times = world.log.filter((l) => l.decision.kind === 'step').map((l) => l.at.getTime())
    expect(times).toHaveLength(4)
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] ?? 0) - (times[i - 1] ?? 0)
      expect(gap).toBeGreaterThanOrEqual(DAY)
      expect(gap).toBeLessThan(DAY + HOUR + 20 * 60_000)
    }
  })

  it('outputs the step and what comes next, and nothing once the ramp is over', () => {
    const world = new World()
    const [first] = world.cron({ ramp: RAMP, from: 0, to: 1 })
    expect(first?.outputs).toEqual({
      'ramp-step': '1',
      'ramp-next': '25',
      'ramp-due-at': at(DAY).toISOString()
    })
    world.cron({ ramp: RAMP, from: DAY, to: 4 * DAY })
    const done = world.run({ ramp: RAMP, now: at(4 * DAY) })
    expect(done).toMatchObject({ kind: 'finished', outcome: 'complete' })
    expect(done.outputs).toEqual({ 'ramp-step': '4', 'ramp-next': '', 'ramp-due-at': '' })
  })

  it('a ramp back to blue (50,25,0) starts from all green and ends at 0', () => {
    const world = new World({ blue: 0, green: 1 })
    world.cron({ ramp: { steps: [50, 25, 0], intervalMs: 6 * HOUR }, from: 0, to: DAY })
    expect(steps(world).map(([h]) => h)).toEqual([0, 6, 12])
    expect(world.green()).toBe(0)
    expect(
      world.run({ ramp: { steps: [50, 25, 0], intervalMs: 6 * HOUR }, now: at(2 * DAY) })
    ).toMatchObject({ kind: 'finished' })
  })

  it('records the run and the actor that changed the rollout', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0), runId: 41 })
    world.run({ ramp: RAMP, now: at(HOUR), runId: 42 })
    expect(world.tags[ROLLOUT_TAGS.run]).toBe('https://github.com/deep/site/actions/runs/41')
    expect(world.tags[ROLLOUT_TAGS.actor]).toBe('octocat')
  })
})

describe('joining and restarting', () => {
  it('a new ramp starts at its first step beyond the current traffic', () => {
    const world = new World({ blue: 9, green: 1 }) // a manual 9:1 before the ramp
    const d = world.run({ ramp: { steps: [25, 50, 100], intervalMs: DAY }, now: at(0) })
    expect(d).toMatchObject({ kind: 'step', reason: 'start' })
    expect(world.green()).toBe(25)
  })

  it('a step already in force is recorded as reached now, without a publish', () => {
    const world = new World({ blue: 3, green: 1 })
    const d = world.run({ ramp: RAMP, now: at(0) })
    expect(d).toMatchObject({ kind: 'step', reason: 'join', weights: { blue: 3, green: 1 } })
    expect(world.publishes).toBe(0)
    expect(world.tags[ROLLOUT_TAGS.step]).toBe('2')
    expect(world.run({ ramp: RAMP, now: at(DAY) })).toMatchObject({
      kind: 'step',
      reason: 'advance'
    })
    expect(world.green()).toBe(50)
  })

  it('a different ramp while one is under way is refused and changes nothing', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    const tags = { ...world.tags }
    const d = world.run({ ramp: { steps: [5, 50, 100], intervalMs: DAY }, now: at(2 * HOUR) })
    expect(d.kind).toBe('refuse')
    expect(d.fails).toBe(true)
    expect(d.summary).toContain('A ramp 10,25,50,100 is under way')
    expect(d.summary).toContain('ramp-restart: true')
    expect(world.tags).toEqual(tags)
    expect(world.green()).toBe(10)
  })

  it('ramp-restart replaces it and continues from the current traffic', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    world.run({ ramp: RAMP, now: at(DAY) }) // 25 %
    const d = world.run({
      ramp: { steps: [5, 50, 100], intervalMs: DAY },
      restart: true,
      now: at(DAY + HOUR)
    })
    expect(d).toMatchObject({ kind: 'step', reason: 'start', from: undefined })
    if (d.kind === 'step') expect(d.replaced?.ramp.steps).toEqual([10, 25, 50, 100])
    expect(world.green()).toBe(50)
  })

  it('ramp-restart left on a schedule does not reset a ramp that is under way', () => {
    const world = new World()
    world.cron({ ramp: RAMP, restart: true, from: 0, to: 4 * DAY })
    expect(steps(world).map(([h]) => h)).toEqual([0, 24, 48, 72])
  })

  it('another ramp interval applies without a restart', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    const d = world.run({ ramp: { ...RAMP, intervalMs: 6 * HOUR }, now: at(6 * HOUR) })
    expect(d).toMatchObject({ kind: 'step', reason: 'advance' })
    expect(world.tags[ROLLOUT_TAGS.interval]).toBe('6h')
  })

  it('a stored ramp of another blue/green pair does not block a new rollout', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0), pair: { blue: 'EOLD', green: 'EBLUE' } })
    world.weights = { blue: 1, green: 0 } // between the new pair nothing is green yet
    const d = world.run({
      ramp: { steps: [20, 100], intervalMs: DAY },
      now: at(HOUR),
      pair: { blue: 'EBLUE', green: 'ENEW' }
    })
    expect(d).toMatchObject({ kind: 'step', reason: 'start' })
    expect(world.tags[ROLLOUT_TAGS.green]).toBe('ENEW')
  })

  it('a finished ramp can be followed by another without a restart', () => {
    const world = new World()
    world.cron({ ramp: RAMP, from: 0, to: 4 * DAY })
    const d = world.run({ ramp: { steps: [50, 0], intervalMs: DAY }, now: at(5 * DAY) })
    expect(d).toMatchObject({ kind: 'step', reason: 'start' })
    expect(world.green()).toBe(50)
  })

  it('refuses when a publish outside the ramp changed the traffic, until ramp-restart', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    world.weights = { blue: 1, green: 1 } // someone published 1:1 by hand
    const d = world.run({ ramp: RAMP, now: at(DAY) })
    expect(d.kind).toBe('refuse')
    expect(d.summary).toContain('a publish outside the ramp changed it')
    expect(world.green()).toBe(50)
    expect(world.run({ ramp: RAMP, restart: true, now: at(DAY + HOUR) })).toMatchObject({
      kind: 'step',
      reason: 'join'
    })
  })

  it('a ramp that a publish outside it marked stopped is left alone, without failing, until ramp-restart', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    world.weights = { blue: 1, green: 1 }
    world.tags[ROLLOUT_TAGS.mark] = 'stopped'
    world.tags[ROLLOUT_TAGS.markAt] = at(HOUR).toISOString()
    const runs = world.cron({ ramp: RAMP, from: DAY, to: 3 * DAY })
    expect(runs.every((d) => d.kind === 'finished' && d.outcome === 'stopped' && !d.fails)).toBe(
      true
    )
    expect(runs[0]?.summary).toContain('stopped at')
    expect(runs[0]?.outputs['ramp-next']).toBe('')
    expect(world.green()).toBe(50)
    expect(world.run({ ramp: RAMP, restart: true, now: at(3 * DAY) })).toMatchObject({
      kind: 'step',
      reason: 'join'
    })
    // A different ramp needs no restart once this one is stopped.
    world.tags[ROLLOUT_TAGS.mark] = 'stopped'
    world.tags[ROLLOUT_TAGS.markAt] = at(3 * DAY).toISOString()
    expect(world.run({ ramp: { steps: [60, 100], intervalMs: DAY }, now: at(4 * DAY) }).kind).toBe(
      'step'
    )
  })

  it('unreadable tags are refused with the tag named, and ramp-restart starts over', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    world.tags[ROLLOUT_TAGS.step] = 'x'
    const d = world.run({ ramp: RAMP, now: at(DAY) })
    expect(d.kind).toBe('refuse')
    expect(d.summary).toContain('bluegreen:ramp-step = "x"')
    expect(world.run({ ramp: RAMP, restart: true, now: at(DAY) })).toMatchObject({
      kind: 'step',
      reason: 'join'
    })
  })
})

describe('the alarm gate', () => {
  it('an alarm in ALARM rolls the ramp back to 1:0, fails the job, and the ramp stays rolled back', () => {
    const world = new World()
    world.setAlarm('www-5xx', 'OK', at(-DAY))
    world.cron({ ramp: RAMP, from: 0, to: 30 * HOUR })
    expect(world.green()).toBe(25)
    world.setAlarm('www-5xx', 'ALARM', at(30 * HOUR), 'Threshold Crossed: 5xx rate 7 % > 1 %')
    const d = world.run({ ramp: RAMP, now: at(30 * HOUR) })
    expect(d).toMatchObject({ kind: 'rollback', weights: { blue: 1, green: 0 }, fails: true })
    expect(d.summary).toContain('alarm www-5xx (us-east-1) is in ALARM since')
    expect(d.summary).toContain('Threshold Crossed: 5xx rate 7 % > 1 %')
    expect(world.green()).toBe(0)
    expect(world.tags[ROLLOUT_TAGS.mark]).toBe('rolled-back')
    expect(world.tags[ROLLOUT_TAGS.markAlarm]).toBe('www-5xx')

    world.setAlarm('www-5xx', 'OK', at(32 * HOUR))
    const later = world.cron({ ramp: RAMP, from: 31 * HOUR, to: 5 * DAY })
    expect(
      later.every((l) => l.kind === 'finished' && l.outcome === 'rolled-back' && !l.fails)
    ).toBe(true)
    expect(world.green()).toBe(0)
    expect(world.run({ ramp: RAMP, restart: true, now: at(5 * DAY) })).toMatchObject({
      kind: 'step',
      reason: 'start'
    })
    expect(world.green()).toBe(10)
  })

  it('stops the ramp on a run that is only waiting, not just before a step', () => {
    const world = new World()
    world.setAlarm('www-5xx', 'OK', at(-DAY))
    world.run({ ramp: RAMP, now: at(0) })
    world.setAlarm('www-5xx', 'ALARM', at(3 * HOUR))
    expect(world.run({ ramp: RAMP, now: at(3 * HOUR) }).kind).toBe('rollback')
  })

  it('on-alarm hold keeps the ratio, fails every run while in ALARM, and resumes after', () => {
    const world = new World()
    const policy = { onAlarm: 'hold' as const }
    world.setAlarm('www-5xx', 'OK', at(-DAY))
    world.cron({ ramp: RAMP, policy, from: 0, to: 30 * HOUR })
    world.setAlarm('www-5xx', 'ALARM', at(30 * HOUR))
    const held = world.cron({ ramp: RAMP, policy, from: 30 * HOUR, to: 60 * HOUR })
    expect(held.every((d) => d.kind === 'hold' && d.fails)).toBe(true)
    expect(world.green()).toBe(25)
    expect(world.tags[ROLLOUT_TAGS.markAt]).toBe(at(30 * HOUR).toISOString()) // the first hold
    expect(world.publishes).toBe(2)

    world.setAlarm('www-5xx', 'OK', at(60 * HOUR + 30 * 60_000))
    const resumed = world.run({ ramp: RAMP, policy, now: at(61 * HOUR) })
    expect(resumed).toMatchObject({ kind: 'step', reason: 'advance' })
    expect(world.green()).toBe(50)
    expect(world.tags[ROLLOUT_TAGS.mark]).toBe('')
  })

  it('bake-time: a step waits until every alarm has been out of ALARM that long', () => {
    const world = new World()
    const policy = { bakeTimeMs: 2 * HOUR }
    world.setAlarm('www-5xx', 'OK', at(-DAY))
    world.run({ ramp: RAMP, policy, now: at(0) })
    // A short ALARM, cleared before the next run: the hold policy is not involved, but the
    // alarm left ALARM at 23:30, so the step waits until 01:30 the next day.
    world.setAlarm('www-5xx', 'ALARM', at(23 * HOUR + 10 * 60_000))
    world.setAlarm('www-5xx', 'OK', at(23 * HOUR + 30 * 60_000))
    const due = world.run({ ramp: RAMP, policy, now: at(DAY) })
    expect(due).toMatchObject({ kind: 'wait', waitingFor: 'bake', dueAt: at(DAY + 90 * 60_000) })
    expect(world.run({ ramp: RAMP, policy, now: at(DAY + HOUR) }).kind).toBe('wait')
    expect(world.run({ ramp: RAMP, policy, now: at(DAY + 2 * HOUR) })).toMatchObject({
      kind: 'step',
      reason: 'advance'
    })
  })

  it('bake-time: INSUFFICIENT_DATA is out of ALARM (flapping with OK does not delay a step)', () => {
    const world = new World()
    const policy = { bakeTimeMs: 2 * HOUR }
    world.setAlarm('www-5xx', 'OK', at(-DAY))
    world.run({ ramp: RAMP, policy, now: at(0) })
    world.setAlarm('www-5xx', 'INSUFFICIENT_DATA', at(23 * HOUR))
    world.setAlarm('www-5xx', 'OK', at(23 * HOUR + 50 * 60_000))
    expect(world.run({ ramp: RAMP, policy, now: at(DAY) })).toMatchObject({ kind: 'step' })
  })

  it('a ramp does not start while an alarm is in ALARM, and records nothing', () => {
    const world = new World()
    world.setAlarm('www-5xx', 'ALARM', at(-HOUR))
    const d = world.run({ ramp: RAMP, now: at(0) })
    expect(d).toMatchObject({ kind: 'blocked', fails: true })
    expect(world.tags[ROLLOUT_TAGS.ramp]).toBeUndefined()
    expect(world.green()).toBe(0)
  })

  it('a finished ramp is left alone even when an alarm fires afterwards', () => {
    const world = new World()
    world.setAlarm('www-5xx', 'OK', at(-DAY))
    world.cron({ ramp: RAMP, from: 0, to: 4 * DAY })
    world.setAlarm('www-5xx', 'ALARM', at(4 * DAY))
    expect(world.run({ ramp: RAMP, now: at(4 * DAY + HOUR) })).toMatchObject({
      kind: 'finished',
      outcome: 'complete'
    })
    expect(world.green()).toBe(100)
  })
})

describe('runs that overlap or die', () => {
  it('a run killed after publishing a step is finished by the next run, a day later counted from it', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    world.run({ ramp: RAMP, now: at(DAY), killAfterPublish: true })
    expect(world.green()).toBe(25)
    expect(world.tags[ROLLOUT_TAGS.step]).toBe('1') // not recorded
    const next = world.run({ ramp: RAMP, now: at(DAY + HOUR) })
    expect(next).toMatchObject({ kind: 'step', reason: 'finish', weights: { blue: 3, green: 1 } })
    expect(world.tags[ROLLOUT_TAGS.step]).toBe('2')
    expect(world.run({ ramp: RAMP, now: at(2 * DAY) }).kind).toBe('wait')
    expect(world.run({ ramp: RAMP, now: at(2 * DAY + HOUR) })).toMatchObject({
      kind: 'step',
      reason: 'advance'
    })
  })

  it('two runs reading the same state decide the same step; the later one then finds nothing to do', () => {
    const world = new World()
    world.run({ ramp: RAMP, now: at(0) })
    const snapshot = { tags: { ...world.tags }, weights: world.weights }
    const cron = world.run({ ramp: RAMP, now: at(DAY), runId: 7 })
    // The manual run read the state before the cron run wrote it: same decision, same traffic.
    const manual = new World(snapshot.weights)
    manual.tags = snapshot.tags
    const raced = manual.run({ ramp: RAMP, now: at(DAY + 60_000), runId: 8 })
    expect(raced.kind).toBe(cron.kind)
    if (raced.kind === 'step' && cron.kind === 'step') expect(raced.weights).toEqual(cron.weights)
    // Its publish re-plans after the cron run's change (ETags) and re-reads the tags: a no-op.
    expect(world.run({ ramp: RAMP, now: at(DAY + 60_000), runId: 8 }).kind).toBe('wait')
    expect(world.green()).toBe(25)
  })
})

describe('a rollback that did not finish', () => {
  it('is finished by the next run (1:0, failing the job), even once the alarm has cleared', () => {
    const world = new World()
    world.setAlarm('www-5xx', 'OK', at(-DAY))
    world.cron({ ramp: RAMP, from: 0, to: 25 * HOUR })
    // The rollback recorded itself, then its run died before the traffic was all blue.
    world.tags[ROLLOUT_TAGS.mark] = 'rolled-back'
    world.tags[ROLLOUT_TAGS.markAt] = at(25 * HOUR).toISOString()
    world.tags[ROLLOUT_TAGS.markAlarm] = 'www-5xx'
    const d = world.run({ ramp: RAMP, now: at(26 * HOUR) })
    expect(d).toMatchObject({ kind: 'rollback', reason: 'finish', weights: { blue: 1, green: 0 } })
    expect(d.fails).toBe(true)
    expect(d.summary).toContain('finishes the rollback to all blue (1:0) that a previous run began')
    expect(d.summary).toContain('alarm www-5xx')
    expect(world.green()).toBe(0)
    expect(world.run({ ramp: RAMP, now: at(27 * HOUR) })).toMatchObject({
      kind: 'finished',
      outcome: 'rolled-back'
    })
  })
})

describe('GitHub deployment statuses of a rollout', () => {
  const statuses = (decisions: RampDecision[]) =>
    decisions.map((d) => deploymentPlan(d)).filter((p) => p !== undefined)

  it('create once, in_progress per step, success at the last; nothing on runs that wait', () => {
    const world = new World()
    const plans = statuses(world.cron({ ramp: RAMP, from: 0, to: 5 * DAY }))
    expect(plans.map((p) => [p.create, p.start?.state, p.done.state])).toEqual([
      [true, 'in_progress', 'in_progress'],
      [true, 'in_progress', 'in_progress'],
      [true, 'in_progress', 'in_progress'],
      [true, 'in_progress', 'success']
    ])
    expect(plans[0]?.done.description).toBe(
      '10 % green (step 1 of 4); next 25 % due 2026-05-02T09:00:00.000Z'
    )
    expect(
      plans.every((p) => p.failed.state === 'failure' && p.done.description.length <= 140)
    ).toBe(true)
  })

  it('inactive on rollback, failure on hold', () => {
    const world = new World()
    world.setAlarm('a', 'OK', at(-DAY))
    world.run({ ramp: RAMP, now: at(0) })
    world.setAlarm('a', 'ALARM', at(HOUR))
    const rollback = deploymentPlan(world.run({ ramp: RAMP, now: at(HOUR) }))
    expect(rollback?.done).toEqual({
      state: 'inactive',
      description: 'Rolled back to all blue: alarm a in ALARM'
    })
    const held = new World()
    held.setAlarm('a', 'OK', at(-DAY))
    held.run({ ramp: RAMP, now: at(0) })
    held.setAlarm('a', 'ALARM', at(HOUR))
    expect(
      deploymentPlan(held.run({ ramp: RAMP, policy: { onAlarm: 'hold' }, now: at(HOUR) }))?.done
        .state
    ).toBe('failure')
  })
})
