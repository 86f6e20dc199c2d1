import type { Clients } from './aws/clients.js'
import type { Logger } from './log.js'
import type { Report } from './report.js'

/** Everything a command needs from the outside world, injected so tests can replace it. */
export interface Context {
  clients: Clients
  log: Logger
  /** The run's report: commands fill it in as they go. */
  report: Report
  /**
   * Asks the operator a yes/no question (the CLI on a terminal). Undefined in the action and
   * without a TTY: there the explicit input (update-green-alias, cleanup) is the answer.
   */
  confirm: ((question: string) => Promise<boolean>) | undefined
  now: () => Date
  /** Waits; injectable so tests and waiters need not sleep for real. */
  sleep: (ms: number) => Promise<void>
  /** URL of the workflow run (recorded on the router's tags), when known. */
  runUrl: string | undefined
  /** The workflow run's facts, when the runner gave them (a rollout records them). */
  github?: GitHubRun | undefined
}

/** What the runner tells about the run (GITHUB_ACTOR, GITHUB_SHA, GITHUB_REPOSITORY). */
export interface GitHubRun {
  /** The login that started the run. */
  actor: string | undefined
  /** The commit the run is for. */
  sha: string | undefined
  /** owner/repo */
  repository: string | undefined
}
