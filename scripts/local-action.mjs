#!/usr/bin/env node
// Runs the built action locally the way the runner does: `npm run local-action -- ratio=9:1
// blue=E1.. green=E2.. domain-name=www.deep.mg dry-run=true`. Each name=value becomes INPUT_*;
// outputs and the job summary are printed at the end.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const dir = mkdtempSync(path.join(tmpdir(), 'bluegreen-local-'))
const output = path.join(dir, 'output')
const summary = path.join(dir, 'summary')
writeFileSync(output, '')
writeFileSync(summary, '')
const env = { ...process.env, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary }
for (const arg of process.argv.slice(2)) {
  const eq = arg.indexOf('=')
  if (eq <= 0) {
    console.error(`expected name=value, got '${arg}'`)
    process.exit(2)
  }
  env[`INPUT_${arg.slice(0, eq).toUpperCase()}`] = arg.slice(eq + 1)
}
const r = spawnSync(process.execPath, ['dist/index.js'], { env, stdio: 'inherit' })
console.log(
  `\n--- outputs\n${readFileSync(output, 'utf8')}--- summary\n${readFileSync(summary, 'utf8')}`
)
process.exit(r.status ?? 1)
