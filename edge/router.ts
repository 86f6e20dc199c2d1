/**
 * Lambda@Edge viewer-request handler of the router distribution (bundled as the zip's
 * `index.js`, handler `index.handler`). Publish writes `config.json` next to it; it is read
 * once per container. No readable, valid config means every request goes to the origin.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { CloudFrontRequestHandler } from 'aws-lambda'
import { EDGE_CONFIG_FILE, type RouterConfig, validateConfig } from './config.js'
import { createHandler } from './decide.js'

function loadConfig(): RouterConfig | undefined {
  try {
    // __dirname exists in the CommonJS bundle; where it does not (ESM tests) this throws.
    const file = path.join(__dirname, EDGE_CONFIG_FILE)
    return validateConfig(JSON.parse(readFileSync(file, 'utf8')))
  } catch {
    return undefined
  }
}

const config = loadConfig()
if (config === undefined) {
  console.error(`bluegreen router: no valid ${EDGE_CONFIG_FILE}, passing requests to the origin`)
}

export const handler: CloudFrontRequestHandler = createHandler(config, {
  onError: (error) => {
    const version = config?.version ?? 'none'
    console.error(`bluegreen router (config ${version}): passing the request to the origin`, error)
  }
})
