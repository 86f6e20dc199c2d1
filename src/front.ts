/**
 * What the action (main.ts) and the CLI (cli.ts) share around a run: the notice when publish
 * falls back to the default ratio, and a logger that keeps the log's warnings and the summary's
 * warnings the same list.
 */
import type { GitHubRun } from './context.js'
import type { RawInputs, Request } from './inputs.js'
import type { Logger } from './log.js'
import type { Report } from './report.js'

/**
 * True when none of ratio, blue-percent, green-percent was given (publish then uses 0:1); a
 * ramp's weights come from its steps, so a ramp run does not use the default.
 */
export function usesDefaultRatio(raw: RawInputs, request: Request): boolean {
  return (
    request.command === 'publish' &&
    request.ramp === undefined &&
    (['ratio', 'blue-percent', 'green-percent'] as const).every(
      (name) => (raw[name] ?? '').trim() === ''
    )
  )
}

export const DEFAULT_RATIO_NOTICE =
  'No ratio given (ratio, blue-percent and green-percent are all empty): using the default 0:1, which sends all traffic to green. Give ratio (such as 9:1) to split it.'

/**
 * A logger whose warnings also go into the report (once each), so every warning in the log is in
 * the summary. `unlogged()` lists the summary's warnings that never went through the log (those
 * the commands put straight into the report), so that the caller can log them too.
 */
export function reportingLogger(base: Logger, report: Report): Logger & { unlogged(): string[] } {
  const logged = new Set<string>()
  return {
    info: (m) => {
      base.info(m)
    },
    debug: (m) => {
      base.debug(m)
    },
    group: (title, fn) => base.group(title, fn),
    warn: (m) => {
      logged.add(m)
      base.warn(m)
      if (!report.warnings.includes(m)) report.warnings.push(m)
    },
    unlogged: () => report.warnings.filter((w) => !logged.has(w))
  }
}

/** The run's facts from the runner's variables (GITHUB_ACTOR, GITHUB_SHA, GITHUB_REPOSITORY). */
export function githubRunOf(env: NodeJS.ProcessEnv): GitHubRun | undefined {
  const pick = (name: string): string | undefined => {
    const value = env[name]
    return value === undefined || value === '' ? undefined : value
  }
  const run = {
    actor: pick('GITHUB_ACTOR'),
    sha: pick('GITHUB_SHA'),
    repository: pick('GITHUB_REPOSITORY')
  }
  return Object.values(run).every((v) => v === undefined) ? undefined : run
}
