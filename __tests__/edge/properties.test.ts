/**
 * Property tests: whatever the viewer sends, the handler never throws, never falls back on a
 * well-formed event, and any Location it returns stays on a configured host.
 */
import fc from 'fast-check'
import type {
  CloudFrontHeaders,
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontRequestResult
} from 'aws-lambda'
import { type RouterConfig, validateConfig } from '../../edge/config.js'
import { createHandler } from '../../edge/decide.js'
import { CONFIG, viewerEvent, viewerRequest } from './fixtures.js'

const RUNS = 3000

/** Characters that matter to URLs and headers, plus anything else. */
const nastyChar = fc.oneof(
  fc.constantFrom('/', '\\', '?', '#', '%', '&', '=', '@', ':', '.', ' ', '+', '"', ';', ','),
  fc.constantFrom('\r', '\n', '\0', '\t', '\u007f', '\u0085', '\u2028', '\ud800', '\udfff'),
  fc.constantFrom('bluegreen', 'blue', 'green', '%0d%0a', '%2F', '//', 'evil.example'),
  fc.string({ unit: 'binary', maxLength: 1 }),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code))
)
const nastyString = fc.array(nastyChar, { maxLength: 24 }).map((parts) => parts.join(''))

const colourish = fc.oneof(
  fc.constantFrom('blue', 'green', 'GREEN', ' blue ', '"green"', 'purple', ''),
  nastyString
)

const cookieHeader = fc
  .array(fc.tuple(fc.constantFrom('bluegreen', 'bg', 'other', ' bluegreen'), colourish), {
    maxLength: 4
  })
  .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('; '))

const headerPairs: fc.Arbitrary<Array<[string, string]>> = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('cookie'), fc.oneof(cookieHeader, nastyString)),
    fc.tuple(fc.constant('x-bluegreen'), colourish),
    fc.tuple(fc.constantFrom('host', 'x-forwarded-host', 'referer'), nastyString),
    fc.tuple(nastyString, nastyString)
  ),
  { maxLength: 6 }
)

const query = fc.oneof(
  nastyString,
  fc
    .array(fc.tuple(fc.oneof(fc.constant('bluegreen'), nastyString), colourish), { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'))
)

const config: fc.Arbitrary<RouterConfig> = fc
  .record({
    version: fc.string({ minLength: 1, maxLength: 10 }),
    blueHost: fc.domain(),
    greenHost: fc.domain(),
    weights: fc.record({ blue: fc.nat(1000), green: fc.nat(1000) }),
    cookieName: fc.constantFrom('bluegreen', 'bg', '__Host-bg'),
    cookieMaxAgeSeconds: fc.integer({ min: 1, max: 400 * 86400 })
  })
  .map((value) => validateConfig(value))
  .filter((value): value is RouterConfig => value !== undefined)

function toHeaders(pairs: Array<[string, string]>): CloudFrontHeaders {
  const out: CloudFrontHeaders = {}
  for (const [key, value] of pairs) {
    const name = key.toLowerCase()
    out[name] = [...(out[name] ?? []), { key, value }]
  }
  return out
}

const request: fc.Arbitrary<CloudFrontRequest> = fc
  .record({
    uri: fc.oneof(
      nastyString,
      nastyString.map((s) => '/' + s)
    ),
    query,
    headerPairs
  })
  .map(({ uri, query: querystring, headerPairs: pairs }) => ({
    clientIp: '198.51.100.7',
    method: 'GET',
    uri,
    querystring,
    headers: toHeaders(pairs)
  }))

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

const URL_SAFE = Array.from("abcXYZ019-._~!$&'()*+,;=:@")

function locationOf(result: CloudFrontRequestResult): string | undefined {
  if (result === null || result === undefined || !('status' in result)) return undefined
  return result.headers?.location?.[0]?.value
}

function headerValues(headers: CloudFrontHeaders | undefined): string[] {
  return Object.values(headers ?? {}).flatMap((entries) => entries.map((entry) => entry.value))
}

describe('router handler properties', () => {
  test('any request gets a 302 whose Location stays on a configured host', async () => {
    await fc.assert(
      fc.asyncProperty(
        config,
        request,
        fc.double({ min: 0, max: 1, maxExcluded: true }),
        async (cfg, req, r) => {
          const errors: unknown[] = []
          const handler = createHandler(cfg, { random: () => r, onError: (e) => errors.push(e) })
          const result = await handler(viewerEvent(req))
          expect(errors).toEqual([])
          if (result === null || result === undefined || !('status' in result)) {
            throw new Error('expected a generated response')
          }
          expect(result.status).toBe('302')
          const location = result.headers?.location?.[0]?.value ?? ''
          const host = [cfg.blueHost, cfg.greenHost].find((h) =>
            location.startsWith(`https://${h}/`)
          )
          expect(host).toBeDefined()
          expect(location).toMatch(/^[\x21-\x7e]+$/)
          const url = new URL(location)
          expect(url.protocol).toBe('https:')
          expect(url.host).toBe(host)
          expect(url.username + url.password + url.port + url.hash).toBe('')
          expect(url.searchParams.has('bluegreen')).toBe(false)
          for (const value of headerValues(result.headers)) expect(value).not.toMatch(CONTROL)
        }
      ),
      { numRuns: RUNS }
    )
  })

  test('a path of URL-safe characters reaches the Location unchanged', async () => {
    const segment = (minLength: number) =>
      fc.string({ unit: fc.constantFrom(...URL_SAFE), minLength, maxLength: 12 })
    const path = fc
      .tuple(segment(1), fc.array(segment(0), { maxLength: 4 }))
      .map(([first, rest]) => '/' + [first, ...rest].join('/'))
    const handler = createHandler(CONFIG)
    await fc.assert(
      fc.asyncProperty(path, async (uri) => {
        const location = locationOf(await handler(viewerEvent(viewerRequest(uri))))
        expect([`https://${CONFIG.blueHost}${uri}`, `https://${CONFIG.greenHost}${uri}`]).toContain(
          location
        )
      }),
      { numRuns: RUNS }
    )
  })

  test('any event at all, however malformed, resolves instead of throwing', async () => {
    const handler = createHandler(
      validateConfig({
        version: '1',
        blueHost: 'www1.deep.mg',
        greenHost: 'www2.deep.mg',
        weights: { blue: 1, green: 1 },
        cookieName: 'bg',
        cookieMaxAgeSeconds: 60
      })
    )
    const anyEvent = fc.oneof(
      fc.anything(),
      fc.record({ Records: fc.array(fc.record({ cf: fc.record({ request: fc.anything() }) })) }),
      fc.record({
        Records: fc.tuple(
          fc.record({
            cf: fc.record({
              request: fc.record({
                uri: fc.anything(),
                querystring: fc.anything(),
                headers: fc.anything()
              })
            })
          })
        )
      })
    )
    await fc.assert(
      fc.asyncProperty(anyEvent, async (event) => {
        // The runtime never sends these; the handler must still answer.
        await handler(event as CloudFrontRequestEvent)
      }),
      { numRuns: RUNS }
    )
  })
})
