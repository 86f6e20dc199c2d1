/**
 * GitHub deployments for rollouts, through @actions/github's Octokit: one deployment per rollout
 * for an environment (default production) with the domain's URL, and a status per run
 * (in_progress, success, failure, inactive on rollback). The API base is the runner's standard
 * GITHUB_API_URL (GitHub Enterprise Server sets it too), so tests point it at a local stand-in.
 * The job needs `permissions: deployments: write` for github.token.
 */
import { VERSION } from '../version.js'
import type { DeploymentState } from '../rollout/types.js'

export interface NewDeployment {
  environment: string
  /** The commit being deployed (GITHUB_SHA). */
  ref: string
  description: string
  /** Recorded with the deployment (ratio, ramp, distributions). */
  payload: Record<string, string>
}

export interface DeploymentStatus {
  state: DeploymentState
  /** At most 140 characters. */
  description: string
  /** Where the environment is served: https://<domain-name>. */
  environmentUrl: string
  /** The workflow run. */
  logUrl: string | undefined
}

/** The two calls a rollout makes; tests may implement it, the action uses githubDeployments. */
export interface GitHubDeployments {
  create(deployment: NewDeployment): Promise<number>
  setStatus(id: number, status: DeploymentStatus): Promise<void>
}

/** A GitHub API failure, with what the operator should change. */
export class GitHubDeploymentError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined
  ) {
    super(message)
    this.name = 'GitHubDeploymentError'
  }
}

export interface GitHubOptions {
  token: string
  /** owner/repo (GITHUB_REPOSITORY). */
  repository: string
  /** Default: GITHUB_API_URL, else https://api.github.com. */
  apiUrl?: string | undefined
}

/** The GitHub deployments of `repository`. */
export async function githubDeployments(options: GitHubOptions): Promise<GitHubDeployments> {
  const [owner, repo, extra] = options.repository.split('/')
  if (
    owner === undefined ||
    repo === undefined ||
    owner === '' ||
    repo === '' ||
    extra !== undefined
  ) {
    throw new GitHubDeploymentError(
      `GITHUB_REPOSITORY is ${JSON.stringify(options.repository)}, not owner/repo: GitHub deployments need the repository of the workflow run.`,
      undefined
    )
  }
  // Loaded only when a deployment is recorded: @actions/github is large.
  const { getOctokit } = await import('@actions/github')
  const octokit = getOctokit(options.token, {
    baseUrl: options.apiUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com',
    userAgent: `bluegreen-action/${VERSION}`
  })
  const where = `${owner}/${repo}`
  return {
    async create(d) {
      const res = await call(`create a deployment in ${where}`, () =>
        octokit.rest.repos.createDeployment({
          owner,
          repo,
          ref: d.ref,
          environment: d.environment,
          description: d.description.slice(0, 140),
          payload: d.payload,
          task: 'deploy',
          // Deploy exactly this commit: no merge of the default branch, no status checks.
          auto_merge: false,
          required_contexts: []
        })
      )
      if (!('id' in res.data)) {
        throw new GitHubDeploymentError(
          `GitHub did not create a deployment in ${where}: ${res.data.message ?? `HTTP ${res.status}`}`,
          res.status
        )
      }
      return res.data.id
    },
    async setStatus(id, s) {
      await call(`set deployment ${id} of ${where} to ${s.state}`, () =>
        octokit.rest.repos.createDeploymentStatus({
          owner,
          repo,
          deployment_id: id,
          state: s.state,
          description: s.description.slice(0, 140),
          environment_url: s.environmentUrl,
          ...(s.logUrl === undefined ? {} : { log_url: s.logUrl })
        })
      )
    }
  }
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    const status =
      typeof error === 'object' &&
      error !== null &&
      'status' in error &&
      typeof error.status === 'number'
        ? error.status
        : undefined
    const detail = error instanceof Error ? error.message : String(error)
    const fix =
      status === 401
        ? 'the token is not valid: pass github-token: ${{ github.token }}.'
        : status === 403
          ? 'the token may not write deployments: give the job permissions: deployments: write.'
          : status === 404
            ? 'the repository or deployment was not found: check github-token belongs to this repository.'
            : 'GitHub answered with an error; the traffic change itself is not affected.'
    throw new GitHubDeploymentError(`Could not ${what} (${detail}): ${fix}`, status)
  }
}
