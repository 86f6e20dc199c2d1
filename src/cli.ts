/**
 * `bluegreen`: the action's commands from a terminal, with the same names as flags.
 *   bluegreen publish --blue E1.. --green E2.. --ratio 9:1 --domain-name www.deep.mg
 *   bluegreen replicate prepare --blue stage:abcd1234 --green prod:wxyz0987
 * Exit codes: 0 success, 1 failure, 2 usage error (nothing was changed).
 */
import { writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline/promises'
import { parseArgs } from 'node:util'
import { describeError, describeProblems } from './errors.js'
import { DEFAULT_RATIO_NOTICE, githubRunOf, reportingLogger, usesDefaultRatio } from './front.js'
import { ACTION_INPUTS, type ActionInput } from './help.js'
import {
  BOOLEAN_INPUTS,
  COMMANDS,
  INPUT_NAMES,
  InputError,
  parseInputs,
  type InputName,
  type RawInputs
} from './inputs.js'
import type { Logger } from './log.js'
import { newReport } from './report.js'
import { renderSummary, renderText, wrap } from './summary.js'
import { VERSION } from './version.js'

/** Flags of the CLI alone (not action inputs). */
const CLI_FLAGS = [
  { name: 'summary', value: '<file>', description: 'Also write the markdown job summary to FILE.' },
  { name: 'version', value: '', description: 'Print the version and exit.' },
  { name: 'help', value: '', description: 'Print this help and exit (also -h).' }
] as const

const FLAG_NAMES: readonly string[] = [
  ...INPUT_NAMES.filter((n) => n !== 'command'),
  ...CLI_FLAGS.map((f) => f.name)
]

/** One flag: its name column, then the description (and default) wrapped beside it. */
function flagLines(name: string, description: string): string[] {
  const column = 30
  const text = wrap(description, 100 - column)
  const head = `  ${name}`
  const [first = '', ...rest] = text
  const lines =
    head.length < column
      ? [`${head.padEnd(column)}${first}`]
      : [head, `${' '.repeat(column)}${first}`]
  return [...lines, ...rest.map((l) => `${' '.repeat(column)}${l}`)]
}

/** --help: the usage, then every flag with its description and default from action.yml. */
export function usage(inputs: readonly ActionInput[] = ACTION_INPUTS, version = VERSION): string {
  const flags = inputs
    .filter((i) => i.name !== 'command')
    .flatMap((i) => {
      const boolean = BOOLEAN_INPUTS.includes(i.name as InputName)
      const value = boolean ? ' [true|false]' : ' <value>'
      const notes = [
        ...(i.required ? ['Required.'] : []),
        ...(i.default !== undefined && i.default !== '' ? [`Default: ${i.default}.`] : [])
      ]
      return flagLines(`--${i.name}${value}`, [i.description, ...notes].join(' '))
    })
  const cliFlags = CLI_FLAGS.flatMap((f) =>
    flagLines(`--${f.name}${f.value === '' ? '' : ` ${f.value}`}`, f.description)
  )
  return [
    `bluegreen ${version}: shift CloudFront traffic between blue and green, replicate their data`,
    '',
    'Usage:',
    '  bluegreen publish --blue <ref> --green <ref> --domain-name <host> [--ratio B:G] [options]',
    `  bluegreen replicate <${COMMANDS.filter((c) => c.startsWith('replicate '))
      .map((c) => c.slice('replicate '.length))
      .join('|')}> --blue <ref> --green <ref> [options]`,
    '',
    '<ref> is a CloudFront distribution id, an alias it holds (www1.deep.mg) or env:hash (prod:wxyz0987).',
    '',
    'Options (the action inputs of the same names; a boolean flag alone means true):',
    ...flags,
    '',
    'Options of the CLI:',
    ...cliFlags,
    '',
    'Examples:',
    '  bluegreen publish --blue stage:abcd1234 --green prod:wxyz0987 --ratio 9:1 --domain-name www.deep.mg',
    '  bluegreen publish --blue E2QWRUHAPOMQZL --green E1ABCDEF123456 --ratio 0:1 --domain-name www.deep.mg --dry-run',
    '  bluegreen replicate status --blue stage:abcd1234 --green prod:wxyz0987 --summary status.md',
    '',
    'AWS credentials and region come from the usual AWS_* variables and profiles.',
    'Exit codes: 0 success, 1 failure, 2 usage error (nothing was changed).'
  ].join('\n')
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Edit distance (insertions, deletions, substitutions, and swaps of two neighbours). */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  )
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[]
      row[j] = Math.min(
        at(i - 1, j) + 1,
        at(i, j - 1) + 1,
        at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1),
        i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]
          ? at(i - 2, j - 2) + 1
          : Infinity
      )
    }
  }
  return at(a.length, b.length)
}

/** The closest candidate, when it is close enough to be what was meant. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const prefixed = candidates.filter((c) => c.startsWith(word) || word.startsWith(c))
  if (word.length >= 3 && prefixed.length === 1) return prefixed[0]
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const dist = distance(word, c)
    if (dist < bestDistance) {
      best = c
      bestDistance = dist
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

function suggestion(word: string, candidates: readonly string[], prefix = ''): string {
  const guess = closest(word, candidates)
  return guess === undefined ? '' : `; did you mean '${prefix}${guess}'?`
}

/** Unknown flags, found before parseArgs (whose own message is long and has no suggestion). */
function checkFlags(argv: string[]): void {
  for (const arg of argv) {
    if (arg === '--') return
    if (!arg.startsWith('--')) continue
    const name = arg.slice(2).split('=')[0] ?? ''
    if (!FLAG_NAMES.includes(name)) {
      throw new UsageError(`unknown flag '--${name}'${suggestion(name, FLAG_NAMES, '--')}`)
    }
  }
}

export type CommandLine =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; raw: RawInputs; summaryFile: string | undefined }

/** Turns argv into the action's raw inputs (or help / version); throws UsageError. */
export function parseCommandLine(argv: string[]): CommandLine {
  checkFlags(argv)
  // A boolean flag standing alone means true.
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    args.push(arg)
    const name = arg.startsWith('--') ? (arg.slice(2) as InputName) : undefined
    const next = argv[i + 1]
    if (
      name !== undefined &&
      BOOLEAN_INPUTS.includes(name) &&
      next !== 'true' &&
      next !== 'false'
    ) {
      args.push('true')
    }
  }
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        summary: { type: 'string' },
        ...Object.fromEntries(
          INPUT_NAMES.filter((n) => n !== 'command').map((n) => [n, { type: 'string' as const }])
        )
      }
    })
  } catch (error) {
    // Node's messages span several sentences: keep the first.
    const message = error instanceof Error ? error.message : String(error)
    throw new UsageError((message.split(/(?<=\.) /)[0] ?? message).replace(/\.$/, ''))
  }
  const { values, positionals } = parsed
  if (values.help === true) return { kind: 'help' }
  if (values.version === true) return { kind: 'version' }
  if (positionals.length === 0) return { kind: 'help' }
  const command = positionals.join(' ')
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(
      `unknown command '${command}'${suggestion(command, COMMANDS) || `; use one of: ${COMMANDS.join(', ')}`}`
    )
  }
  const raw: RawInputs = { command }
  for (const name of INPUT_NAMES) {
    const value = (values as Record<string, unknown>)[name]
    if (typeof value === 'string') raw[name] = value
  }
  return { kind: 'run', raw, summaryFile: values.summary }
}

const terminalLogger: Logger = {
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  debug: (m) => {
    if (process.env.BLUEGREEN_DEBUG === '1') process.stderr.write(`debug: ${m}\n`)
  },
  group: async (title, fn) => {
    process.stderr.write(`== ${title}\n`)
    return fn()
  }
}

async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = (await rl.question(`${question} (Y/n) `)).trim().toLowerCase()
    return answer === '' || answer === 'y' || answer === 'yes'
  } finally {
    rl.close()
  }
}

/** The terminal's streams and prompt, injectable for tests. */
export interface Terminal {
  interactive: boolean
  colour: boolean
  /** Columns of the terminal. */
  width: number
  confirm: (question: string) => Promise<boolean>
}

function processTerminal(): Terminal {
  const interactive = process.stdin.isTTY && process.stderr.isTTY
  const colour =
    process.stdout.isTTY && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb'
  return { interactive, colour, width: process.stdout.columns || 100, confirm: askYesNo }
}

export async function main(
  argv: string[],
  terminal: Terminal = processTerminal()
): Promise<number> {
  let line: CommandLine
  try {
    line = parseCommandLine(argv)
  } catch (error) {
    const message = error instanceof UsageError ? error.message : describeError(error)
    process.stderr.write(`bluegreen: ${message} (see bluegreen --help)\n`)
    return 2
  }
  if (line.kind === 'help') {
    process.stdout.write(`${usage()}\n`)
    return 0
  }
  if (line.kind === 'version') {
    process.stdout.write(`${VERSION}\n`)
    return 0
  }
  const { raw, summaryFile } = line
  const report = newReport(raw.command ?? 'publish', false)
  const log = reportingLogger(terminalLogger, report)
  try {
    const request = parseInputs(raw, {
      defaultRegion: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION
    })
    report.dryRun = request.dryRun
    if (usesDefaultRatio(raw, request)) {
      log.warn(DEFAULT_RATIO_NOTICE)
      if (terminal.interactive && !request.dryRun) {
        const yes = await terminal.confirm('Send all traffic to green (0:1)?')
        if (!yes) {
          process.stderr.write(
            'bluegreen: stopped before any change; give --ratio (such as --ratio 9:1) for a split\n'
          )
          return 2
        }
      }
    }
    const { execute } = await import('./execute.js')
    await execute(request, {
      log,
      report,
      confirm: terminal.interactive ? terminal.confirm : undefined,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      runUrl: undefined,
      github: githubRunOf(process.env)
    })
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`bluegreen: ${error.message}\n`)
      return 2
    }
    report.errors.push(...describeProblems(error))
  }
  for (const w of log.unlogged()) terminalLogger.warn(w)
  process.stdout.write(
    `\n${renderText(report, { colour: terminal.colour, width: terminal.width })}\n`
  )
  for (const [name, value] of Object.entries(report.outputs))
    process.stdout.write(`${name}=${value}\n`)
  process.stdout.write(`changed=${report.changed}\n`)
  if (summaryFile !== undefined) {
    try {
      await writeFile(summaryFile, renderSummary(report))
      process.stderr.write(`summary written to ${summaryFile}\n`)
    } catch (error) {
      process.stderr.write(
        `bluegreen: could not write the summary to ${summaryFile}: ${describeError(error)}\n`
      )
      return 1
    }
  }
  if (report.errors.length > 0) {
    for (const e of report.errors) process.stderr.write(`bluegreen: ${e}\n`)
    return 1
  }
  return 0
}
