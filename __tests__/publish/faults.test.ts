/**
 * Fault injection (DESIGN.md 6): for every journey step and every mutating call k of a clean run
 * of that step, the world is put back to before the step, call k fails (throttled, a 500, a
 * concurrent change / PreconditionFailed, or applied with its response lost), and the same step
 * is run again. The invariant must hold through both runs, the re-run must finish the job (the
 * world equals the clean run's, by role: aliases, enabled flags, records, router), and a third
 * run must find nothing to do. Clients are built with maxAttempts 1 so the faults surface.
 * Also: random walks over ratios with faults in a run and its re-run (fast-check, fixed seed),
 * a CloudFront slower than wait-timeout, and two runs interleaved (a workflow triggered twice).
 */
import {
  describeRun,
  installMocks,
  runPublishInterleaved,
  runPublish,
  type Mocks,
  type RunResult
} from './model/harness.js'
import fc from 'fast-check'
import { FAULT_KINDS } from './model/faults.js'
import { CONCURRENT_EDIT } from './model/model.js'
import {
  envsOf,
  freshWorld,
  JOURNEYS,
  outsideDns,
  runStep,
  targetProblems,
  walkStep,
  type StepRun
} from './model/journeys.js'
import { formatViolation, specBefore } from './model/serving.js'
import { deepWorld, HOSTS, summarise, type World } from './model/world.js'

let world: World
let mocks: Mocks
/** Clean runs, by `${journey index}/${step index}`. */
const clean = new Map<string, StepRun>()

beforeAll(async () => {
  mocks = installMocks(() => world.model)
  for (const [j, journey] of JOURNEYS.entries()) {
    world = freshWorld(journey)
    for (const [s, step] of journey.steps.entries()) {
      const run = await runStep(world, mocks, journey.name, step)
      if (run.result.error !== undefined) break // journeys.test.ts reports it
      clean.set(`${j}/${s}`, run)
    }
  }
})
afterAll(() => {
  mocks.restore()
})

/**
 * The operator (or a retry step) re-runs a minute later: Lambda has settled by then, CloudFront
 * changes are still InProgress (they take minutes), so the re-run must wait for them.
 */
const RERUN_AFTER_MS = 60_000

const cases = JOURNEYS.flatMap((journey, j) =>
  journey.steps.map((step, s) => ({
    key: `${j}/${s}`,
    label: `${journey.name} / ${s + 1}. ${step.name}`
  }))
)

/** Distributions carrying an injected concurrent edit. */
function edits(): string[] {
  return [...world.model.state.distributions.values()]
    .filter((d) => (d.config.Comment ?? '').includes(CONCURRENT_EDIT))
    .map((d) => d.id)
}

/** Every violation (the invariant of DESIGN 2 and the 302-target extension), readable. */
const core = (r: RunResult): string[] =>
  r.violations.map((v) => `${v.kind} ${v.host} after ${v.command}: ${v.problem}`)

test.each(cases)(
  '$label: any one failed call, then a re-run, ends like a clean run',
  async ({ key }) => {
    const run = clean.get(key)
    if (run === undefined) throw new Error(`the clean run of ${key} failed (see journeys.test.ts)`)
    world = run.world
    const n = run.result.calls.length
    const failures: string[] = []
    for (const kind of FAULT_KINDS) {
      for (let k = 1; k <= n; k++) {
        world.model.restore(run.before)
        outsideDns.restore(run.dnsBefore)
        const faulted = await runPublish(world.model, mocks, run.step.raw, {
          spec: run.spec,
          faults: [[k, kind]]
        })
        const editedIds = edits()
        world.model.advance(RERUN_AFTER_MS)
        const again = await runPublish(world.model, mocks, run.step.raw, { spec: run.spec })
        const third = await runPublish(world.model, mocks, run.step.raw, {})
        const lost = editedIds.filter((id) => {
          const d = world.model.state.distributions.get(id)
          return d !== undefined && !(d.config.Comment ?? '').includes(CONCURRENT_EDIT)
        })
        const what = `call ${k}/${n} (${run.result.calls[k - 1]?.command ?? '?'}) failed with ${kind}`
        // An answer lost in transit is the SDK's to retry: the run adopts what the first attempt
        // made (read back) and finishes, in the same run.
        const sameRun =
          kind === 'answer-lost' && faulted.error !== undefined
            ? [`the run did not adopt what its lost call made:\n${describeRun(faulted)}`]
            : []
        const problems = [
          ...sameRun,
          ...core(faulted).map((p) => `invariant broken in the faulted run: ${p}`),
          ...core(again).map((p) => `invariant broken in the re-run: ${p}`),
          ...(again.error === undefined ? [] : [`the re-run failed:\n${describeRun(again)}`]),
          ...lost.map((id) => `someone else's concurrent edit of ${id} was overwritten`),
          ...(third.calls.every((c) => (run.step.rerunMay ?? []).includes(c.command))
            ? []
            : [
                `a third run still made ${third.calls.length} mutating calls:\n${describeRun(third)}`
              ])
        ]
        problems.push(...targetProblems(world, run.step))
        const after = summarise(world)
        if (JSON.stringify(after) !== JSON.stringify(run.after)) {
          problems.push(
            `the world differs from a clean run's:\n  got      ${JSON.stringify(after)}\n  expected ${JSON.stringify(run.after)}`
          )
        }
        if (problems.length > 0) {
          const rerunAccount =
            core(again).length > 0 ? `\n--- re-run ---\n${describeRun(again, 6)}` : ''
          failures.push(
            `${what}:\n  ${[...new Set(problems)].slice(0, 4).join('\n  ')}\n--- faulted run ---\n${describeRun(faulted, 4)}${rerunAccount}`
          )
        }
      }
    }
    expect(failures).toEqual([])
  }
)

test('a re-run right after CreateFunction (applied, response lost) waits for the Pending function', async () => {
  const run = clean.get('0/0')
  if (run === undefined)
    throw new Error('the clean run of the first 9:1 failed (see journeys.test.ts)')
  const k = run.result.calls.findIndex((c) => c.command === 'CreateFunction') + 1
  expect(k).toBeGreaterThan(0)
  world.model.restore(run.before)
  await runPublish(world.model, mocks, run.step.raw, {
    spec: run.spec,
    faults: [[k, 'lost-response']]
  })
  const again = await runPublish(world.model, mocks, run.step.raw, { spec: run.spec })
  expect(again.error === undefined ? 'finished' : describeRun(again)).toBe('finished')
})

describe('random walks', () => {
  const action = fc.record({
    ratio: fc.constantFrom('1:0', '9:1', '1:1', '2:9', '1:9', '0:1'),
    wait: fc.boolean(),
    cleanup: fc.boolean(),
    // The i-th attempt of the step fails at call k (a re-run may fail again, then runs again).
    faults: fc.array(
      fc.record({ k: fc.integer({ min: 1, max: 8 }), kind: fc.constantFrom(...FAULT_KINDS) }),
      { maxLength: 2 }
    ),
    hoursLater: fc.constantFrom(0, 0, 0, 2, 25)
  })

  // Any sequence of ratios (with or without waiting, cleanup at full switches, time passing),
  // each run possibly failing at one call and then re-run: the invariant holds after every
  // call, each step ends in its target, and a further run has nothing left to do.
  test('any sequence of steps, faults in a run and its re-run: invariant, target, then nothing to do', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 6 }), async (actions) => {
        world = deepWorld()
        const trail: string[] = []
        let at = 'none'
        for (const a of actions) {
          world.model.advance(a.hoursLater * 3_600_000)
          // Cleanup as DESIGN 2 means it: a later run at the full switch already made (a switch
          // and its cleanup in one run is a journey of its own).
          const step = walkStep(a.ratio, { ...a, cleanup: a.cleanup && at === a.ratio })
          at = a.ratio === '1:0' || a.ratio === '0:1' ? a.ratio : 'split'
          const spec = specBefore(world.model, HOSTS, step.target, envsOf(step))
          const problems: string[] = []
          let last: RunResult | undefined
          for (let attempt = 0; attempt <= a.faults.length; attempt++) {
            if (attempt > 0) world.model.advance(RERUN_AFTER_MS)
            const fault = a.faults[attempt]
            last = await runPublish(world.model, mocks, step.raw, {
              spec,
              faults: fault === undefined ? [] : [[fault.k, fault.kind]]
            })
            const error = last.error instanceof Error ? `, failed: ${last.error.message}` : ''
            trail.push(
              `${step.name}${a.wait ? '' : ' (no wait)'} attempt ${attempt + 1}${fault === undefined ? '' : ` fault ${fault.kind}@${fault.k}`}: ${last.calls.length} calls${error}`
            )
            problems.push(...core(last).map((p) => `invariant (attempt ${attempt + 1}): ${p}`))
            if (last.error === undefined) break
          }
          if (last?.error !== undefined) {
            problems.push(`the last attempt failed:\n${describeRun(last)}`)
          }
          problems.push(...targetProblems(world, step))
          const third = await runPublish(world.model, mocks, step.raw, {})
          if (!third.calls.every((c) => (step.rerunMay ?? []).includes(c.command))) {
            problems.push(`a further run still made calls:\n${describeRun(third)}`)
          }
          if (problems.length > 0) {
            throw new Error(`${trail.join('\n')}\n${[...new Set(problems)].slice(0, 6).join('\n')}`)
          }
        }
      }),
      { numRuns: 40, seed: 20261128 }
    )
  })
})

test('CloudFront slower than wait-timeout: the run stops cleanly, and a re-run once it is Deployed finishes', async () => {
  world = deepWorld({ pollsToDeploy: 1_000_000 })
  const step = walkStep('9:1', { wait: true, cleanup: false })
  const raw = { ...step.raw, 'wait-timeout': '5m' }
  const spec = specBefore(world.model, HOSTS, step.target, envsOf(step))
  const slow = await runPublish(world.model, mocks, raw, { spec })
  expect(slow.error instanceof Error ? slow.error.message : 'no error').toMatch(/wait-timeout/)
  expect(core(slow)).toEqual([])
  world.model.deployAll()
  world.model.settings.pollsToDeploy = 2
  const again = await runPublish(world.model, mocks, raw, { spec })
  expect(again.error === undefined ? 'finished' : describeRun(again)).toBe('finished')
  expect(core(again)).toEqual([])
  expect(targetProblems(world, step)).toEqual([])
})

describe('two runs at once (a workflow triggered twice)', () => {
  // The first run stalls right after its k-th mutating call (for every k of its clean run)
  // while the second runs to the end; then the first carries on with what it had read. Every
  // update carries the ETag it read, so a stale run re-reads and re-plans (or stops). The
  // invariant must hold throughout (D served by the old state or either run's target), and one
  // more run with the second inputs ends in their target with nothing left to do.
  test.each([
    { first: '9:1', second: '9:1', from: [] },
    { first: '9:1', second: '1:1', from: [] },
    { first: '1:1', second: '1:9', from: ['9:1'] },
    { first: '0:1', second: '9:1', from: ['9:1'] },
    { first: '9:1', second: '0:1', from: ['1:9'] },
    { first: '0:1', second: '0:1', from: ['1:9'] }
  ])('$first stalls while $second runs (from $from)', async ({ first, second, from }) => {
    const a = walkStep(first, { wait: true, cleanup: false })
    const b = walkStep(second, { wait: true, cleanup: false })
    const setup = async (): Promise<void> => {
      world = deepWorld()
      for (const ratio of from) {
        const r = await runPublish(
          world.model,
          mocks,
          walkStep(ratio, { wait: true, cleanup: false }).raw
        )
        expect(r.error).toBeUndefined()
      }
    }
    await setup()
    const n = (await runPublish(world.model, mocks, a.raw)).calls.length
    expect(n).toBeGreaterThan(0)
    const failures: string[] = []
    for (let k = 1; k <= n; k++) {
      await setup()
      const spec = specBefore(world.model, HOSTS, a.target, envsOf(a))
      spec.allowedForDomain.add(b.target)
      const together = await runPublishInterleaved(world.model, mocks, a.raw, b.raw, {
        holdAfter: k,
        spec
      })
      const account = `errors: ${together.errors.map((e) => (e instanceof Error ? e.message : 'none')).join(' | ')}\n${together.calls.map((c, i) => `  ${i + 1}. ${c.command} ${c.target} ${c.detail} ${c.outcome} ${c.error ?? ''}`).join('\n')}`
      const problems = [
        ...together.unimplemented.map((name) => `unimplemented ${name}`),
        ...[...new Set(together.violations.map((v) => formatViolation(v)))].slice(0, 4)
      ]
      world.model.advance(RERUN_AFTER_MS)
      const last = await runPublish(world.model, mocks, b.raw, {
        spec: specBefore(world.model, HOSTS, b.target, envsOf(b))
      })
      if (last.error !== undefined)
        problems.push(`the run after them failed:\n${describeRun(last)}`)
      problems.push(...core(last), ...targetProblems(world, b))
      const again = await runPublish(world.model, mocks, b.raw, {})
      if (again.calls.length > 0) problems.push(`then still ${again.calls.length} calls`)
      if (problems.length > 0)
        failures.push(`held after call ${k}/${n}:\n${problems.join('\n')}\n${account}`)
    }
    expect(failures).toEqual([])
  })
})
