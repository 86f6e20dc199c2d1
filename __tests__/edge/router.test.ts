/**
 * edge/router.ts imported as source (ESM under jest, so no __dirname and no config.json): the
 * module must load without throwing and pass every request to the origin.
 */
import type { ViewerRequestHandler } from '../../edge/decide.js'
import { viewerEvent, viewerRequest } from './fixtures.js'

test('without a readable config the module loads, logs once, and passes requests on', async () => {
  const logged: unknown[][] = []
  const consoleError = console.error
  console.error = (...args: unknown[]) => logged.push(args)
  try {
    const { handler } = await import('../../edge/router.js')
    const request = viewerRequest('/a', 'bluegreen=green')
    // Only the event matters: the handler ignores context and callback.
    const result = await (handler as ViewerRequestHandler)(viewerEvent(request))
    expect(result).toBe(request)
    expect(logged).toEqual([
      ['bluegreen router: no valid config.json, passing requests to the origin']
    ])
  } finally {
    console.error = consoleError
  }
})
