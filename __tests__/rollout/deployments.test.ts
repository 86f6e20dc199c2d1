/**
 * GitHub deployments against a local stand-in for the GitHub API on 127.0.0.1, found through
 * the runner's GITHUB_API_URL: the requests sent (paths, token, bodies) and the statuses a
 * rollout posts run by run, from the ramp decisions of a simulated cron.
 */
import { deploymentPlan } from '../../src/rollout/decide.js'
import { ROLLOUT_TAGS } from '../../src/rollout/tags.js'
import {
  GitHubDeploymentError,
  githubDeployments,
  type GitHubDeployments
} from '../../src/github/deployments.js'
import { type GitHubStandIn, startGitHubStandIn } from '../helpers/github-standin.js'
import { at, DAY, World } from './simulate.js'

let github: GitHubStandIn
let apiUrl = ''
let requests: GitHubStandIn['requests']

beforeAll(async () => {
  github = await startGitHubStandIn()
  apiUrl = github.url
  requests = github.requests
})

afterAll(async () => {
  await github.close()
})

beforeEach(() => {
  github.reset()
})

function withApiUrl<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.GITHUB_API_URL
  process.env.GITHUB_API_URL = apiUrl
  return fn().finally(() => {
    if (saved === undefined) delete process.env.GITHUB_API_URL
    else process.env.GITHUB_API_URL = saved
  })
}

test('creates a deployment of the commit for the environment, through GITHUB_API_URL', async () => {
  const id = await withApiUrl(async () => {
    const gh = await githubDeployments({ token: 'ghs_test', repository: 'deep/site' })
    return gh.create({
      environment: 'production',
      ref: '0123456789abcdef0123456789abcdef01234567',
      description: 'Ramp 10,25,50,100 to www.deep.mg',
      payload: { domain: 'www.deep.mg', ramp: '10,25,50,100' }
    })
  })
  expect(id).toBe(github.lastId())
  expect(requests).toEqual([
    {
      method: 'POST',
      path: '/repos/deep/site/deployments',
      authorization: 'token ghs_test',
      body: {
        ref: '0123456789abcdef0123456789abcdef01234567',
        environment: 'production',
        description: 'Ramp 10,25,50,100 to www.deep.mg',
        payload: { domain: 'www.deep.mg', ramp: '10,25,50,100' },
        task: 'deploy',
        auto_merge: false,
        required_contexts: []
      }
    }
  ])
})

test('posts a status with the domain URL and the run as its log', async () => {
  const gh = await githubDeployments({ token: 't', repository: 'deep/site', apiUrl })
  await gh.setStatus(77, {
    state: 'in_progress',
    description: 'Moving to 25 % green (step 2 of 4)',
    environmentUrl: 'https://www.deep.mg',
    logUrl: 'https://github.com/deep/site/actions/runs/9'
  })
  expect(requests[0]).toMatchObject({
    method: 'POST',
    path: '/repos/deep/site/deployments/77/statuses',
    body: {
      state: 'in_progress',
      description: 'Moving to 25 % green (step 2 of 4)',
      environment_url: 'https://www.deep.mg',
      log_url: 'https://github.com/deep/site/actions/runs/9'
    }
  })
})

test('a token without deployments: write gets the permission to add', async () => {
  github.answer = () => [403, { message: 'Resource not accessible by integration' }]
  const gh = await githubDeployments({ token: 't', repository: 'deep/site', apiUrl })
  const error = await gh
    .create({ environment: 'production', ref: 'main', description: 'd', payload: {} })
    .catch((e: unknown) => e)
  expect(error).toBeInstanceOf(GitHubDeploymentError)
  expect((error as GitHubDeploymentError).status).toBe(403)
  expect((error as Error).message).toContain('permissions: deployments: write')
  expect((error as Error).message).toContain('Resource not accessible by integration')
})

test('a 202 (GitHub merged instead of deploying) is not taken for a deployment', async () => {
  github.answer = () => [202, { message: 'Auto-merged main into topic' }]
  const gh = await githubDeployments({ token: 't', repository: 'deep/site', apiUrl })
  await expect(
    gh.create({ environment: 'production', ref: 'topic', description: 'd', payload: {} })
  ).rejects.toThrow('Auto-merged main into topic')
})

test('refuses a GITHUB_REPOSITORY that is not owner/repo, before any request', async () => {
  await expect(githubDeployments({ token: 't', repository: 'site', apiUrl })).rejects.toThrow(
    'not owner/repo'
  )
  expect(requests).toEqual([])
})

describe('a rollout recorded run by run', () => {
  /** What phase-by-phase wiring does with a decision: create once, a status before and after. */
  async function record(gh: GitHubDeployments, world: World, now: Date, ids: Map<string, number>) {
    const decision = world.run({ ramp: { steps: [10, 25, 50, 100], intervalMs: DAY }, now })
    const plan = deploymentPlan(decision)
    if (plan === undefined) return
    let id = ids.get('rollout')
    if (plan.create || id === undefined) {
      id = await gh.create({
        environment: 'production',
        ref: 'abc',
        description: decision.summary,
        payload: {}
      })
      ids.set('rollout', id)
      // The wiring records the id with the rollout, so later runs reuse the deployment.
      world.tags[ROLLOUT_TAGS.deployment] = String(id)
    }
    const status = { environmentUrl: 'https://www.deep.mg', logUrl: undefined }
    if (plan.start !== undefined) await gh.setStatus(id, { ...plan.start, ...status })
    await gh.setStatus(id, { ...plan.done, ...status })
  }

  test('in_progress at each step, success at 100, nothing on the runs that wait', async () => {
    const gh = await githubDeployments({ token: 't', repository: 'deep/site', apiUrl })
    const world = new World()
    const ids = new Map<string, number>()
    for (let h = 0; h < 96; h++) await record(gh, world, at(h * 3_600_000), ids)
    const deployments = requests.filter((r) => r.path === '/repos/deep/site/deployments')
    const states = requests.filter((r) => r.path.endsWith('/statuses')).map((r) => r.body.state)
    expect(deployments).toHaveLength(1)
    expect(states).toEqual([
      'in_progress',
      'in_progress',
      'in_progress',
      'in_progress',
      'in_progress',
      'in_progress',
      'in_progress',
      'success'
    ])
  })

  test('inactive when an alarm rolls the rollout back', async () => {
    const gh = await githubDeployments({ token: 't', repository: 'deep/site', apiUrl })
    const world = new World()
    const ids = new Map<string, number>()
    world.setAlarm('www-5xx', 'OK', at(-DAY))
    await record(gh, world, at(0), ids)
    world.setAlarm('www-5xx', 'ALARM', at(3_600_000))
    await record(gh, world, at(3_600_000), ids)
    const last = requests[requests.length - 1]
    expect(last?.body).toMatchObject({
      state: 'inactive',
      description: 'Rolled back to all blue: alarm www-5xx in ALARM'
    })
  })
})
