/**
 * The router's decision, pure: which colour a viewer goes to and the 302 that sends it there.
 * `createHandler` wraps it into a viewer-request handler that falls back to the origin on a
 * missing config or any exception. Module loading (config.json) lives in router.ts.
 */
import type {
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontRequestResult,
  CloudFrontResultResponse
} from 'aws-lambda'
import type { RouterConfig } from './config.js'
import {
  type Colour,
  headerOverride,
  queryOverride,
  safePath,
  safeQuery,
  stickyColour
} from './request.js'

export type { Colour } from './request.js'

/** What the viewer brought: a forced colour (QA) and the colour of its cookie. */
export interface Signals {
  override: Colour | undefined
  sticky: Colour | undefined
}

export interface Decision {
  colour: Colour
  reason: 'override' | 'sticky' | 'weighted'
}

/**
 * Override first; then the cookie's colour while that colour's weight is above 0; otherwise a
 * draw by weight: green iff random() * (blue + green) < green, exact for integer weights, and a
 * colour of weight 0 is never drawn. `random` returns a number in [0, 1).
 */
export function chooseColour(
  weights: RouterConfig['weights'],
  signals: Signals,
  random: () => number
): Decision {
  if (signals.override !== undefined) return { colour: signals.override, reason: 'override' }
  if (signals.sticky !== undefined && weights[signals.sticky] > 0) {
    return { colour: signals.sticky, reason: 'sticky' }
  }
  let colour: Colour
  if (weights.green === 0) colour = 'blue'
  else if (weights.blue === 0) colour = 'green'
  else colour = random() * (weights.blue + weights.green) < weights.green ? 'green' : 'blue'
  return { colour, reason: 'weighted' }
}

export interface Routing extends Decision {
  /** `https://<configured host><path>[?<query>]`, the override parameter removed. */
  location: string
}

/** Reads the request's signals, decides, and builds the Location. */
export function route(
  config: RouterConfig,
  request: CloudFrontRequest,
  random: () => number
): Routing {
  const query = queryOverride(request.querystring)
  const signals: Signals = {
    override: query.colour ?? headerOverride(request.headers),
    sticky: stickyColour(request.headers, config.cookieName)
  }
  const { colour, reason } = chooseColour(config.weights, signals, random)
  const host = colour === 'green' ? config.greenHost : config.blueHost
  const search = safeQuery(query.rest)
  const location = `https://${host}${safePath(request.uri)}${search === '' ? '' : '?' + search}`
  // Not `{ ...decision, location }`: object spread costs more than the rest of the decision.
  return { colour, reason, location }
}

/** `<name>=<colour>; Max-Age=<n>; Path=/; Secure; HttpOnly; SameSite=Lax`, host-only. */
export function stickyCookie(config: RouterConfig, colour: Colour): string {
  return `${config.cookieName}=${colour}; Max-Age=${config.cookieMaxAgeSeconds}; Path=/; Secure; HttpOnly; SameSite=Lax`
}

/**
 * The redirect that sends the viewer to its colour and remembers it: 302 for GET and HEAD, 307
 * for other methods (a browser turns a 302 POST into a GET and loses the body; 307 keeps both).
 */
export function redirect(
  config: RouterConfig,
  routing: Routing,
  method = 'GET'
): CloudFrontResultResponse {
  const keepMethod = method !== 'GET' && method !== 'HEAD'
  return {
    status: keepMethod ? '307' : '302',
    statusDescription: keepMethod ? 'Temporary Redirect' : 'Found',
    headers: {
      location: [{ key: 'Location', value: routing.location }],
      'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
      'set-cookie': [{ key: 'Set-Cookie', value: stickyCookie(config, routing.colour) }]
    }
  }
}

/**
 * CloudFront's limit on a response a viewer-request function generates, headers and body
 * included (AWS: Quotas on Lambda@Edge, 40 KB); over it, CloudFront answers the viewer 502.
 */
export const MAX_GENERATED_RESPONSE_BYTES = 40 * 1024

/**
 * The size CloudFront counts for a generated response: status line, every header (name, value,
 * separators) and the body, in bytes. Every value here is ASCII (the Location is
 * percent-encoded), so characters are bytes.
 */
export function generatedResponseBytes(response: CloudFrontResultResponse): number {
  let bytes = `HTTP/1.1 ${response.status} ${response.statusDescription ?? ''}\r\n`.length
  for (const entries of Object.values(response.headers ?? {})) {
    for (const h of entries) bytes += `${h.key ?? ''}: ${h.value}\r\n`.length
  }
  return bytes + (response.body?.length ?? 0)
}

/** Below this Location length a redirect cannot reach the limit (its other headers are small). */
const LOCATION_FAST_PATH = 32 * 1024

export interface HandlerOptions {
  /** Defaults to Math.random. */
  random?: () => number
  /** Told about an exception before the request is passed on; defaults to nothing. */
  onError?: (error: unknown) => void
}

export type ViewerRequestHandler = (
  event: CloudFrontRequestEvent
) => Promise<CloudFrontRequestResult>

/**
 * A viewer-request handler for `config`. Without a config, when the redirect would be over
 * CloudFront's size limit, or when anything throws, it returns the request unchanged, so
 * CloudFront serves it from the router's origin (blue's CloudFront domain, or the active colour).
 */
export function createHandler(
  config: RouterConfig | undefined,
  options: HandlerOptions = {}
): ViewerRequestHandler {
  const random = options.random ?? Math.random
  const onError = options.onError
  return (event) => {
    let request: CloudFrontRequest | undefined
    try {
      request = event.Records[0]?.cf.request
      // A CORS preflight cannot follow a redirect: OPTIONS goes to the origin like a fallback.
      if (config === undefined || request === undefined || request.method === 'OPTIONS') {
        return Promise.resolve(request)
      }
      const routing = route(config, request, random)
      const response = redirect(config, routing, request.method)
      // A long URL of non-ASCII bytes grows six-fold percent-encoded: a redirect CloudFront
      // would refuse (502) is not sent; the origin answers the request instead.
      if (
        routing.location.length > LOCATION_FAST_PATH &&
        generatedResponseBytes(response) > MAX_GENERATED_RESPONSE_BYTES
      ) {
        return Promise.resolve(request)
      }
      return Promise.resolve(response)
    } catch (error) {
      try {
        onError?.(error)
      } catch {
        // A failing logger must not turn the fallback into an error.
      }
      return Promise.resolve(request)
    }
  }
}
