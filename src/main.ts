/**
 * The action: inputs → command → outputs and job summary. The only module that uses
 * @actions/core; domain code reports through the Logger and the Report.
 */
import * as core from '@actions/core'
import { describeError } from './errors.js'
import { INPUT_NAMES, parseInputs, type RawInputs } from './inputs.js'
import type { Logger } from './log.js'
import { newReport, type Report } from './report.js'
import { renderSummary } from './summary.js'

export async function run(): Promise<void> {
  const report = newReport(core.getInput('command') || 'publish', false)
  try {
    const request = parseInputs(readInputs(), {
      defaultRegion: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION
    })
    report.dryRun = request.dryRun
    const { execute } = await import('./execute.js')
    await execute(request, {
      log: actionsLogger,
      report,
      confirm: undefined,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      runUrl: await runUrl()
    })
  } catch (error) {
    report.error = describeError(error)
    core.setFailed(report.error)
  } finally {
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
