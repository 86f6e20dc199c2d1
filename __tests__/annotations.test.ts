/**
 * The built action's log as the runner reads it: one ::error:: annotation per problem (not one
 * joined string), every summary warning also a ::warning::, and the default ratio said plainly.
 */
import { usesDefaultRatio } from '../src/front.js'
import { parseInputs } from '../src/inputs.js'
import { runAction } from './helpers/action.js'

describe('annotations of node dist/index.js', () => {
  it('three bad inputs: three error annotations, each naming its input', async () => {
    const run = await runAction(
      {
        blue: 'stage:abcd1234',
        green: 'prod:wxyz0987',
        ratio: 'abc',
        'domain-name': 'https://www.deep.mg',
        'dry-run': 'maybe'
      },
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }
    )
    expect(run.code).toBe(1)
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'))
    expect(errors).toHaveLength(3)
    expect(errors[0]).toMatch(/^::error::input 'ratio' = "abc": /)
    expect(errors[1]).toMatch(/^::error::input 'domain-name' = "https:\/\/www.deep.mg": /)
    expect(errors[2]).toMatch(/^::error::input 'dry-run' = "maybe": /)
    expect(run.summary).toContain('The run failed (3 problems):')
  })

  it('no ratio given: a warning annotation and the same warning in the summary', async () => {
    const run = await runAction(
      {
        blue: 'stage:abcd1234',
        green: 'prod:wxyz0987',
        'domain-name': 'www.deep.mg',
        'dry-run': 'true'
      },
      // Nothing answers: the run fails after the notice, before any change.
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' }
    )
    const warnings = run.stdout.split('\n').filter((l) => l.startsWith('::warning::'))
    expect(warnings).toEqual([expect.stringMatching(/^::warning::No ratio given .*default 0:1/)])
    expect(run.summary).toContain('> [!WARNING]\n> No ratio given')
    expect(run.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toHaveLength(1)
  })

  it('a ramp run takes its weights from its steps: no default-ratio notice', () => {
    const base = { blue: 'stage:abcd1234', green: 'prod:wxyz0987', 'domain-name': 'www.deep.mg' }
    const ramp = { ...base, ramp: '25,50,100', 'ramp-interval': '1h' }
    expect(usesDefaultRatio(ramp, parseInputs(ramp))).toBe(false)
    expect(usesDefaultRatio(base, parseInputs(base))).toBe(true)
  })
})
