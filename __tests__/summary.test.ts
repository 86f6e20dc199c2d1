import { newReport } from '../src/report.js'
import type { Transition } from '../src/report.js'
import {
  COLOURS,
  overallWords,
  pie,
  progressWords,
  renderSummary,
  renderText
} from '../src/summary.js'

/** The pie's theme: which colour mermaid gives its first and second slice. */
function pieTheme(md: string): {
  pie1: string
  pie2: string
  pieOpacity: string
  slices: string[]
} {
  const init = /%%\{init: (.*)\}%%/.exec(md)?.[1] ?? '{}'
  const parsed = JSON.parse(init) as {
    themeVariables: { pie1: string; pie2: string; pieOpacity: string }
  }
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
    // Mermaid's default 70 % slice opacity would pale them into other colours.
    expect(theme.pieOpacity).toBe('1')
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
    expect(md).toContain('| a\\|b | c | backfill | -40 % (copy 60 % done) |  |')
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

describe('publish: now → planned, before → after', () => {
  const names = { domain: 'www.deep.mg', blueHost: 'www1.deep.mg', greenHost: 'www2.deep.mg' }
  const transition = (done: boolean): Transition => ({
    done,
    names,
    ids: { blue: 'E1BLUE', green: 'E2GREEN', router: undefined },
    before: {
      state: 'all-blue',
      weights: { blue: 1, green: 0 },
      hosts: { 'www.deep.mg': 'blue', 'www1.deep.mg': undefined, 'www2.deep.mg': 'green' }
    },
    after: {
      state: 'split',
      weights: { blue: 9, green: 1 },
      hosts: { 'www.deep.mg': 'router', 'www1.deep.mg': 'blue', 'www2.deep.mg': 'green' }
    },
    waitsForDns: false
  })

  it('a dry run shows the state, ratio and servers it found beside the ones it would make', () => {
    const report = newReport('publish', true)
    report.state = 'split'
    report.transition = transition(false)
    const md = renderSummary(report)
    expect(md).toContain('### Now → planned')
    // The state is the one the run would make, and a dry run changes nothing.
    expect(md).toContain('**State:** `split (planned)` · **Changed:** no (dry run)')
    expect(md).toContain('|  | now | planned |')
    expect(md).toContain('| traffic | all-blue (100 % blue) | split 9:1 (90 % blue, 10 % green) |')
    expect(md).toContain(
      '| www.deep.mg (viewers) | blue E1BLUE | a new router (302s by 9:1 to both hostnames) |'
    )
    expect(md).toContain("| www1.deep.mg (blue's hostname) | nothing | blue E1BLUE |")
    expect(md).toContain("| www2.deep.mg (green's hostname) | green E2GREEN | green E2GREEN |")
    const text = renderText(report, { colour: false })
    expect(text).toMatch(/Now → planned\n\s+now\s+planned/)
    expect(text).toMatch(/traffic\s+all-blue \(100 % blue\)\s+split 9:1/)
  })

  it('a finished run says before → after, and names the router it created by its id', () => {
    const report = newReport('publish', false)
    report.transition = {
      ...transition(true),
      ids: { ...transition(true).ids, router: 'E3ROUTER' }
    }
    const md = renderSummary(report)
    expect(md).toContain('### Before → after')
    expect(md).toContain('router E3ROUTER (302s by 9:1 to both hostnames)')
    expect(md).not.toContain('new router')
  })

  it('a run that failed before the end does not claim the planned side was reached', () => {
    const report = newReport('publish', false)
    report.transition = transition(false)
    report.errors.push('AccessDenied')
    expect(renderSummary(report)).toContain('### Before → planned (not reached)')
  })

  it('manual DNS phase 1 says when the router takes the domain', () => {
    const report = newReport('publish', true)
    report.transition = { ...transition(false), waitsForDns: true }
    expect(renderSummary(report)).toContain(
      'The router takes www.deep.mg at the re-run after www1.deep.mg and www2.deep.mg resolve'
    )
  })
})

describe('replicate: the overall figure and the per-pair progress', () => {
  it.each([
    ['not prepared', -100, 'not prepared'],
    ['backfill', -60, '-60 % (copy 40 % done)'],
    ['copy (catch-up due)', -1, '-1 % (copy 99 % done)'],
    ['ready', 0, '0 %'],
    ['stream', 73, '73 %'],
    ['terminated', undefined, '–'],
    ['stream', Number.NaN, '–']
  ] as const)('%s at %s reads "%s"', (phase, progress, words) => {
    expect(progressWords(phase, progress)).toBe(words)
  })

  it.each([
    [{ progress: -100, pairs: 3, prepared: 0 }, 'Nothing prepared yet: run replicate prepare'],
    [{ progress: -70, pairs: 2, prepared: 2 }, 'Overall: -70 % — copying, 30 % of 2 pairs copied.'],
    [
      { progress: -80, pairs: 3, prepared: 1 },
      'Overall: -80 % — copying, 20 % of 3 pairs copied; 2 of them not prepared yet.'
    ],
    [{ progress: 42, pairs: 3, prepared: 3 }, 'Overall: 42 % — the slowest of 3 pairs.'],
    [
      { progress: 7, pairs: 2, prepared: 2, slowest: 'Orders' },
      'Overall: 7 % — the slowest of 2 pairs, Orders.'
    ],
    [
      { progress: 100, pairs: 1, prepared: 1 },
      'Overall: 100 % — green has caught up with blue (1 pair).'
    ]
  ])('%j', (overall, words) => {
    expect(overallWords(overall)).toContain(words)
  })

  it('the summary puts the overall figure above the rows, and no −100 % for a pair not prepared', () => {
    const report = newReport('replicate status', false)
    report.tables.push(
      { blue: 'Orders', green: 'OrdersG', phase: 'not prepared', progress: -100, note: '' },
      { blue: 's3://blue', green: 's3://green', phase: 'not prepared', progress: -100, note: '' }
    )
    report.replication = { progress: -100, pairs: 2, prepared: 0 }
    const md = renderSummary(report)
    expect(md).toContain(
      '### Replication\n\n**Nothing prepared yet: run replicate prepare to copy blue to green.**\n\n| blue | green |'
    )
    expect(md).not.toMatch(/-100 ?%|NaN/)
    expect(renderText(report, { colour: false })).toContain('Nothing prepared yet')
  })
})
