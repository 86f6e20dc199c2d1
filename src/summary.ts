/**
 * A run's report for a person: the job summary as markdown (renderSummary) and the same content
 * as plain text for a terminal (renderText). Both are built from one list of sections: the ratio
 * (a mermaid pie in markdown), the state, a ramp's rollout (its decision, what the run did, who
 * changed it last, the alarms read), warnings and errors, the plan as a table, every DNS record
 * with its target (manual instructions in the same table), replication progress per table, and
 * links to the three hostnames.
 */
import { formatRatio, percents, type Weights } from './inputs.js'
import type {
  ReplicationOverall,
  Report,
  Server,
  StepStatus,
  Traffic,
  Transition
} from './report.js'

/** GitHub's own blue and green (Primer), used for the pie and the terminal. */
export const COLOURS = { blue: '#0969da', green: '#1a7f37' } as const

interface TableSection {
  key: 'transition' | 'plan' | 'dns' | 'replication'
  title: string
  header: string[]
  rows: string[][]
  /** A sentence above the table. */
  lead?: string
  /** A sentence under the table. */
  footnote?: string
}

function title(report: Report): string {
  return report.dryRun ? `bluegreen ${report.command} (dry run)` : `bluegreen ${report.command}`
}

/** The state a run made (a dry run: would make) and whether it changed anything. */
function stateParts(report: Report): { state: string; changed: string } | undefined {
  if (report.state === undefined) return undefined
  return report.dryRun
    ? { state: `${report.state} (planned)`, changed: 'no (dry run)' }
    : { state: report.state, changed: report.changed ? 'yes' : 'no' }
}

function stateLine(report: Report): string | undefined {
  const p = stateParts(report)
  return p === undefined ? undefined : `State: ${p.state} · Changed: ${p.changed}`
}

/** "split 9:1 (90 % blue, 10 % green)", "all-green (100 % green)", "not served by blue or green". */
export function trafficWords(t: Traffic, domain: string): string {
  if (t.state === undefined) {
    return t.hosts[domain] === undefined
      ? 'not served'
      : 'served by a distribution other than blue and green'
  }
  if (t.weights === undefined) return `${t.state} (ratio not recorded)`
  const p = percents(t.weights)
  const share =
    t.state === 'split'
      ? `${p.blue} % blue, ${p.green} % green`
      : t.state === 'all-blue'
        ? '100 % blue'
        : '100 % green'
  return t.state === 'split'
    ? `split ${formatRatio(t.weights)} (${share})`
    : `${t.state} (${share})`
}

/** "blue E1…", "the router E3… (302s by 9:1)", "nothing": who serves a hostname. */
function serverWithId(server: Server | undefined, t: Transition, traffic: Traffic): string {
  switch (server) {
    case undefined:
      return 'nothing'
    case 'other':
      return 'another distribution'
    case 'router': {
      const ratio = traffic.weights === undefined ? '' : ` by ${formatRatio(traffic.weights)}`
      const router = t.ids.router === undefined ? 'a new router' : `router ${t.ids.router}`
      return `${router} (302s${ratio} to both hostnames)`
    }
    default:
      return `${server} ${t.ids[server]}`
  }
}

/** The headings of the comparison: what was found beside what is planned, or was done. */
function transitionHeadings(report: Report, t: Transition): [string, string, string] {
  if (t.done) return ['Before → after', 'before', 'after']
  if (report.dryRun) return ['Now → planned', 'now', 'planned']
  return ['Before → planned (not reached)', 'before', 'planned']
}

function transitionSection(report: Report): TableSection | undefined {
  const t = report.transition
  if (t === undefined) return undefined
  const [heading, left, right] = transitionHeadings(report, t)
  const { domain, blueHost, greenHost } = t.names
  const host = (name: string, role: string): string[] => [
    `${name} (${role})`,
    serverWithId(t.before.hosts[name], t, t.before),
    serverWithId(t.after.hosts[name], t, t.after)
  ]
  return {
    key: 'transition',
    title: heading,
    header: ['', left, right],
    rows: [
      ['traffic', trafficWords(t.before, domain), trafficWords(t.after, domain)],
      host(domain, 'viewers'),
      host(blueHost, "blue's hostname"),
      host(greenHost, "green's hostname")
    ],
    ...(t.waitsForDns
      ? {
          footnote: `The router takes ${domain} at the re-run after ${blueHost} and ${greenHost} resolve (the DNS records below).`
        }
      : {})
  }
}

/** A table's or bucket's signed percent for a person: what the sign means, said. */
export function progressWords(phase: string, progress: number | undefined): string {
  if (phase === 'not prepared') return 'not prepared'
  if (progress === undefined || !Number.isFinite(progress)) return '–'
  if (progress < 0) return `${progress} % (copy ${100 + progress} % done)`
  return `${progress} %`
}

/** The overall figure of a replicate run, in a sentence. */
export function overallWords(o: ReplicationOverall): string {
  if (o.prepared === 0) {
    return o.pairs === 0
      ? 'Nothing to replicate: no table or bucket pair was found.'
      : 'Nothing prepared yet: run replicate prepare to copy blue to green.'
  }
  const pairs = `${o.pairs} pair${o.pairs === 1 ? '' : 's'}`
  const unprepared =
    o.prepared < o.pairs ? `; ${o.pairs - o.prepared} of them not prepared yet` : ''
  if (o.progress < 0) {
    return `Overall: ${o.progress} % — copying, ${100 + o.progress} % of ${pairs} copied${unprepared}.`
  }
  if (o.progress >= 100) return `Overall: 100 % — green has caught up with blue (${pairs}).`
  const slowest = o.slowest === undefined ? '' : `, ${o.slowest}`
  return `Overall: ${o.progress} % — the slowest of ${pairs}${slowest}${unprepared}.`
}

function tables(report: Report): TableSection[] {
  const out: TableSection[] = []
  const transition = transitionSection(report)
  if (transition !== undefined) out.push(transition)
  if (report.plan.length > 0) {
    out.push({
      key: 'plan',
      title: 'Plan',
      header: ['#', 'step', 'resource', 'status'],
      rows: report.plan.map((s, i) => [String(i + 1), s.description, s.resource, s.status])
    })
  }
  if (report.dns.length > 0) {
    out.push({
      key: 'dns',
      title: 'DNS records',
      header: ['name', 'type', 'target', 'status'],
      rows: report.dns.map((r) => [r.name, r.type, r.target, r.status]),
      ...(report.dns.some((r) => r.status === 'manual')
        ? {
            footnote:
              'Records marked manual are not in a Route53 zone this run can change: create them at your DNS provider (an ALIAS/ANAME, or a CNAME for non-apex names, to the target shown).'
          }
        : {})
    })
  }
  if (report.tables.length > 0) {
    out.push({
      key: 'replication',
      title: 'Replication',
      // A row is a table, or a bucket (s3://name).
      header: ['blue', 'green', 'phase', 'progress', 'note'],
      rows: report.tables.map((t) => [
        t.blue,
        t.green,
        t.phase,
        progressWords(t.phase, t.progress),
        t.note
      ]),
      ...(report.replication === undefined ? {} : { lead: overallWords(report.replication) })
    })
  }
  return out
}

/** A ramp run: what it decided and did, who changed the rollout last, the alarms it read. */
function rolloutParts(report: Report): { lines: string[]; alarms: string[][] } | undefined {
  const r = report.rollout
  if (r === undefined) return undefined
  const who = [r.run.url === undefined ? '' : `run ${r.run.url}`, r.run.actor ?? '']
    .filter((x) => x !== '')
    .join(' by ')
  return {
    lines: [
      r.summary,
      ...(r.summary.endsWith(r.done) ? [] : [r.done]),
      ...(who === '' ? [] : [`Rollout last changed by ${who}.`]),
      ...(r.deployment === undefined ? [] : [`Recorded as GitHub ${r.deployment}.`])
    ],
    alarms: r.alarms.map((a) => [a.name, a.region, a.state, a.since, a.reason])
  }
}

const ALARM_HEADER = ['alarm', 'region', 'state', 'since', 'reason']

function nothingToChange(report: Report): boolean {
  return (
    report.plan.length === 0 &&
    report.command === 'publish' &&
    report.errors.length === 0 &&
    report.rollout === undefined
  )
}

// ---------------------------------------------------------------------------------------------
// Markdown (the job summary, and the CLI's --summary FILE)

/** Escapes text for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

function quote(kind: 'CAUTION' | 'WARNING' | 'NOTE', text: string): string {
  return `> [!${kind}]\n> ${text.split('\n').join('\n> ')}`
}

/**
 * The ratio as a mermaid pie, blue slice blue and green slice green. Mermaid hands out pie1,
 * pie2, … in the order it draws the slices, largest first (ties keep their order), so the larger
 * side is listed first and takes pie1.
 */
export function pie(weights: Weights): string {
  const p = percents(weights)
  const slices: ['blue' | 'green', string][] =
    weights.green > weights.blue
      ? [
          ['green', p.green],
          ['blue', p.blue]
        ]
      : [
          ['blue', p.blue],
          ['green', p.green]
        ]
  const themeVariables = Object.fromEntries(
    slices.map(([colour], i) => [`pie${i + 1}`, COLOURS[colour]])
  )
  // Mermaid draws slices at 70 % opacity unless told: full opacity keeps them GitHub's blue and green.
  const init = {
    theme: 'base',
    themeVariables: { ...themeVariables, pieOpacity: '1', pieStrokeColor: '#ffffff' }
  }
  return [
    '```mermaid',
    `%%{init: ${JSON.stringify(init)}}%%`,
    `pie showData title Traffic ${formatRatio(weights)} (blue:green)`,
    ...slices.map(([colour, value]) => `    "${colour}" : ${value}`),
    '```'
  ].join('\n')
}

export function renderSummary(report: Report): string {
  const parts: string[] = [`## ${title(report)}`]
  if (report.errors.length === 1) {
    parts.push(quote('CAUTION', `The run failed: ${report.errors[0] ?? ''}`))
  } else if (report.errors.length > 1) {
    parts.push(
      quote(
        'CAUTION',
        `The run failed (${report.errors.length} problems):\n${report.errors.map((e) => `- ${e.split('\n').join(' ')}`).join('\n')}`
      )
    )
  }
  if (report.weights !== undefined) parts.push(pie(report.weights))
  const state = stateParts(report)
  if (state !== undefined) {
    parts.push(`**State:** \`${state.state}\` · **Changed:** ${state.changed}`)
  }
  const rollout = rolloutParts(report)
  if (rollout !== undefined) {
    parts.push('### Rollout', rollout.lines.join('\n\n'))
    if (rollout.alarms.length > 0) parts.push(markdownTable(ALARM_HEADER, rollout.alarms))
  }
  for (const w of report.warnings) parts.push(quote('WARNING', w))
  for (const section of tables(report)) {
    parts.push(`### ${section.title}`)
    if (section.lead !== undefined) parts.push(`**${section.lead}**`)
    parts.push(markdownTable(section.header, section.rows))
    if (section.footnote !== undefined) parts.push(section.footnote.replace('manual', '**manual**'))
  }
  if (nothingToChange(report)) parts.push('Nothing to change: AWS already matches the request.')
  if (report.links.length > 0) {
    parts.push(report.links.map((l) => `- [${l.label}](${l.url})`).join('\n'))
  }
  for (const n of report.notes) parts.push(n)
  return `${parts.join('\n\n')}\n`
}

// ---------------------------------------------------------------------------------------------
// Plain text (the CLI on a terminal)

export interface TextOptions {
  /** ANSI colours (only on a terminal that wants them). */
  colour: boolean
  /** Columns to fit the plan into (the terminal's width; default 100). */
  width?: number
}

const ANSI = {
  bold: '\u001b[1m',
  blue: '\u001b[34m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  red: '\u001b[31m',
  dim: '\u001b[2m',
  reset: '\u001b[0m'
} as const

/** Columns padded to their widest cell; the last column is not padded. */
function textTable(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows].map((r) => r.map((c) => c.replace(/\r?\n/g, ' ')))
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(all[0] ?? []), line(widths.map((w) => '-'.repeat(w))), ...all.slice(1).map(line)]
}

/** Breaks text into lines of at most `width` characters (longer words stay whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(line)
  return lines
}

const STATUS_COLOUR = {
  done: 'green',
  planned: 'blue',
  skipped: 'dim',
  failed: 'red'
} as const satisfies Record<StepStatus, keyof typeof ANSI>

/** The plan as a numbered list: status, then the step wrapped, and its resource below. */
function planList(
  report: Report,
  width: number,
  paint: (colour: keyof typeof ANSI, s: string) => string
): string[] {
  const number = String(report.plan.length).length
  const indent = number + 2 + 'planned'.length + 2
  const text = Math.max(30, width - indent)
  return report.plan.flatMap((step, i) => {
    const [first = '', ...rest] = wrap(step.description, text)
    const head = `${String(i + 1).padStart(number)}  ${paint(STATUS_COLOUR[step.status], step.status.padEnd(7))}  ${first}`
    const pad = ' '.repeat(indent)
    return [
      head,
      ...rest.map((l) => `${pad}${l}`),
      ...wrap(step.resource, text).map((l) => `${pad}${paint('dim', l)}`)
    ]
  })
}

/** A bar of 40 cells, blue then green, in proportion to the weights. */
function bar(weights: Weights, paint: (colour: keyof typeof ANSI, s: string) => string): string {
  const width = 40
  const blue = Math.round((weights.blue * width) / (weights.blue + weights.green))
  return paint('blue', '█'.repeat(blue)) + paint('green', '█'.repeat(width - blue))
}

export function renderText(report: Report, options: TextOptions): string {
  const paint = (colour: keyof typeof ANSI, s: string): string =>
    options.colour ? `${ANSI[colour]}${s}${ANSI.reset}` : s
  const lines: string[] = [paint('bold', title(report)), '']
  for (const e of report.errors) lines.push(paint('red', `error: ${e}`), '')
  if (report.weights !== undefined) {
    const p = percents(report.weights)
    lines.push(
      `Traffic ${formatRatio(report.weights)}  ${paint('blue', `blue ${p.blue} %`)} · ${paint('green', `green ${p.green} %`)}`,
      bar(report.weights, paint)
    )
  }
  const state = stateLine(report)
  if (state !== undefined) lines.push(state)
  if (lines[lines.length - 1] !== '') lines.push('')
  const rollout = rolloutParts(report)
  if (rollout !== undefined) {
    lines.push(paint('bold', 'Rollout'), ...rollout.lines)
    if (rollout.alarms.length > 0) lines.push(...textTable(ALARM_HEADER, rollout.alarms))
    lines.push('')
  }
  for (const w of report.warnings) lines.push(paint('yellow', `warning: ${w}`), '')
  for (const section of tables(report)) {
    const body =
      section.key === 'plan'
        ? planList(report, options.width ?? 100, paint)
        : textTable(section.header, section.rows)
    lines.push(paint('bold', section.title))
    if (section.lead !== undefined) lines.push(section.lead)
    lines.push(...body)
    if (section.footnote !== undefined) lines.push(paint('dim', section.footnote))
    lines.push('')
  }
  if (nothingToChange(report)) lines.push('Nothing to change: AWS already matches the request.', '')
  const labelWidth = Math.max(0, ...report.links.map((l) => l.label.length))
  for (const l of report.links) lines.push(`${l.label.padEnd(labelWidth)}  ${l.url}`)
  if (report.links.length > 0) lines.push('')
  for (const n of report.notes) lines.push(n, '')
  return `${lines.join('\n').trimEnd()}\n`
}
