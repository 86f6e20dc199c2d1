#!/usr/bin/env node
// Bundles the action, the CLI and the Lambda bundles into dist/ (or into --outdir, for the check
// that the committed dist/ is fresh). Deterministic: the same source gives the same bytes.
import { build } from 'esbuild'
import { mkdir, readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'

const { version } = JSON.parse(await readFile('package.json', 'utf8'))
const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } })
const outdir = values.outdir

// The ESM bundle still contains CommonJS code (AWS SDK internals) that calls require().
const esmRequire =
  "import { createRequire as __bgCreateRequire } from 'node:module'; const require = __bgCreateRequire(import.meta.url);"

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning'
}

/** Lambda bundles: one CommonJS file each; `budget` (bytes) fails the build when exceeded. */
export const ENTRIES = [
  {
    entry: 'edge/router.ts',
    out: 'edge/router.js',
    format: 'cjs',
    minify: true,
    budget: 50 * 1024
  },
  {
    entry: 'src/replicate/function/handler.ts',
    out: 'replicate/handler.js',
    format: 'cjs',
    minify: true
  }
]

await mkdir(outdir, { recursive: true })
// Chunk names carry content hashes: clear the old ones (only this build writes there).
await rm(path.join(outdir, 'chunks'), { recursive: true, force: true })

// The action and the CLI: ESM, split into chunks so that a run loads the AWS SDK only once its
// inputs have parsed (a bad input fails fast, before any client exists).
const app = await build({
  ...common,
  entryPoints: { index: 'src/index.ts', cli: 'src/bin/bluegreen.ts' },
  outdir,
  format: 'esm',
  splitting: true,
  define: { __BLUEGREEN_VERSION__: JSON.stringify(version) },
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  metafile: true,
  banner: { js: `#!/usr/bin/env node\n${esmRequire}` }
})
let total = 0
for (const { bytes } of Object.values(app.metafile.outputs)) total += bytes
for (const name of ['index.js', 'cli.js']) {
  const { size } = await stat(path.join(outdir, name))
  console.log(`${path.join(outdir, name)}  ${(size / 1024).toFixed(1)} KiB`)
}
console.log(`${outdir}/ action + CLI with chunks  ${(total / 1024).toFixed(1)} KiB`)

for (const e of ENTRIES) {
  const outfile = path.join(outdir, e.out)
  await build({
    ...common,
    entryPoints: [e.entry],
    outfile,
    format: e.format,
    minify: e.minify ?? false
  })
  const { size } = await stat(outfile)
  if (e.budget !== undefined && size > e.budget) {
    console.error(`${outfile} is ${size} bytes, over its budget of ${e.budget} bytes`)
    process.exit(1)
  }
  console.log(`${outfile}  ${(size / 1024).toFixed(1)} KiB`)
}
