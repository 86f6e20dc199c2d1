/**
 * A small local stand-in for CloudFront's edge, on 127.0.0.1, over the emulator's state:
 *  - the Host header picks the serving distribution as CloudFront does: the most specific alias
 *    (an exact name beats a wildcard), or a distribution's own `dxxxx.cloudfront.net` domain; a
 *    disabled distribution that holds the name serves nothing (403), as does no holder at all;
 *  - when that distribution's default behaviour has a viewer-request Lambda@Edge association,
 *    it runs that function version's actual code, downloaded from the emulator's Lambda
 *    (GetFunction's Code.Location) and loaded as the runtime would, on a viewer-request event
 *    built from the HTTP request, and answers its generated response (302 + cookie);
 *  - a request the function passes on (or any request without a function) goes to the origin:
 *    an origin that is another distribution's CloudFront domain is served by that distribution
 *    (CloudFront chains, as the router's fallback to blue does); any other origin answers a tiny
 *    response naming the distribution that served it (`x-served-by`, and a JSON body).
 * The state is read by refresh() (and before the first request); call it after each change.
 * Viewer (a cookie jar that follows redirects) and sampleTraffic() show where viewers land.
 */
import { createRequire } from 'node:module'
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  CloudFrontClient,
  paginateListDistributions,
  type DistributionSummary
} from '@aws-sdk/client-cloudfront'
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda'
import type {
  CloudFrontHeaders,
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontRequestResult
} from 'aws-lambda'
import { unzipSync } from 'fflate'
import { CookieJar } from 'tough-cookie'
import { specificity } from '../publish/model/names.js'

type ViewerRequestHandler = (event: CloudFrontRequestEvent) => Promise<CloudFrontRequestResult>

export interface EdgeStandIn {
  /** http://127.0.0.1:PORT: send requests here with the viewer's Host header. */
  url: string
  /** Re-reads the distributions (and loads any new edge function version). */
  refresh(): Promise<void>
  /** Which distribution would serve `host` now (undefined: none, or a disabled holder). */
  servingDistribution(host: string): DistributionSummary | undefined
  close(): Promise<void>
}

export interface EdgeOptions {
  /** The emulator endpoint (AWS_ENDPOINT_URL) holding CloudFront and Lambda. */
  endpoint: string
  region?: string
}

/** The holder of `host`: a distribution's own domain, else the most specific alias. */
export function pickDistribution(
  distributions: readonly DistributionSummary[],
  host: string
): DistributionSummary | undefined {
  const h = host.toLowerCase().replace(/\.$/, '')
  const own = distributions.find((d) => d.DomainName?.toLowerCase() === h)
  if (own !== undefined) return own
  let best: DistributionSummary | undefined
  let bestScore = -1
  for (const d of distributions) {
    for (const alias of d.Aliases?.Items ?? []) {
      const score = specificity(alias, h)
      if (score !== undefined && score > bestScore) {
        best = d
        bestScore = score
      }
    }
  }
  return best
}

function viewerRequestArn(d: DistributionSummary): string | undefined {
  return d.DefaultCacheBehavior?.LambdaFunctionAssociations?.Items?.find(
    (a) => a.EventType === 'viewer-request'
  )?.LambdaFunctionARN
}

interface Answer {
  status: number
  headers: IncomingMessage['headers']
  body: Buffer
}

/** One GET to a server on this machine (`base`), with the given path and headers. */
function get(base: string, path: string, headers: Record<string, string>): Promise<Answer> {
  const server = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname: server.hostname, port: server.port, path, headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks)
          })
        })
      }
    )
    req.on('error', reject)
    req.end()
  })
}

/** GETs a URL through the emulator (never off this machine), keeping the URL's Host header. */
export async function getThroughEmulator(endpoint: string, location: string): Promise<Buffer> {
  const target = new URL(location)
  const res = await get(endpoint, `${target.pathname}${target.search}`, { host: target.host })
  if (res.status !== 200) throw new Error(`GET ${location}: HTTP ${res.status}`)
  return res.body
}

function isHandler(value: unknown): value is ViewerRequestHandler {
  return typeof value === 'function'
}

/** The viewer-request event CloudFront builds for an HTTP request to a distribution. */
export function viewerRequestEvent(
  req: IncomingMessage,
  d: DistributionSummary
): CloudFrontRequestEvent {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const headers: CloudFrontHeaders = {}
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const key = req.rawHeaders[i] ?? ''
    const name = key.toLowerCase()
    headers[name] = [...(headers[name] ?? []), { key, value: req.rawHeaders[i + 1] ?? '' }]
  }
  const request: CloudFrontRequest = {
    clientIp: req.socket.remoteAddress ?? '127.0.0.1',
    method: req.method ?? 'GET',
    uri: q < 0 ? url : url.slice(0, q),
    querystring: q < 0 ? '' : url.slice(q + 1),
    headers
  }
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: d.DomainName ?? '',
            distributionId: d.Id ?? '',
            eventType: 'viewer-request',
            requestId: `standin-${Date.now().toString(36)}`
          },
          request
        }
      }
    ]
  }
}

export async function startEdgeStandIn(options: EdgeOptions): Promise<EdgeStandIn> {
  const region = options.region ?? 'us-east-1'
  const clientConfig = { region, endpoint: options.endpoint }
  const cloudfront = new CloudFrontClient(clientConfig)
  const lambda = new LambdaClient(clientConfig)
  const codeDir = await mkdtemp(path.join(tmpdir(), 'bluegreen-edge-standin-'))
  const load = createRequire(import.meta.url)
  const handlers = new Map<string, ViewerRequestHandler>()
  let distributions: DistributionSummary[] | undefined

  /** Downloads a function version's zip from the emulator and loads it as the runtime does. */
  async function handlerFor(arn: string): Promise<ViewerRequestHandler> {
    const known = handlers.get(arn)
    if (known !== undefined) return known
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: arn }))
    const location = fn.Code?.Location
    if (location === undefined) throw new Error(`GetFunction ${arn} gave no Code.Location`)
    const files = unzipSync(await getThroughEmulator(options.endpoint, location))
    const dir = path.join(codeDir, String(handlers.size))
    for (const [name, bytes] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
      await writeFile(path.join(dir, name), bytes)
    }
    const [file = 'index', exported = 'handler'] = (
      fn.Configuration?.Handler ?? 'index.handler'
    ).split('.')
    const loaded = load(path.join(dir, `${file}.js`)) as Record<string, unknown>
    const handler = loaded[exported]
    if (!isHandler(handler)) throw new Error(`${arn}: ${file}.js exports no ${exported}`)
    handlers.set(arn, handler)
    return handler
  }

  async function refresh(): Promise<void> {
    const all: DistributionSummary[] = []
    for await (const page of paginateListDistributions({ client: cloudfront }, {})) {
      all.push(...(page.DistributionList?.Items ?? []))
    }
    distributions = all
    for (const d of all) {
      const arn = viewerRequestArn(d)
      if (arn !== undefined && d.Enabled === true) await handlerFor(arn)
    }
  }

  function servingDistribution(host: string): DistributionSummary | undefined {
    const d = pickDistribution(distributions ?? [], host)
    return d?.Enabled === true ? d : undefined
  }

  /** The origin's answer: chained to another distribution, or a tiny page naming `d`. */
  function originResponse(
    req: IncomingMessage,
    res: ServerResponse,
    d: DistributionSummary,
    request: CloudFrontRequest,
    depth: number
  ): Promise<void> | void {
    const origin = d.Origins?.Items?.find(
      (o) => o.Id === d.DefaultCacheBehavior?.TargetOriginId
    )?.DomainName
    const chained = origin === undefined ? undefined : servingDistribution(origin)
    if (chained !== undefined && depth < 2) return serve(req, res, chained, depth + 1)
    const body = JSON.stringify({
      servedBy: d.Id,
      comment: d.Comment,
      origin,
      uri: request.uri,
      querystring: request.querystring
    })
    res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': d.Id ?? '' })
    res.end(body)
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    d: DistributionSummary,
    depth: number
  ): Promise<void> {
    const event = viewerRequestEvent(req, d)
    const arn = viewerRequestArn(d)
    let result: CloudFrontRequestResult = event.Records[0]?.cf.request
    if (arn !== undefined) {
      try {
        result = await (await handlerFor(arn))(event)
      } catch (error) {
        // CloudFront answers 502 when the function fails or returns something invalid.
        res.writeHead(502, { 'x-edge-standin': `function error: ${String(error)}` }).end()
        return
      }
    }
    if (result === null || result === undefined) {
      res.writeHead(502, { 'x-edge-standin': 'function returned nothing' }).end()
      return
    }
    if ('status' in result) {
      res.statusCode = Number(result.status)
      for (const [name, entries] of Object.entries(result.headers ?? {})) {
        res.setHeader(
          entries[0]?.key ?? name,
          entries.map((e) => e.value)
        )
      }
      res.end(result.body ?? '')
      return
    }
    await originResponse(req, res, d, result, depth)
  }

  const server = createServer((req, res) => {
    void (async () => {
      if (distributions === undefined) await refresh()
      const host = (req.headers.host ?? '').replace(/:\d+$/, '')
      const holder = pickDistribution(distributions ?? [], host)
      if (holder?.Enabled !== true) {
        const why =
          holder === undefined
            ? `no distribution holds ${host}`
            : `${holder.Id ?? ''} holds ${host} but is disabled`
        res.writeHead(403, { 'x-edge-standin': why }).end(why)
        return
      }
      await serve(req, res, holder, 0)
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'x-edge-standin': String(error) })
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    refresh,
    servingDistribution,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve()
        })
      )
      cloudfront.destroy()
      lambda.destroy()
      await rm(codeDir, { recursive: true, force: true })
    }
  }
}

/** Where one visit ended: the distribution that served it, after following redirects. */
export interface Visit {
  status: number
  servedBy: string | undefined
  /** Every URL requested, the first one included. */
  hops: string[]
}

/** A browser: keeps cookies, follows redirects (to at most 5 hops), all through the stand-in. */
export class Viewer {
  readonly jar = new CookieJar()

  constructor(private readonly edge: Pick<EdgeStandIn, 'url'>) {}

  async visit(start: string): Promise<Visit> {
    let url = new URL(start)
    const hops: string[] = []
    for (;;) {
      hops.push(url.href)
      const cookie = await this.jar.getCookieString(url.href)
      const res = await send(this.edge.url, url, cookie)
      for (const c of res.setCookies) await this.jar.setCookie(c, url.href)
      if (res.status >= 300 && res.status < 400 && res.location !== undefined && hops.length < 5) {
        url = new URL(res.location, url)
        continue
      }
      return { status: res.status, servedBy: res.servedBy, hops }
    }
  }
}

async function send(
  edge: string,
  url: URL,
  cookie: string
): Promise<{ status: number; location?: string; setCookies: string[]; servedBy?: string }> {
  const res = await get(edge, `${url.pathname}${url.search}`, {
    host: url.host,
    ...(cookie === '' ? {} : { cookie })
  })
  const servedBy = res.headers['x-served-by']
  return {
    status: res.status,
    ...(res.headers.location === undefined ? {} : { location: res.headers.location }),
    setCookies: res.headers['set-cookie'] ?? [],
    ...(typeof servedBy === 'string' ? { servedBy } : {})
  }
}

export interface TrafficSample {
  /** First visits per serving distribution id ('none' when nothing served it). */
  first: Record<string, number>
  /** Return visits that landed where the viewer's first visit did. */
  stayed: number
  /** Return visits that landed elsewhere. */
  moved: number
}

/** `viewers` new viewers visit `url`, then each comes back `returns` times. */
export async function sampleTraffic(
  edge: Pick<EdgeStandIn, 'url'>,
  url: string,
  options: { viewers: number; returns: number }
): Promise<TrafficSample> {
  const sample: TrafficSample = { first: {}, stayed: 0, moved: 0 }
  for (let v = 0; v < options.viewers; v++) {
    const viewer = new Viewer(edge)
    const first = (await viewer.visit(url)).servedBy ?? 'none'
    sample.first[first] = (sample.first[first] ?? 0) + 1
    for (let r = 0; r < options.returns; r++) {
      const again = (await viewer.visit(`${url.replace(/\/$/, '')}/page/${r}`)).servedBy ?? 'none'
      if (again === first) sample.stayed++
      else sample.moved++
    }
  }
  return sample
}
