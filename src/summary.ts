/**
 * The job summary as markdown, from a run's report: the ratio as a mermaid pie, the state, the
 * plan as a table, every DNS record with its target (manual instructions in the same table),
 * links to the three hostnames, and replication progress per table.
 */
import { formatRatio, percents } from './inputs.js'
import type { Report } from './report.js'

/** Escapes text for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

export function renderSummary(report: Report): string {
  const parts: string[] = []
  const title = report.dryRun
    ? `bluegreen ${report.command} (dry run)`
    : `bluegreen ${report.command}`
  parts.push(`## ${title}`)
  if (report.error !== undefined) {
    parts.push(`> [!CAUTION]\n> The run failed: ${report.error.split('\n').join('\n> ')}`)
  }
  if (report.weights !== undefined) {
    const p = percents(report.weights)
    parts.push(
      [
        '```mermaid',
        `pie showData title Traffic ${formatRatio(report.weights)} (blue:green)`,
        `    "blue" : ${p.blue}`,
        `    "green" : ${p.green}`,
        '```'
      ].join('\n')
    )
  }
  if (report.state !== undefined) {
    parts.push(`**State:** \`${report.state}\` · **Changed:** ${report.changed ? 'yes' : 'no'}`)
  }
  for (const w of report.warnings) parts.push(`> [!WARNING]\n> ${w}`)
  if (report.plan.length > 0) {
    parts.push(
      '### Plan',
      table(
        ['#', 'step', 'resource', 'status'],
        report.plan.map((s, i) => [String(i + 1), s.description, s.resource, s.status])
      )
    )
  } else if (report.command === 'publish' && report.error === undefined) {
    parts.push('Nothing to change: AWS already matches the request.')
  }
  if (report.dns.length > 0) {
    parts.push(
      '### DNS records',
      table(
        ['name', 'type', 'target', 'status'],
        report.dns.map((r) => [r.name, r.type, r.target, r.status])
      )
    )
    if (report.dns.some((r) => r.status === 'manual')) {
      parts.push(
        'Records marked **manual** are not in a Route53 zone this run can change: create them at your DNS provider (an ALIAS/ANAME, or a CNAME for non-apex names, to the target shown).'
      )
    }
  }
  if (report.tables.length > 0) {
    parts.push(
      '### Replication',
      table(
        ['blue table', 'green table', 'phase', 'progress', 'note'],
        report.tables.map((t) => [
          t.blue,
          t.green,
          t.phase,
          t.progress === undefined ? '–' : `${t.progress}%`,
          t.note
        ])
      )
    )
  }
  if (report.links.length > 0) {
    parts.push(report.links.map((l) => `- [${l.label}](${l.url})`).join('\n'))
  }
  for (const n of report.notes) parts.push(n)
  return `${parts.join('\n\n')}\n`
}
