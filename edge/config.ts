/**
 * The router's configuration: written as `config.json` into the Lambda@Edge zip at publish time
 * (Lambda@Edge has no environment variables) and read once per container by the handler.
 * Shared by the edge handler (reader) and publish (writer).
 */
export const EDGE_CONFIG_FILE = 'config.json'

export interface RouterConfig {
  /** Changes whenever anything below changes; shown in logs and tags. */
  version: string
  /** Hostnames the 302 goes to (B1 and G2), never taken from the request. */
  blueHost: string
  greenHost: string
  /** Exact weights (2:9 stays 2/11). Both 0 is invalid. */
  weights: { blue: number; green: number }
  cookieName: string
  cookieMaxAgeSeconds: number
}

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); a longer Max-Age is a mistake. */
export const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60

/** Weights above this would make the weighted choice lose exactness in double arithmetic. */
export const MAX_WEIGHT_TOTAL = 2 ** 32

const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
/** RFC 7230 `token`, which RFC 6265 uses for cookie names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const PRINTABLE = /^[\x20-\x7e]+$/

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A DNS hostname (letters, digits, hyphens; dot-separated labels), returned in lower case. */
function hostname(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253) return undefined
  const host = value.toLowerCase()
  return host.split('.').every((label) => HOST_LABEL.test(label)) ? host : undefined
}

function weight(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined
}

/**
 * The config as the handler needs it, or `undefined` when anything is wrong (the handler then
 * passes every request to the origin). Pure, so publish can check what it is about to write.
 * Rules: `version` 1–128 printable ASCII characters (spaces allowed); hosts are DNS hostnames and differ;
 * weights are non-negative integers, not both 0, total at most 2^32; `cookieName` is an
 * RFC 6265 token of at most 64 characters; `cookieMaxAgeSeconds` an integer from 1 to 400 days.
 * Unknown keys are ignored; hosts come back in lower case.
 */
export function validateConfig(value: unknown): RouterConfig | undefined {
  if (!isRecord(value) || !isRecord(value.weights)) return undefined
  const { version, cookieName, cookieMaxAgeSeconds } = value
  const blueHost = hostname(value.blueHost)
  const greenHost = hostname(value.greenHost)
  const blue = weight(value.weights.blue)
  const green = weight(value.weights.green)
  if (typeof version !== 'string' || version.length > 128 || !PRINTABLE.test(version)) {
    return undefined
  }
  if (blueHost === undefined || greenHost === undefined || blueHost === greenHost) return undefined
  if (blue === undefined || green === undefined) return undefined
  if (blue + green === 0 || blue + green > MAX_WEIGHT_TOTAL) return undefined
  if (typeof cookieName !== 'string' || cookieName.length > 64 || !TOKEN.test(cookieName)) {
    return undefined
  }
  if (
    typeof cookieMaxAgeSeconds !== 'number' ||
    !Number.isSafeInteger(cookieMaxAgeSeconds) ||
    cookieMaxAgeSeconds < 1 ||
    cookieMaxAgeSeconds > MAX_COOKIE_AGE_SECONDS
  ) {
    return undefined
  }
  return {
    version,
    blueHost,
    greenHost,
    weights: { blue, green },
    cookieName,
    cookieMaxAgeSeconds
  }
}
