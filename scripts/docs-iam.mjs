#!/usr/bin/env node
// `npm run docs:iam`: writes the README's IAM policy block (between the iam-policy markers) from
// docs/iam/: its README's text, then every policy file. `--check` changes nothing and exits 1 when
// the README's block differs (the test suite runs it).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as prettier from 'prettier'

const START = '<!-- iam-policy:start (generated from docs/iam/ by npm run docs:iam) -->'
const END = '<!-- iam-policy:end -->'

/** The README block, from the files of `dir` (docs/iam). */
export function iamBlock(dir) {
  const intro = readFileSync(path.join(dir, 'README.md'), 'utf8')
    .replace(/^# .*\n+/, '')
    .replace(/\]\(([a-z-]+\.json)\)/g, '](docs/iam/$1)')
    .trimEnd()
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => order(a) - order(b) || a.localeCompare(b))
  const blocks = files.map((f) => {
    const json = readFileSync(path.join(dir, f), 'utf8').trimEnd()
    return `<details><summary><code>docs/iam/${f}</code></summary>\n\n\`\`\`json\n${json}\n\`\`\`\n\n</details>`
  })
  return `${START}\n\n${intro}\n\n${blocks.join('\n\n')}\n\n${END}`
}

/** publish first, the replicate commands in their lifecycle's order, the trust policy last. */
function order(file) {
  const lifecycle = [
    'publish',
    'prepare',
    'start',
    'status',
    'verify',
    'repair',
    'stop',
    'terminate'
  ]
  const name = file.replace(/^replicate-|\.json$/g, '')
  const i = lifecycle.indexOf(name)
  return i === -1 ? lifecycle.length : i
}

/** The README with its block replaced (throws when the markers are missing). */
export function withIamBlock(readme, block) {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`README.md: the markers ${START} … ${END} are missing`)
  }
  return readme.slice(0, start) + block + readme.slice(end + END.length)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.cwd()
  const readmePath = path.join(root, 'README.md')
  const readme = readFileSync(readmePath, 'utf8')
  // Formatted as `npm run format:write` would, so the check and the formatter agree.
  const options = (await prettier.resolveConfig(readmePath)) ?? {}
  const next = await prettier.format(
    withIamBlock(readme, iamBlock(path.join(root, 'docs', 'iam'))),
    { ...options, filepath: readmePath }
  )
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error(
        'README.md: the IAM policy block differs from docs/iam/: run `npm run docs:iam`'
      )
      process.exit(1)
    }
    console.log('README.md: the IAM policy block matches docs/iam/')
  } else if (next !== readme) {
    writeFileSync(readmePath, next)
    console.log('README.md: IAM policy block written from docs/iam/')
  }
}
