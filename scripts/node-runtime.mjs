// The Node.js the suite runs on: the action runs on node24 (action.yml), so the tests do too.
// Where the machine's Node is older, a pinned Node 24 comes from the npm registry's Node binary
// packages (node-<platform>-<arch>, no install scripts), installed once into .node-runtime/
// with npm itself (integrity-checked like any package). Nothing is installed by hand.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** The exact Node 24 release the tests use when the machine's Node is older. */
export const NODE_VERSION = '24.22.3'
const DIR = '.node-runtime'

/** The major line the action runs on, from .node-version (which must agree with NODE_VERSION). */
export function wantedMajor() {
  const major = Number(readFileSync('.node-version', 'utf8').trim().split('.')[0])
  if (String(major) !== NODE_VERSION.split('.')[0]) {
    throw new Error(`.node-version says ${major}, scripts/node-runtime.mjs pins ${NODE_VERSION}`)
  }
  return major
}

function binaryPackage() {
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform]
  if (platform === undefined) throw new Error(`no Node binary package for ${process.platform}`)
  return `node-${platform}-${process.arch}`
}

function versionOf(node) {
  try {
    return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

/**
 * The path of a Node binary of the wanted major line: this process's own when it is new enough,
 * else the pinned release under .node-runtime/ (installed on first use, about 30 MB).
 */
export function testNode(log = (m) => console.log(`[node] ${m}`)) {
  const major = wantedMajor()
  if (Number(process.versions.node.split('.')[0]) >= major) return process.execPath
  const pkg = binaryPackage()
  const node = path.resolve(
    DIR,
    'node_modules',
    pkg,
    'bin',
    process.platform === 'win32' ? 'node.exe' : 'node'
  )
  if (versionOf(node) !== `v${NODE_VERSION}`) {
    log(`Node ${process.versions.node} here; installing ${pkg}@${NODE_VERSION} into ${DIR}/ (once)`)
    mkdirSync(DIR, { recursive: true })
    const manifest = path.join(DIR, 'package.json')
    if (!existsSync(manifest)) writeFileSync(manifest, '{ "private": true }\n')
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        DIR,
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `${pkg}@${NODE_VERSION}`
      ],
      { stdio: 'inherit', shell: process.platform === 'win32' }
    )
    const got = versionOf(node)
    if (got !== `v${NODE_VERSION}`) throw new Error(`${node} reports ${got ?? 'nothing'}`)
  }
  return node
}
