// The local AWS emulator (moto server, pinned) for the tests and the demo: installs it into
// .venv when missing, starts instances on free 127.0.0.1 ports, stops them by PID.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'

const MOTO = 'moto[server]==5.2.5'
const VENV = '.venv'
const python = path.join(VENV, 'bin', 'python')
const children = []

function log(message) {
  console.log(`[emulator] ${message}`)
}

function motoInstalled() {
  if (!existsSync(python)) return false
  try {
    const v = execFileSync(python, ['-c', 'import moto, flask; print(moto.__version__)'], {
      stdio: ['ignore', 'pipe', 'ignore']
    })
    return v.toString().trim() === '5.2.5'
  } catch {
    return false
  }
}

/** Installs moto into .venv unless the pinned version is already there. */
export function installMoto() {
  if (motoInstalled()) return
  log(`installing ${MOTO} into ${VENV} (once; about a minute)`)
  if (!existsSync(python)) execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' })
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', MOTO], {
    stdio: 'inherit'
  })
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Starts one moto server (with scripts/moto/patches.py) and resolves to its endpoint. */
export async function startMoto() {
  const port = await freePort()
  const child = spawn(python, ['scripts/moto/server.py', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  children.push(child)
  let stderr = ''
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
  const endpoint = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited (${child.exitCode}):\n${stderr}`)
    try {
      const res = await fetch(`${endpoint}/moto-api/`)
      if (res.ok) return endpoint
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`moto did not answer on ${endpoint} within 60s:\n${stderr}`)
}

export function emulatorPids() {
  return children.map((c) => c.pid)
}

/** Stops every emulator this process started (also on exit and on Ctrl-C). */
export function stopAll() {
  for (const child of children) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM')
      } catch {
        // already gone
      }
    }
  }
}

process.on('exit', stopAll)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll()
    process.exit(130)
  })
}
