/** The emulator this jest worker uses (set by __tests__/setup/emulator.ts from `npm test`). */
export function emulatorEndpoint(): string {
  const endpoint = process.env.AWS_ENDPOINT_URL
  if (endpoint === undefined || !endpoint.startsWith('http://127.0.0.1:')) {
    throw new Error('No emulator: run the tests with `npm test`, which starts moto on 127.0.0.1.')
  }
  return endpoint
}
