/**
 * Manual DNS, phase 2: does a hostname resolve to CloudFront? Asked of the resolvers the
 * operator chose (`dns-resolvers`) or the system's. A name resolves when its CNAME chain ends at
 * a `*.cloudfront.net` name, or (an ALIAS/ANAME or flattened record) when its addresses are
 * among those of the distribution's own domain. Read only; never waits for DNS.
 */
import { Resolver } from 'node:dns/promises'
import type { HostResolution } from './types.js'

/** The three look-ups the check needs (node:dns's Resolver, or a test double). */
export interface HostResolver {
  resolveCname(host: string): Promise<string[]>
  resolve4(host: string): Promise<string[]>
  resolve6(host: string): Promise<string[]>
}

/** A resolver asking `servers` (`1.1.1.1`, `127.0.0.1:5353`, `[::1]:53`); none: the system's. */
export function createResolver(servers: readonly string[], timeoutMs = 3000): HostResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 })
  if (servers.length > 0) resolver.setServers([...servers])
  return resolver
}

const MAX_CNAME_HOPS = 8

function code(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : 'error'
}

/** The answers of one look-up: values, or the DNS error code (ENOTFOUND, ENODATA, ETIMEOUT...). */
async function ask(
  lookup: (host: string) => Promise<string[]>,
  host: string
): Promise<{ values: string[]; error: string | undefined }> {
  try {
    return { values: (await lookup(host)).map((v) => v.toLowerCase()), error: undefined }
  } catch (error) {
    return { values: [], error: code(error) }
  }
}

function describe(error: string | undefined): string {
  switch (error) {
    case 'ENOTFOUND':
      return 'no such name (NXDOMAIN)'
    case 'ENODATA':
      return 'no record of that type'
    case 'ETIMEOUT':
    case 'ECONNREFUSED':
      return 'the resolver did not answer'
    default:
      return error ?? 'no answer'
  }
}

/** Does `host` resolve to CloudFront (see the module comment)? */
export async function checkResolves(
  resolver: HostResolver,
  host: string,
  distributionDomain: string
): Promise<HostResolution> {
  let name = host
  for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
    const cname = await ask((h) => resolver.resolveCname(h), name)
    const target = cname.values[0]?.replace(/\.$/, '')
    if (target === undefined) break
    if (target.endsWith('.cloudfront.net')) {
      return { host, resolves: true, detail: `CNAME ${target}` }
    }
    name = target
  }
  const [own4, own6, at4, at6] = await Promise.all([
    ask((h) => resolver.resolve4(h), distributionDomain),
    ask((h) => resolver.resolve6(h), distributionDomain),
    ask((h) => resolver.resolve4(h), host),
    ask((h) => resolver.resolve6(h), host)
  ])
  const own = new Set([...own4.values, ...own6.values])
  const shared = [...at4.values, ...at6.values].filter((a) => own.has(a))
  if (shared.length > 0) {
    return {
      host,
      resolves: true,
      detail: `addresses of ${distributionDomain} (${shared[0] ?? ''})`
    }
  }
  const found = [...at4.values, ...at6.values]
  return {
    host,
    resolves: false,
    detail:
      found.length > 0
        ? `it resolves to ${found.slice(0, 3).join(', ')}, which are not CloudFront's addresses for ${distributionDomain}`
        : describe(at4.error)
  }
}
