/**
 * The router's Lambda@Edge package: the edge bundle as `index.js` plus `config.json`
 * (RouterConfig), zipped deterministically (fixed timestamps), so the same inputs give the same
 * bytes and the same package hash.
 */
import { createHash } from 'node:crypto'
import { zipSync } from 'fflate'
import { EDGE_CONFIG_FILE, type RouterConfig, validateConfig } from '../../edge/config.js'
import { formatRatio, type Weights } from '../inputs.js'

export const COOKIE_NAME = 'bluegreen'
export const COOKIE_MAX_AGE_SECONDS = 86_400
/**
 * The function every router uses. Node.js 20 is past Lambda's deprecation (function create and
 * update blocked in 2026); viewer-request triggers allow at most 128 MB and 5 s.
 */
export const EDGE_FUNCTION = {
  runtime: 'nodejs22.x',
  handler: 'index.handler',
  memoryMb: 128,
  timeoutSeconds: 5,
  description: 'bluegreen-action router (Lambda@Edge, viewer-request)'
} as const
/**
 * The execution role every router function uses (one per account). Lambda@Edge needs both
 * principals in its trust policy; the basic execution policy lets the replicas write logs.
 */
export const EDGE_ROLE = {
  name: 'bluegreen-edge-router',
  trustedServices: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'],
  description: 'bluegreen-action: execution role of the Lambda@Edge router',
  policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'
} as const
export const EDGE_ROLE_NAME = EDGE_ROLE.name
/** Lambda@Edge viewer-request limit on the package size. */
export const MAX_PACKAGE_BYTES = 1024 * 1024
/** Every zip entry gets this time, so the bytes depend only on the content. */
const ZIP_TIME = new Date('2020-01-01T00:00:00Z')

export interface EdgePackage {
  config: RouterConfig
  zip: Uint8Array
  /** Short hash of code + config: the version description carries it, to recognise it later. */
  hash: string
  /** Description of the published version: `bluegreen-router <ratio> <hash>`. */
  description: string
  /** Base64 SHA-256 of the zip, as Lambda reports it (CodeSha256). */
  sha256: string
}

function shortHash(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12)
}

export function routerConfig(options: {
  blueHost: string
  greenHost: string
  weights: Weights
}): RouterConfig {
  const rest = {
    blueHost: options.blueHost,
    greenHost: options.greenHost,
    weights: { blue: options.weights.blue, green: options.weights.green },
    cookieName: COOKIE_NAME,
    cookieMaxAgeSeconds: COOKIE_MAX_AGE_SECONDS
  }
  return { version: shortHash(JSON.stringify(rest)), ...rest }
}

/** Builds the zip; throws when the config would be rejected by the handler or it is too big. */
export function buildEdgePackage(options: {
  code: string
  blueHost: string
  greenHost: string
  weights: Weights
}): EdgePackage {
  const config = routerConfig(options)
  if (validateConfig(config) === undefined) {
    throw new Error(`the router config is invalid: ${JSON.stringify(config)}`)
  }
  const configText = `${JSON.stringify(config, null, 2)}\n`
  const enc = new TextEncoder()
  const zip = zipSync(
    {
      'index.js': [enc.encode(options.code), { mtime: ZIP_TIME }],
      [EDGE_CONFIG_FILE]: [enc.encode(configText), { mtime: ZIP_TIME }]
    },
    { level: 9 }
  )
  if (zip.byteLength > MAX_PACKAGE_BYTES) {
    throw new Error(
      `the edge package is ${zip.byteLength} bytes, over Lambda@Edge's ${MAX_PACKAGE_BYTES}`
    )
  }
  const hash = shortHash(`${shortHash(options.code)}:${config.version}`)
  return {
    config,
    zip,
    hash,
    description: `bluegreen-router ${formatRatio(options.weights)} ${hash}`,
    sha256: createHash('sha256').update(zip).digest('base64')
  }
}
