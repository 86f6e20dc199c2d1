/**
 * The built action, run as the runner runs it. Bad input must fail before any request reaches
 * AWS: the endpoint here is a local server that counts every request it receives.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runAction } from './helpers/action.js'
import { emulatorEndpoint } from './helpers/emulator.js'

let server: Server
let requests: string[] = []
let countingEndpoint = ''

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`)
    res.writeHead(500).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  countingEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(() => {
  requests = []
})

const valid = {
  command: 'publish',
  blue: 'stage:abcd1234',
  green: 'prod:wxyz0987',
  ratio: '9:1',
  'domain-name': 'www.deep.mg'
}

describe('node dist/index.js', () => {
  it.each([
    ['ratio', { ratio: 'abc' }],
    ['ratio', { ratio: '0:0' }],
    ['green-percent', { 'blue-percent': '40', 'green-percent': '40', ratio: '' }],
    ['domain-name', { 'domain-name': 'https://www.deep.mg' }],
    ['green', { green: 'stage:abcd1234' }],
    ['dry-run', { 'dry-run': 'maybe' }],
    ['command', { command: 'rollout' }]
  ])('fails on bad %s without sending any request', async (input, bad) => {
    const run = await runAction({ ...valid, ...bad }, { AWS_ENDPOINT_URL: countingEndpoint })
    expect(run.code).not.toBe(0)
    expect(run.stdout).toMatch(new RegExp(`::error::.*input '${input}'`))
    expect(requests).toEqual([])
    expect(run.outputs.changed).toBe('false')
    expect(run.summary).toContain('The run failed')
  })

  it('reaches AWS (the emulator) with valid input and fails with an actionable message when blue does not exist', async () => {
    const run = await runAction(
      { ...valid, 'dry-run': 'true' },
      { AWS_ENDPOINT_URL: emulatorEndpoint() }
    )
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::.*stage:abcd1234/)
    expect(run.outputs.changed).toBe('false')
  })
})
