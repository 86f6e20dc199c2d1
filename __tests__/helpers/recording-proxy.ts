/**
 * A recording proxy in front of the emulator, on 127.0.0.1: every request passes through to
 * moto unchanged, and the AWS API action it calls is recorded as `service:Operation` (the IAM
 * action prefix and the API operation, e.g. `cloudfront:UpdateDistribution`). The operation
 * is read from the request as each protocol carries it:
 *   - JSON protocols (DynamoDB, ACM, SQS, …): the X-Amz-Target header;
 *   - the query protocol (IAM, STS): Action= in the form body or the query string;
 *   - Smithy RPC v2 CBOR (CloudWatch): the path /service/<name>/operation/<Operation>;
 *   - REST protocols (CloudFront, Route53, Lambda, S3): method and path, matched against the
 *     HTTP bindings of the installed AWS SDK clients' own operation schemas.
 * The service comes from the SigV4 credential scope (its signing name), mapped to the IAM prefix.
 * An IAM test compares the actions a command called with its documented policy.
 */
import { createRequire } from 'node:module'
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One AWS API call that went through the proxy. */
export interface AwsCall {
  /** IAM action prefix: cloudfront, route53, lambda, dynamodb, iam, acm, sqs, cloudwatch, … */
  service: string
  /** API operation, as in the SDK's XxxCommand and the IAM action: UpdateDistribution. */
  operation: string
  /** `${service}:${operation}` */
  action: string
  method: string
  path: string
  /** HTTP status of moto's answer. */
  status: number
  /** The region of the SigV4 credential scope (`us-east-1`). */
  region: string
  /** The query string, as sent (`?WithTags`, `?list-type=2`). */
  query: string
  /** The request body as text, cut at BODY_LIMIT characters (an IAM test reads names from it). */
  body: string
  /** The request headers, without Authorization (S3 names a copy's source in one). */
  headers: IncomingHttpHeaders
}

/** How much of a request body a recorded call keeps. */
export const BODY_LIMIT = 16 * 1024 * 1024

/** What identify() needs of a request. */
export interface RequestFacts {
  method: string
  /** Path and query, as sent (`/2020-05-31/distribution?WithTags`). */
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

/** SigV4 signing names whose IAM action prefix differs. */
const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch', 'execute-api': 'apigateway' }

/** REST services: signing name → the SDK client package whose schemas describe its routes. */
const REST_CLIENTS: Record<string, string> = {
  cloudfront: '@aws-sdk/client-cloudfront',
  route53: '@aws-sdk/client-route-53',
  lambda: '@aws-sdk/client-lambda',
  s3: '@aws-sdk/client-s3'
}

/** One REST operation's HTTP binding: `["PUT", "/2020-05-31/distribution/{Id}/config", 200]`. */
export interface RestRoute {
  operation: string
  method: string
  path: RegExp
  /** Query keys (and values, when the binding has one) that the request must carry. */
  query: [string, string | undefined][]
  /** How specific the binding is: literal characters plus required query keys. */
  weight: number
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Builds a route from a Smithy HTTP binding's method and URI template. */
export function route(operation: string, method: string, uri: string): RestRoute {
  const [pathPart = '', queryPart = ''] = uri.split('?')
  let pattern = ''
  let literal = 0
  for (const piece of pathPart.split(/(\{[^}]+\})/)) {
    if (piece === '') continue
    if (piece.startsWith('{')) pattern += piece.endsWith('+}') ? '.+' : '[^/]+'
    else {
      pattern += escapeRegExp(piece)
      literal += piece.length
    }
  }
  const query: RestRoute['query'] = queryPart
    .split('&')
    .filter(Boolean)
    .map((kv) => {
      const [k = '', v] = kv.split('=')
      return [k, v]
    })
  return {
    operation,
    method,
    path: new RegExp(`^${pattern}/?$`),
    query,
    weight: literal + 1000 * query.length
  }
}

/** An operation schema as the SDK exports it: `[9, namespace, name, { http: [method, uri, code] }, …]`. */
function isOperationSchema(value: unknown): value is [9, string, string, { http?: unknown }] {
  return Array.isArray(value) && value[0] === 9 && typeof value[2] === 'string'
}

/** The REST routes of one SDK client package, from its exported operation schemas. */
export function routesOf(exports: Record<string, unknown>): RestRoute[] {
  const routes: RestRoute[] = []
  for (const value of Object.values(exports)) {
    if (!isOperationSchema(value)) continue
    const traits = value[3]
    const http = typeof traits === 'object' ? traits.http : undefined
    if (!Array.isArray(http) || typeof http[0] !== 'string' || typeof http[1] !== 'string') continue
    routes.push(route(value[2], http[0], http[1]))
  }
  return routes
}

const require = createRequire(import.meta.url)
const routeCache = new Map<string, RestRoute[]>()

/** The routes of a REST service (empty when its SDK client is not installed). */
function restRoutes(signingName: string): RestRoute[] {
  const pkg = REST_CLIENTS[signingName]
  if (pkg === undefined) return []
  let routes = routeCache.get(pkg)
  if (routes === undefined) {
    try {
      routes = routesOf(require(pkg) as Record<string, unknown>)
    } catch {
      routes = []
    }
    routeCache.set(pkg, routes)
  }
  return routes
}

/** The most specific route that matches the method, path and query. */
export function matchRoute(
  routes: readonly RestRoute[],
  method: string,
  path: string,
  query: URLSearchParams
): string | undefined {
  let best: RestRoute | undefined
  for (const r of routes) {
    if (r.method !== method || !r.path.test(path)) continue
    if (!r.query.every(([k, v]) => query.has(k) && (v === undefined || query.get(k) === v))) {
      continue
    }
    if (best === undefined || r.weight > best.weight) best = r
  }
  return best?.operation
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name]
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '')
}

/** The signing name from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request`. */
function signingName(headers: IncomingHttpHeaders): string | undefined {
  return /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\/aws4_request/.exec(
    header(headers, 'authorization')
  )?.[1]
}

/** The region of the credential scope (empty when the request is not signed). */
function signingRegion(headers: IncomingHttpHeaders): string {
  return (
    /Credential=[^/]+\/\d+\/([^/]+)\/[^/]+\/aws4_request/.exec(
      header(headers, 'authorization')
    )?.[1] ?? ''
  )
}

/** The service and operation a request calls, or undefined when it is not an AWS API call. */
export function identify(req: RequestFacts): { service: string; operation: string } | undefined {
  const signing = signingName(req.headers)
  if (signing === undefined) return undefined
  const service = IAM_PREFIX[signing] ?? signing
  const url = new URL(req.url, 'http://emulator')

  const target = header(req.headers, 'x-amz-target')
  if (target !== '') {
    const operation = target.slice(target.lastIndexOf('.') + 1)
    return { service, operation }
  }
  const rpc = /^\/service\/[^/]+\/operation\/([^/]+)$/.exec(url.pathname)
  if (rpc?.[1] !== undefined) return { service, operation: rpc[1] }

  const routes = restRoutes(signing)
  if (routes.length > 0) {
    let path = decodeURIComponentSafe(url.pathname)
    // S3 on an IP endpoint is path-style: the first segment is the bucket, which the bindings
    // leave to the host.
    if (signing === 's3') path = path.replace(/^\/[^/]+/, '') || '/'
    const operation = matchRoute(routes, req.method, path, url.searchParams)
    if (operation !== undefined) return { service, operation }
  }

  const form = header(req.headers, 'content-type').startsWith('application/x-www-form-urlencoded')
    ? new URLSearchParams(req.body.toString('utf8'))
    : undefined
  const action = form?.get('Action') ?? url.searchParams.get('Action')
  if (action !== null) return { service, operation: action }
  return { service, operation: `(unknown ${req.method} ${url.pathname})` }
}

function decodeURIComponentSafe(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

function withoutAuthorization(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'authorization'))
}

export interface RecordingProxy {
  /** http://127.0.0.1:PORT: use as AWS_ENDPOINT_URL. */
  endpoint: string
  /** Every call so far, in order. */
  readonly calls: AwsCall[]
  /** The distinct actions called so far, sorted. */
  actions(): string[]
  /** The distinct actions called since the last take(), sorted; then starts a new record. */
  take(): string[]
  /**
   * Holds back the answer to the next call of `action` (`cloudfront:UpdateDistribution`): the
   * emulator has made the change, the caller has not heard. Resolves once such a call is held;
   * release() sends the answers held (a killed caller never gets them).
   */
  holdNext(action: string): Promise<void>
  release(): void
  close(): Promise<void>
}

/** Starts a proxy on a free 127.0.0.1 port in front of `target` (an emulator endpoint). */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target)
  const calls: AwsCall[] = []
  let taken = 0
  let hold: { action: string; held: () => void } | undefined
  const heldBack: (() => void)[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const facts: RequestFacts = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body
      }
      const called = identify(facts)
      const forward = httpRequest(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: facts.method,
          path: facts.url,
          headers: req.headers
        },
        (answer) => {
          if (called !== undefined) {
            const url = new URL(facts.url, 'http://emulator')
            calls.push({
              ...called,
              action: `${called.service}:${called.operation}`,
              method: facts.method,
              path: url.pathname,
              status: answer.statusCode ?? 0,
              region: signingRegion(facts.headers),
              query: url.search,
              body: body.subarray(0, BODY_LIMIT).toString('utf8'),
              headers: withoutAuthorization(facts.headers)
            })
          }
          const send = (): void => {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          }
          if (
            hold !== undefined &&
            called !== undefined &&
            hold.action === `${called.service}:${called.operation}`
          ) {
            const { held } = hold
            hold = undefined
            heldBack.push(send)
            held()
          } else send()
        }
      )
      forward.on('error', (error) => {
        res.writeHead(502).end(`recording proxy: ${error.message}`)
      })
      forward.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const distinct = (list: AwsCall[]): string[] => [...new Set(list.map((c) => c.action))].sort()
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    actions: () => distinct(calls),
    take: () => {
      const since = distinct(calls.slice(taken))
      taken = calls.length
      return since
    },
    holdNext: (action) =>
      new Promise<void>((resolve) => {
        hold = { action, held: resolve }
      }),
    release: () => {
      for (const send of heldBack.splice(0)) send()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      })
  }
}
