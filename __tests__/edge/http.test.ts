/**
 * End to end over HTTP: the built bundle (index.js + config.json, as in the Lambda zip) behind a
 * local server that plays CloudFront (HTTP request → viewer-request event → HTTP answer), and a
 * real client: global fetch with redirect: 'manual' and a tough-cookie CookieJar.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Cookie, CookieJar } from 'tough-cookie'
import type { CloudFrontHeaders, CloudFrontRequestEvent } from 'aws-lambda'
import type { RouterConfig } from '../../edge/config.js'
import { type BundledHandler, type Bundle, buildBundle } from './bundle.js'
import { viewerEvent, withWeights } from './fixtures.js'

const BLUE = 'https://www1.deep.mg'
const GREEN = 'https://www2.deep.mg'

let bundle: Bundle
let handler: BundledHandler
let server: Server
let base: string

/** Publishes a config: a new function version (zip with that config.json) behind the server. */
async function deploy(config: RouterConfig | undefined): Promise<void> {
  handler = await bundle.deploy(config === undefined ? undefined : JSON.stringify(config))
}

function toEvent(req: IncomingMessage): CloudFrontRequestEvent {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const headers: CloudFrontHeaders = {}
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const key = req.rawHeaders[i] ?? ''
    const value = req.rawHeaders[i + 1] ?? ''
    const name = key.toLowerCase()
    headers[name] = [...(headers[name] ?? []), { key, value }]
  }
  return viewerEvent({
    clientIp: req.socket.remoteAddress ?? '127.0.0.1',
    method: req.method ?? 'GET',
    uri: q < 0 ? url : url.slice(0, q),
    querystring: q < 0 ? '' : url.slice(q + 1),
    headers
  })
}

/** CloudFront's part: a generated response goes to the viewer, a request to the origin. */
async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const result = await handler(toEvent(req))
    if (result === null || result === undefined) throw new Error('no result')
    if ('status' in result) {
      res.statusCode = Number(result.status)
      for (const [name, entries] of Object.entries(result.headers ?? {})) {
        res.setHeader(
          entries[0]?.key ?? name,
          entries.map((entry) => entry.value)
        )
      }
      res.end(result.body ?? '')
    } else {
      res.setHeader('x-served-by', 'origin')
      res.end(`origin ${result.uri}${result.querystring === '' ? '' : '?' + result.querystring}`)
    }
  } catch {
    // What CloudFront does with a function error or an invalid generated response.
    res.statusCode = 502
    res.end()
  }
}

beforeAll(async () => {
  bundle = await buildBundle()
  await deploy(withWeights(1, 1))
  server = createServer((req, res) => void serve(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await bundle.remove()
})

/** A browser: sends and stores cookies, does not follow redirects. */
class Viewer {
  readonly jar = new CookieJar()

  async visit(pathAndQuery: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = base + pathAndQuery
    const cookie = await this.jar.getCookieString(url)
    const res = await fetch(url, {
      redirect: 'manual',
      headers: cookie === '' ? headers : { ...headers, cookie }
    })
    for (const setCookie of res.headers.getSetCookie()) await this.jar.setCookie(setCookie, url)
    return res
  }

  /** The host a visit is sent to (`https://www1.deep.mg` or `https://www2.deep.mg`). */
  async target(pathAndQuery = '/', headers: Record<string, string> = {}): Promise<string> {
    const res = await this.visit(pathAndQuery, headers)
    expect(res.status).toBe(302)
    return new URL(res.headers.get('location') ?? '').origin
  }
}

test('the bundle stays within its 50 KB budget', () => {
  console.log(`router bundle as scripts/build.mjs builds it: ${bundle.size} bytes`)
  expect(bundle.size).toBeLessThan(50 * 1024)
})

test('a first visit is redirected to a colour with path, query, no-store and the cookie', async () => {
  const viewer = new Viewer()
  const res = await viewer.visit('/shop/item?id=7&q=a%20b')
  expect(res.status).toBe(302)
  expect(res.headers.get('cache-control')).toBe('no-store')
  const location = res.headers.get('location') ?? ''
  expect([`${BLUE}/shop/item?id=7&q=a%20b`, `${GREEN}/shop/item?id=7&q=a%20b`]).toContain(location)
  const [setCookie] = res.headers.getSetCookie()
  const cookie = Cookie.parse(setCookie ?? '')
  expect(cookie).toMatchObject({
    key: 'bluegreen',
    value: location.startsWith(GREEN) ? 'green' : 'blue',
    maxAge: 86400,
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'lax'
  })
  expect(await viewer.jar.getCookieString(base)).toBe(`bluegreen=${cookie?.value ?? ''}`)
})

test('new viewers get both colours; each keeps its colour on later visits', async () => {
  const firsts = new Set<string>()
  for (let v = 0; v < 40; v++) {
    const viewer = new Viewer()
    const first = await viewer.target('/')
    firsts.add(first)
    for (let i = 0; i < 10; i++) expect(await viewer.target(`/page/${i}?n=${i}`)).toBe(first)
  }
  expect(firsts).toEqual(new Set([BLUE, GREEN]))
})

test('QA override by query parameter and by header, remembered by the cookie', async () => {
  const viewer = new Viewer()
  const first = await viewer.target('/')
  const other = first === BLUE ? 'green' : 'blue'
  const otherHost = first === BLUE ? GREEN : BLUE

  const res = await viewer.visit(`/qa?x=1&bluegreen=${other}`)
  expect(res.headers.get('location')).toBe(`${otherHost}/qa?x=1`)
  expect(await viewer.target('/')).toBe(otherHost)

  const back = first === BLUE ? 'blue' : 'green'
  expect(await viewer.target('/', { 'x-bluegreen': back })).toBe(first)
  expect(await viewer.target('/')).toBe(first)
})

test('a viewer moves when its colour drops to 0, and stays moved', async () => {
  await deploy(withWeights(1, 1))
  const viewer = new Viewer()
  const first = await viewer.target('/')
  const other = first === BLUE ? GREEN : BLUE
  try {
    await deploy(first === BLUE ? withWeights(0, 1) : withWeights(1, 0))
    expect(await viewer.target('/')).toBe(other)
    await deploy(withWeights(1, 1))
    expect(await viewer.target('/')).toBe(other)
  } finally {
    await deploy(withWeights(1, 1))
  }
})

test('a path like //evil.example stays on the configured host', async () => {
  const viewer = new Viewer()
  const res = await viewer.visit('//evil.example/%0d%0aSet-Cookie:x=1')
  const location = new URL(res.headers.get('location') ?? '')
  expect([BLUE, GREEN]).toContain(location.origin)
  expect(location.pathname).toBe('/evil.example/%0d%0aSet-Cookie:x=1')
  expect(res.headers.getSetCookie()).toHaveLength(1)
})

test.each([
  ['no config.json', undefined],
  ['a config.json with both weights 0', JSON.stringify(withWeights(0, 0))],
  ['a config.json that is not JSON', '{"version":']
])('%s: every request goes to the origin unchanged', async (_name, configJson) => {
  const logged: unknown[][] = []
  const consoleError = console.error
  console.error = (...args: unknown[]) => logged.push(args)
  try {
    handler = await bundle.deploy(configJson)
    const res = await new Viewer().visit('/a/b?c=1&bluegreen=green')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-served-by')).toBe('origin')
    expect(await res.text()).toBe('origin /a/b?c=1&bluegreen=green')
    expect(logged).toEqual([
      ['bluegreen router: no valid config.json, passing requests to the origin']
    ])
  } finally {
    console.error = consoleError
    await deploy(withWeights(1, 1))
  }
})
