import { newReport } from '../src/report.js'
import { COLOURS, pie, renderSummary, renderText } from '../src/summary.js'

/** The pie's theme: which colour mermaid gives its first and second slice. */
function pieTheme(md: string): { pie1: string; pie2: string; slices: string[] } {
  const init = /%%\{init: (.*)\}%%/.exec(md)?.[1] ?? '{}'
  const parsed = JSON.parse(init) as { themeVariables: { pie1: string; pie2: string } }
  const slices = [...md.matchAll(/^ {4}"(\w+)" : /gm)].map((m) => m[1] ?? '')
  return { ...parsed.themeVariables, slices }
}

describe('job summary', () => {
  it('shows the ratio as a mermaid pie with exact percents, the state, the plan and DNS', () => {
    const report = newReport('publish', false)
    report.weights = { blue: 2, green: 9 }
    report.state = 'split'
    report.changed = true
    report.plan.push({ description: 'Router: new edge version', resource: 'E123', status: 'done' })
    report.dns.push({
      name: 'www.deep.mg',
      type: 'A',
      target: 'd1.cloudfront.net',
      status: 'manual'
    })
    report.links.push({ label: 'www.deep.mg', url: 'https://www.deep.mg' })
    const md = renderSummary(report)
    expect(md).toContain('pie showData title Traffic 2:9 (blue:green)\n')
    expect(md).toContain('    "green" : 81.82\n    "blue" : 18.18\n```')
    expect(md).toContain('**State:** `split`')
    expect(md).toContain('| 1 | Router: new edge version | E123 | done |')
    expect(md).toContain('| www.deep.mg | A | d1.cloudfront.net | manual |')
    expect(md).toContain('create them at your DNS provider')
    expect(md).toContain('- [www.deep.mg](https://www.deep.mg)')
  })

  // Mermaid colours slices pie1, pie2 in drawing order, largest first: the larger side is listed
  // first and pie1 is its colour, so blue is always blue and green always green.
  it.each([
    [{ blue: 9, green: 1 }, ['blue', 'green']],
    [{ blue: 1, green: 1 }, ['blue', 'green']],
    [{ blue: 1, green: 9 }, ['green', 'blue']],
    [{ blue: 0, green: 1 }, ['green', 'blue']],
    [{ blue: 1, green: 0 }, ['blue', 'green']]
  ] as const)('pie %j: blue slice blue, green slice green', (weights, order) => {
    const theme = pieTheme(pie(weights))
    expect(theme.slices).toEqual(order)
    expect({ [order[0]]: theme.pie1, [order[1]]: theme.pie2 }).toEqual(COLOURS)
  })

  it('a ramp run: its decision, what it did, who changed the rollout last, the alarms read', () => {
    const report = newReport('publish', false)
    report.rollout = {
      summary:
        'Ramp 10,25,50,100 every 1d rolled back to all blue (1:0) from step 2 of 4 (25 % green): alarm www-5xx (us-east-1) is in ALARM since 2026-05-02T10:00:00.000Z: Threshold Crossed.',
      done: 'All traffic is on blue (1:0) now.',
      alarms: [
        {
          name: 'www-5xx',
          region: 'us-east-1',
          state: 'ALARM',
          since: '2026-05-02T10:00:00.000Z',
          reason: 'Threshold Crossed | 7 > 5'
        }
      ],
      run: { url: 'https://github.com/deep/site/actions/runs/9', actor: 'octocat' },
      deployment: 'production deployment 1001 (router E1)'
    }
    const md = renderSummary(report)
    expect(md).toContain('### Rollout\n\nRamp 10,25,50,100 every 1d rolled back to all blue (1:0)')
    expect(md).toContain('All traffic is on blue (1:0) now.')
    expect(md).toContain(
      'Rollout last changed by run https://github.com/deep/site/actions/runs/9 by octocat.'
    )
    expect(md).toContain('Recorded as GitHub production deployment 1001 (router E1).')
    expect(md).toContain(
      '| www-5xx | us-east-1 | ALARM | 2026-05-02T10:00:00.000Z | Threshold Crossed \\| 7 > 5 |'
    )
    expect(md).not.toContain('Nothing to change')
    const text = renderText(report, { colour: false })
    expect(text).toContain('Rollout\nRamp 10,25,50,100')
    expect(text).toMatch(/www-5xx {2}us-east-1 {2}ALARM/)
  })

  it('escapes table cells and shows a failure', () => {
    const report = newReport('replicate status', true)
    report.errors = ['boom\nsecond line']
    report.tables.push({ blue: 'a|b', green: 'c', phase: 'backfill', progress: -40, note: '' })
    const md = renderSummary(report)
    expect(md).toContain('(dry run)')
    expect(md).toContain('> The run failed: boom\n> second line')
    expect(md).toContain('| a\\|b | c | backfill | -40% |  |')
  })

  it('lists each problem of a failed run on its own', () => {
    const report = newReport('publish', false)
    report.errors = ['input a is bad', 'input b is bad', 'input c is bad']
    const md = renderSummary(report)
    expect(md).toContain('The run failed (3 problems):\n> - input a is bad\n> - input b is bad\n')
  })

  it('renders the same report as aligned plain text for a terminal', () => {
    const report = newReport('publish', true)
    report.weights = { blue: 9, green: 1 }
    report.state = 'split'
    report.warnings.push('a warning')
    report.plan.push(
      { description: 'Blue: add *.deep.mg', resource: 'E1', status: 'planned' },
      { description: 'Router: create', resource: '(new)', status: 'planned' }
    )
    const text = renderText(report, { colour: false })
    expect(text).toContain('bluegreen publish (dry run)\n')
    expect(text).toContain('Traffic 9:1  blue 90 % · green 10 %\n')
    expect(text).toContain(`${'█'.repeat(36)}${'█'.repeat(4)}\n`)
    expect(text).toContain('warning: a warning')
    expect(text).toContain(
      [
        'Plan',
        '1  planned  Blue: add *.deep.mg',
        '            E1',
        '2  planned  Router: create',
        '            (new)'
      ].join('\n')
    )
    expect(text).not.toMatch(/```|\| --- \|/)
    expect(text).not.toContain('\x1b')
    expect(renderText(report, { colour: true })).toContain('\x1b[34m')
  })

  it('wraps long plan steps to the terminal width, and aligns tables', () => {
    const report = newReport('publish', false)
    report.plan.push({
      description:
        'Route53: www1.deep.mg A → blue; www1.deep.mg AAAA → blue; www2.deep.mg A → green',
      resource: 'www1.deep.mg, www2.deep.mg',
      status: 'done'
    })
    report.dns.push(
      { name: 'www.deep.mg', type: 'A', target: 'd1.cloudfront.net', status: 'upserted' },
      { name: 'www1.deep.mg', type: 'AAAA', target: 'd22.cloudfront.net', status: 'unchanged' }
    )
    const text = renderText(report, { colour: false, width: 50 })
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(50)
    expect(text).toContain(
      ['1  done     Route53: www1.deep.mg A → blue;', '            www1.deep.mg AAAA → blue;'].join(
        '\n'
      )
    )
    expect(text).toContain(
      [
        'name          type  target              status',
        '------------  ----  ------------------  ---------',
        'www.deep.mg   A     d1.cloudfront.net   upserted',
        'www1.deep.mg  AAAA  d22.cloudfront.net  unchanged'
      ].join('\n')
    )
  })
})
