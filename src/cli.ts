/**
 * `bluegreen`: the action's commands from a terminal, with the same names as flags.
 *   bluegreen publish --blue E1.. --green E2.. --ratio 9:1 --domain-name www.deep.mg
 *   bluegreen replicate prepare --blue stage:abcd1234 --green prod:wxyz0987
 * Exit codes: 0 success, 1 failure, 2 usage error (nothing was changed).
 */
import { createInterface } from 'node:readline/promises'
import { parseArgs } from 'node:util'
import { describeError } from './errors.js'
import {
  COMMANDS,
  INPUT_NAMES,
  InputError,
  parseInputs,
  type InputName,
  type RawInputs
} from './inputs.js'
import type { Logger } from './log.js'
import { newReport } from './report.js'
import { renderSummary } from './summary.js'
import { VERSION } from './version.js'

const BOOLEAN_INPUTS: readonly InputName[] = [
  'update-green-alias',
  'data-replicate',
  'cleanup',
  'dry-run',
  'wait',
  'overwrite-green',
  'replay-over-green-writes'
]

export const USAGE = `bluegreen ${VERSION}: shift CloudFront traffic between blue and green, replicate their data

Usage:
  bluegreen publish --blue <ref> --green <ref> --domain-name <host> [--ratio B:G] [options]
  bluegreen replicate <prepare|status|start|stop|terminate|verify|repair> --blue <ref> --green <ref> [options]

<ref> is a CloudFront distribution id, an alias it holds (www1.deep.mg) or env:hash (prod:wxyz0987).
Every action input is a flag of the same name (see README): ${INPUT_NAMES.filter(
  (n) => n !== 'command'
)
  .map((n) => `--${n}`)
  .join(' ')}
Boolean flags may stand alone (--dry-run) or take true/false (--wait false).

Examples:
  bluegreen publish --blue stage:abcd1234 --green prod:wxyz0987 --ratio 9:1 --domain-name www.deep.mg
  bluegreen publish --blue E2QWRUHAPOMQZL --green E1ABCDEF123456 --ratio 0:1 --domain-name www.deep.mg --dry-run

AWS credentials and region come from the usual AWS_* variables and profiles.
Exit codes: 0 success, 1 failure, 2 usage error.`

class UsageError extends Error {}

/** Turns argv into the action's raw inputs. */
export function parseCommandLine(argv: string[]): RawInputs | 'help' {
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
        ...Object.fromEntries(
          INPUT_NAMES.filter((n) => n !== 'command').map((n) => [n, { type: 'string' as const }])
        )
      }
    })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  if (values.help === true || positionals.length === 0) return 'help'
  const command = positionals.join(' ')
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command '${command}'; use one of: ${COMMANDS.join(', ')}`)
  }
  const raw: RawInputs = { command }
  for (const name of INPUT_NAMES) {
    const value = (values as Record<string, unknown>)[name]
    if (typeof value === 'string') raw[name] = value
  }
  return raw
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

export async function main(argv: string[]): Promise<number> {
  let raw: RawInputs | 'help'
  try {
    raw = parseCommandLine(argv)
  } catch (error) {
    process.stderr.write(`bluegreen: ${describeError(error)}\nRun 'bluegreen --help' for usage.\n`)
    return 2
  }
  if (raw === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const report = newReport(raw.command ?? 'publish', false)
  try {
    const request = parseInputs(raw, {
      defaultRegion: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION
    })
    report.dryRun = request.dryRun
    const interactive = process.stdin.isTTY && process.stderr.isTTY
    const { execute } = await import('./execute.js')
    await execute(request, {
      log: terminalLogger,
      report,
      confirm: interactive ? askYesNo : undefined,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      runUrl: undefined
    })
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`bluegreen: ${error.message}\n`)
      return 2
    }
    report.error = describeError(error)
  }
  process.stdout.write(renderSummary(report))
  for (const [name, value] of Object.entries(report.outputs))
    process.stdout.write(`${name}=${value}\n`)
  process.stdout.write(`changed=${report.changed}\n`)
  if (report.error !== undefined) {
    process.stderr.write(`bluegreen: ${report.error}\n`)
    return 1
  }
  return 0
}
