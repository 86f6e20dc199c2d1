/**
 * The action: inputs → command → outputs and job summary. The only module that uses
 * @actions/core; domain code reports through the Logger and the Report.
 */
import * as core from '@actions/core'
import { describeError, describeProblems } from './errors.js'
import { DEFAULT_RATIO_NOTICE, githubRunOf, reportingLogger, usesDefaultRatio } from './front.js'
import { INPUT_NAMES, parseInputs, type RawInputs } from './inputs.js'
import type { Logger } from './log.js'
import { newReport, type Report } from './report.js'
import { renderSummary } from './summary.js'

export async function run(): Promise<void> {
  const report = newReport(core.getInput('command') || 'publish', false)
  const log = reportingLogger(actionsLogger, report)
  try {
    const raw = readInputs()
    const request = parseInputs(raw, {
      defaultRegion: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION
    })
    report.dryRun = request.dryRun
    if (usesDefaultRatio(raw, request)) log.warn(DEFAULT_RATIO_NOTICE)
    const { execute } = await import('./execute.js')
    await execute(request, {
      log,
      report,
      confirm: undefined,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      runUrl: await runUrl(),
      github: githubRunOf(process.env)
    })
  } catch (error) {
    // After what the run already reported (an alarm that rolled a ramp back, say).
    report.errors.push(...describeProblems(error))
  } finally {
    annotate(report, log.unlogged())
    setOutputs(report)
    await writeSummary(report)
  }
}

function readInputs(): RawInputs {
  return Object.fromEntries(INPUT_NAMES.map((name) => [name, core.getInput(name)]))
}

const actionsLogger: Logger = {
  info: (m) => {
    core.info(m)
  },
  warn: (m) => {
    core.warning(m)
  },
  debug: (m) => {
    core.debug(m)
  },
  group: (title, fn) => core.group(title, fn)
}

/**
 * One annotation per problem: each of the summary's warnings not yet logged becomes a warning,
 * each error an error (setFailed would join them into one).
 */
function annotate(report: Report, unloggedWarnings: string[]): void {
  for (const w of unloggedWarnings) core.warning(w)
  for (const e of report.errors) core.error(e)
  if (report.errors.length > 0) process.exitCode = core.ExitCode.Failure
}

/** The workflow run's URL (loaded lazily: @actions/github is large and only needed here). */
async function runUrl(): Promise<string | undefined> {
  const { context } = await import('@actions/github')
  const { serverUrl, runId } = context
  const repo = process.env.GITHUB_REPOSITORY
  return repo !== undefined && runId ? `${serverUrl}/${repo}/actions/runs/${runId}` : undefined
}

function setOutputs(report: Report): void {
  for (const [name, value] of Object.entries(report.outputs)) core.setOutput(name, value)
  core.setOutput('changed', String(report.changed))
}

async function writeSummary(report: Report): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY === undefined) return
  try {
    await core.summary.addRaw(renderSummary(report)).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${describeError(error)}`)
  }
}
