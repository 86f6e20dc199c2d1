/** The dynalite server this jest worker uses (started by `npm test`, see scripts/dynalite.mjs). */
export function dynaliteEndpoint(): string {
  const endpoints = (process.env.DYNALITE_ENDPOINTS ?? '').split(',').filter(Boolean)
  const worker = Number(process.env.JEST_WORKER_ID ?? '1')
  const endpoint = endpoints[(worker - 1) % Math.max(endpoints.length, 1)]
  if (endpoint === undefined) {
    throw new Error('No dynalite: run the tests with `npm test`, which starts it on 127.0.0.1.')
  }
  return endpoint
}
