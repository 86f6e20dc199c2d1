/**
 * Builds the router bundle the way scripts/build.mjs does (its `edge/router.ts` ENTRIES line:
 * cjs, minified, node20) and deploys it like publish: each deploy is a fresh directory laid out
 * like the Lambda zip (`index.js` + `config.json`), loaded with require as the runtime does.
 */
import { build } from 'esbuild'
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { CloudFrontRequestEvent, CloudFrontRequestResult } from 'aws-lambda'
import { EDGE_CONFIG_FILE } from '../../edge/config.js'

/** The handler as the runtime calls it (it ignores context and callback). */
export type BundledHandler = (event: CloudFrontRequestEvent) => Promise<CloudFrontRequestResult>

export interface Bundle {
  /** Bytes of the built bundle. */
  size: number
  /**
   * A new function version: a new directory (so a new module instance) holding the bundle as
   * index.js and `configJson` as config.json (none when undefined), and its handler.
   */
  deploy(configJson: string | undefined): Promise<BundledHandler>
  remove(): Promise<void>
}

function isHandlerModule(value: unknown): value is { handler: BundledHandler } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'handler' in value &&
    typeof value.handler === 'function'
  )
}

export async function buildBundle(): Promise<Bundle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bluegreen-edge-'))
  const outfile = path.join(dir, 'router.js')
  await build({
    entryPoints: [path.resolve('edge/router.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning'
  })
  const { size } = await stat(outfile)
  const require = createRequire(import.meta.url)
  let versions = 0
  return {
    size,
    async deploy(configJson) {
      const version = path.join(dir, `v${++versions}`)
      await mkdir(version)
      await copyFile(outfile, path.join(version, 'index.js'))
      if (configJson !== undefined) {
        await writeFile(path.join(version, EDGE_CONFIG_FILE), configJson)
      }
      const loaded: unknown = require(path.join(version, 'index.js'))
      if (!isHandlerModule(loaded)) throw new Error(`${version}/index.js exports no handler`)
      return loaded.handler
    },
    async remove() {
      await rm(dir, { recursive: true, force: true })
    }
  }
}
