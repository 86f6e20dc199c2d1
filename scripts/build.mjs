#!/usr/bin/env node
// Bundles the action, the CLI and the Lambda bundles into dist/ (or into --outdir, for the check
// that the committed dist/ is fresh), with source maps and the third-party licence notices of
// what was bundled. Deterministic: the same source gives the same bytes.
import { build } from 'esbuild'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { thirdPartyNotices } from './licenses.mjs'

const { version, engines } = JSON.parse(await readFile('package.json', 'utf8'))
// The action runs on node24 (action.yml); the CLI shares its chunks and supports every Node line
// from package.json's engines (">=22"): the code must run on both.
const cliNode = `node${/\d+/.exec(engines.node)[0]}`
// The CLI's --help shows each input's description and default from action.yml, read here.
const action = parseYaml(await readFile('action.yml', 'utf8'))
const actionInputs = Object.entries(action.inputs).map(([name, input]) => ({
  name,
  description: String(input.description ?? '').trim(),
  required: input.required === true,
  ...(input.default === undefined ? {} : { default: String(input.default) })
}))
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
  target: ['node24', cliNode],
  // Maps without the sources' text: a stack trace needs only the file names and lines (src/ ships
  // with the action's tag), and the maps stay small.
  sourcemap: 'linked',
  sourcesContent: false,
  entryPoints: { index: 'src/index.ts', cli: 'src/bin/bluegreen.ts' },
  outdir,
  format: 'esm',
  splitting: true,
  define: {
    __BLUEGREEN_VERSION__: JSON.stringify(version),
    __BLUEGREEN_INPUTS__: JSON.stringify(actionInputs)
  },
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  metafile: true,
  banner: { js: `#!/usr/bin/env node\n${esmRequire}` }
})
// The bin's shebang turns source maps on for the whole process (the same line count keeps the map).
const cliPath = path.join(outdir, 'cli.js')
const cli = await readFile(cliPath, 'utf8')
await writeFile(cliPath, cli.replace(/^#!.*\n/, '#!/usr/bin/env -S node --enable-source-maps\n'))
let total = 0
let maps = 0
for (const [file, { bytes }] of Object.entries(app.metafile.outputs)) {
  if (file.endsWith('.map')) maps += bytes
  else total += bytes
}
for (const name of ['index.js', 'cli.js']) {
  const { size } = await stat(path.join(outdir, name))
  console.log(`${path.join(outdir, name)}  ${(size / 1024).toFixed(1)} KiB`)
}
console.log(
  `${outdir}/ action + CLI with chunks  ${(total / 1024).toFixed(1)} KiB (+ ${(maps / 1024).toFixed(1)} KiB source maps)`
)

const bundled = [
  { name: 'the action and the CLI (index.js, cli.js, chunks/)', metafile: app.metafile }
]
for (const e of ENTRIES) {
  const outfile = path.join(outdir, e.out)
  const lambda = await build({
    ...common,
    entryPoints: [e.entry],
    outfile,
    format: e.format,
    minify: e.minify ?? false,
    // The map sits beside the bundle (no URL comment: the deployed code stays as it was).
    sourcemap: 'external',
    sourcesContent: false,
    metafile: true
  })
  bundled.push({ name: e.out, metafile: lambda.metafile })
  const { size } = await stat(outfile)
  if (e.budget !== undefined && size > e.budget) {
    console.error(`${outfile} is ${size} bytes, over its budget of ${e.budget} bytes`)
    process.exit(1)
  }
  console.log(`${outfile}  ${(size / 1024).toFixed(1)} KiB`)
}

const notices = thirdPartyNotices(bundled)
await writeFile(path.join(outdir, 'licenses.txt'), notices.text)
console.log(`${outdir}/licenses.txt  ${notices.packages.length} bundled packages`)
