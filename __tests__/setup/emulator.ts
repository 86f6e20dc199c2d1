/**
 * Runs in every jest worker before its test files. `npm test` starts one moto server per
 * worker and passes their endpoints in MOTO_ENDPOINTS; this points the worker's AWS SDK at its
 * own emulator (through the SDK's standard AWS_ENDPOINT_URL) and resets it before each file,
 * so files never see each other's resources.
 */
const endpoints = (process.env.MOTO_ENDPOINTS ?? '').split(',').filter(Boolean)
const worker = Number(process.env.JEST_WORKER_ID ?? '1')
const endpoint = endpoints[(worker - 1) % Math.max(endpoints.length, 1)]

if (endpoint !== undefined) {
  process.env.AWS_ENDPOINT_URL = endpoint
  beforeAll(async () => {
    const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' })
    if (!res.ok) throw new Error(`emulator reset failed: HTTP ${res.status}`)
  })
}
