import { newReport } from '../src/report.js'
import { renderSummary } from '../src/summary.js'

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
    expect(md).toContain(
      '```mermaid\npie showData title Traffic 2:9 (blue:green)\n    "blue" : 18.18\n    "green" : 81.82\n```'
    )
    expect(md).toContain('**State:** `split`')
    expect(md).toContain('| 1 | Router: new edge version | E123 | done |')
    expect(md).toContain('| www.deep.mg | A | d1.cloudfront.net | manual |')
    expect(md).toContain('create them at your DNS provider')
    expect(md).toContain('- [www.deep.mg](https://www.deep.mg)')
  })

  it('escapes table cells and shows a failure', () => {
    const report = newReport('replicate status', true)
    report.error = 'boom\nsecond line'
    report.tables.push({ blue: 'a|b', green: 'c', phase: 'backfill', progress: -40, note: '' })
    const md = renderSummary(report)
    expect(md).toContain('(dry run)')
    expect(md).toContain('> The run failed: boom\n> second line')
    expect(md).toContain('| a\\|b | c | backfill | -40% |  |')
  })
})
