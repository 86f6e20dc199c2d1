/**
 * Reading a CloudFront viewer request: the colour signals it carries (override, sticky cookie)
 * and its path and query made safe to put into a Location header. Pure functions, no I/O.
 */
import type { CloudFrontHeaders } from 'aws-lambda'

export type Colour = 'blue' | 'green'

/** Query parameter and header with which QA forces a colour (`blue` or `green`). */
export const OVERRIDE_PARAM = 'bluegreen'
export const OVERRIDE_HEADER = 'x-bluegreen'

/** `blue`/`green` in any case, surrounding spaces and double quotes ignored; else undefined. */
export function parseColour(raw: string): Colour | undefined {
  let value = raw.trim()
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).trim()
  }
  value = value.toLowerCase()
  return value === 'blue' || value === 'green' ? value : undefined
}

/** CloudFront gives header names in lower case; a header may occur several times. */
function headerValues(headers: CloudFrontHeaders | undefined, name: string): string[] {
  const entries = headers?.[name]
  if (!Array.isArray(entries)) return []
  // Typed as strings, but a malformed event must not make the router throw.
  return entries
    .map((entry): unknown => entry.value)
    .filter((value): value is string => typeof value === 'string')
}

/**
 * The colour in the cookie `name`, from any number of Cookie headers (`a=1; b=2`), spaces and
 * quoted values allowed. The first cookie of that name holding a colour wins (browsers send
 * the most specific path first); cookies of that name with other values are ignored.
 */
export function stickyColour(
  headers: CloudFrontHeaders | undefined,
  name: string
): Colour | undefined {
  for (const header of headerValues(headers, 'cookie')) {
    if (!header.includes(name)) continue
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=')
      if (eq < 0 || pair.slice(0, eq).trim() !== name) continue
      const colour = parseColour(pair.slice(eq + 1))
      if (colour !== undefined) return colour
    }
  }
  return undefined
}

/** decodeURIComponent for query components (`+` is a space) that never throws. */
function decodeComponent(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    return raw
  }
}

export interface QueryOverride {
  /** The first `bluegreen=blue|green` parameter, if any. */
  colour: Colour | undefined
  /** The query string without any `bluegreen` parameter (valid or not), otherwise untouched. */
  rest: string
}

/** Splits the QA override off a CloudFront query string (given without `?`). */
export function queryOverride(querystring: string): QueryOverride {
  if (!/bluegreen|%/.test(querystring)) return { colour: undefined, rest: querystring }
  let colour: Colour | undefined
  const kept: string[] = []
  for (const part of querystring.split('&')) {
    const eq = part.indexOf('=')
    const key = decodeComponent(eq < 0 ? part : part.slice(0, eq))
    if (key !== OVERRIDE_PARAM) {
      kept.push(part)
      continue
    }
    colour ??= eq < 0 ? undefined : parseColour(decodeComponent(part.slice(eq + 1)))
  }
  return { colour, rest: kept.join('&') }
}

/** The first `x-bluegreen: blue|green` header, if any. */
export function headerOverride(headers: CloudFrontHeaders | undefined): Colour | undefined {
  for (const value of headerValues(headers, OVERRIDE_HEADER)) {
    const colour = parseColour(value)
    if (colour !== undefined) return colour
  }
  return undefined
}

// What may stand unencoded in a path: RFC 3986 unreserved, sub-delims, ':', '@', '/', and '%'
// as the start of '%XX'; a query may also hold '?'. Everything else (controls, space, '"', '#',
// '<', '>', '[', '\\', ']', '^', '`', '{', '|', '}', non-ASCII, a stray '%') is percent-encoded.
const PATH_UNSAFE = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu
const QUERY_UNSAFE = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/gu

/** UTF-8 percent-encoding of one code point; a lone surrogate becomes U+FFFD, not an error. */
function encodeChar(char: string): string {
  try {
    return encodeURIComponent(char)
  } catch {
    return '%EF%BF%BD'
  }
}

/**
 * The request path as it may follow `https://<host>` in a Location: exactly one leading '/'
 * (so `//evil.example` stays a path on the configured host) and nothing a URL may not hold.
 */
export function safePath(uri: string): string {
  return '/' + uri.replace(PATH_UNSAFE, encodeChar).replace(/^\/+/, '')
}

/** The query string (without `?`) with every byte a URL query may not hold percent-encoded. */
export function safeQuery(querystring: string): string {
  return querystring.replace(QUERY_UNSAFE, encodeChar)
}
