/**
 * Until publish acts on them, the rollout inputs are refused by the built action before any AWS
 * call: a ramp must never fall back to the ratio default (all green), nor a gate be skipped.
 */
import { runAction } from '../helpers/action.js'

const base = { blue: 'stage:abcd1234', green: 'prod:wxyz0987', 'domain-name': 'www.deep.mg' }

test.each([
  [{ ramp: '10,50,100' }, 'ramp'],
  [{ 'rollback-alarms': 'www-5xx' }, 'rollback-alarms'],
  [{ 'github-token': 'ghs_x', ratio: '9:1' }, 'github-token']
])('refuses %o and changes nothing', async (inputs, name) => {
  // Port 9 (discard) on loopback: any AWS call would fail differently.
  const run = await runAction({ ...base, ...inputs }, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' })
  expect(run.code).not.toBe(0)
  expect(run.stdout).toContain(`${name}: not available in this build of the action yet`)
  expect(run.outputs.changed).toBe('false')
})
