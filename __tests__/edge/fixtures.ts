/** Configs and CloudFront viewer-request events for the edge tests. */
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontRequestEvent } from 'aws-lambda'
import type { RouterConfig } from '../../edge/config.js'

export const CONFIG: RouterConfig = {
  version: '2026-11-28T04:00:00Z',
  blueHost: 'www1.deep.mg',
  greenHost: 'www2.deep.mg',
  weights: { blue: 9, green: 1 },
  cookieName: 'bluegreen',
  cookieMaxAgeSeconds: 86400
}

export function withWeights(blue: number, green: number): RouterConfig {
  return { ...CONFIG, weights: { blue, green } }
}

/** A header map the way CloudFront builds it: lower-case names, one entry per occurrence. */
export function headers(pairs: ReadonlyArray<readonly [string, string]>): CloudFrontHeaders {
  const out: CloudFrontHeaders = {}
  for (const [key, value] of pairs) {
    const name = key.toLowerCase()
    out[name] = [...(out[name] ?? []), { key, value }]
  }
  return out
}

export function viewerRequest(
  uri = '/',
  querystring = '',
  headerPairs: ReadonlyArray<readonly [string, string]> = []
): CloudFrontRequest {
  return {
    clientIp: '203.0.113.10',
    method: 'GET',
    uri,
    querystring,
    headers: headers([['Host', 'www.deep.mg'], ...headerPairs])
  }
}

export function viewerEvent(request: CloudFrontRequest): CloudFrontRequestEvent {
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'd111111abcdef8.cloudfront.net',
            distributionId: 'EDFDVBD6EXAMPLE',
            eventType: 'viewer-request',
            requestId: 'test'
          },
          request
        }
      }
    ]
  }
}
