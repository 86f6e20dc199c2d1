#!/usr/bin/env node
// The release workflow's checks and notes (.github/workflows/release.yml):
//   node scripts/release.mjs check X.Y.Z   fails unless X.Y.Z can be released from this commit
//   node scripts/release.mjs notes X.Y.Z   prints the CHANGELOG.md section of X.Y.Z
// A version can be released when it is X.Y.Z, package.json says X.Y.Z, CHANGELOG.md has a
// non-empty `## [X.Y.Z]` section, the tag vX.Y.Z does not exist yet, and X.Y.Z is newer than
// every release of its major line (so moving vX never goes backwards).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/

/** Compares two X.Y.Z versions: negative, zero or positive. */
export function compareVersions(a, b) {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i]
  return 0
}

/** The body of `## [version]` in a Keep a Changelog file (undefined when absent). */
export function changelogSection(changelog, version) {
  const lines = changelog.split('\n')
  const start = lines.findIndex((l) => l.startsWith(`## [${version}]`))
  if (start < 0) return undefined
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((l) => l.startsWith('## '))
  return (end < 0 ? rest : rest.slice(0, end))
    .join('\n')
    .replace(/\n\[[^\]]+\]: .*$/gm, '')
    .trim()
}

/** Every problem with releasing `version`, given the repository's facts. */
export function releaseProblems(version, { packageVersion, changelog, tags }) {
  const m = SEMVER.exec(version)
  if (m === null) return [`'${version}' is not a version X.Y.Z (such as 1.2.0)`]
  const problems = []
  if (packageVersion !== version) {
    problems.push(`package.json says ${packageVersion}: set "version" to ${version} and commit`)
  }
  const notes = changelogSection(changelog, version)
  if (notes === undefined || notes === '') {
    problems.push(
      `CHANGELOG.md has no entries under '## [${version}]': rename '## [Unreleased]' to '## [${version}] - YYYY-MM-DD'`
    )
  }
  if (tags.includes(`v${version}`)) problems.push(`the tag v${version} exists already`)
  const newer = tags
    .map((t) => t.slice(1))
    .filter((t) => SEMVER.test(t) && t.split('.')[0] === m[1] && compareVersions(t, version) > 0)
  if (newer.length > 0) {
    problems.push(`v${m[1]} would move back: v${newer.join(', v')} is newer than ${version}`)
  }
  return problems
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [what, version = ''] = process.argv.slice(2)
  const changelog = readFileSync('CHANGELOG.md', 'utf8')
  if (what === 'notes') {
    process.stdout.write(`${changelogSection(changelog, version) ?? ''}\n`)
  } else if (what === 'check') {
    const tags = execFileSync('git', ['tag', '--list', 'v*'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
    const { version: packageVersion } = JSON.parse(readFileSync('package.json', 'utf8'))
    const problems = releaseProblems(version, { packageVersion, changelog, tags })
    for (const p of problems) console.log(`::error::${p}`)
    if (problems.length > 0) process.exit(1)
    console.log(`v${version} can be released; v${version.split('.')[0]} will point at it`)
  } else {
    console.error('usage: node scripts/release.mjs check|notes X.Y.Z')
    process.exit(2)
  }
}
