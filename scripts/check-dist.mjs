#!/usr/bin/env node
// Fails when a fresh bundle differs from the committed dist/ (the action runs dist/, not src/).
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'

// Built beside dist/ (same depth), so that the source maps' relative paths to src/ and
// node_modules/, and the chunk hashes that depend on them, come out as in dist/.
const fresh = '.dist-check'
rmSync(fresh, { recursive: true, force: true })
mkdirSync(fresh)
try {
  execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', fresh], { stdio: 'inherit' })
  const list = (dir, base = dir) =>
    readdirSync(dir).flatMap((f) => {
      const p = path.join(dir, f)
      return statSync(p).isDirectory() ? list(p, base) : [path.relative(base, p)]
    })
  const want = list(fresh).sort()
  const have = list('dist').sort()
  const problems = []
  for (const f of new Set([...want, ...have])) {
    if (!want.includes(f)) problems.push(`dist/${f} is committed but no longer built`)
    else if (!have.includes(f)) problems.push(`dist/${f} is built but not committed`)
    else if (!readFileSync(path.join(fresh, f)).equals(readFileSync(path.join('dist', f)))) {
      problems.push(`dist/${f} differs from a fresh build`)
    }
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'))
    console.error("Run 'npm run bundle' and commit dist/.")
    process.exit(1)
  }
  console.log('dist/ matches a fresh build')
} finally {
  rmSync(fresh, { recursive: true, force: true })
}
