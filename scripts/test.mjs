#!/usr/bin/env node
// The test command (`npm test`): builds dist/, installs the emulator (moto server, pinned) into
// .venv when missing, starts one emulator per jest worker on free 127.0.0.1 ports, runs jest,
// and stops the emulators by PID whatever happens. Extra arguments go to jest.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'

const MOTO = 'moto[server]==5.2.5'
const VENV = '.venv'
const python = path.join(VENV, 'bin', 'python')
const workers = Number(process.env.BLUEGREEN_TEST_WORKERS ?? 2)
const children = []

function log(message) {
  console.log(`[test] ${message}`)
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

function installMoto() {
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

async function startMoto() {
  const port = await freePort()
  mkdirSync('build', { recursive: true })
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

function stopAll() {
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

let code
try {
  log('bundling dist/')
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' })
  installMoto()
  const endpoints = await Promise.all(Array.from({ length: workers }, startMoto))
  log(`emulators: ${endpoints.join(' ')} (pids ${children.map((c) => c.pid).join(' ')})`)
  const results = path.join('build', 'jest-results.json')
  const jest = spawn(
    process.execPath,
    [
      '--experimental-vm-modules',
      'node_modules/jest/bin/jest.js',
      `--maxWorkers=${workers}`,
      '--json',
      `--outputFile=${results}`,
      ...process.argv.slice(2)
    ],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        MOTO_ENDPOINTS: endpoints.join(','),
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_SESSION_TOKEN: 'testing',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        NODE_NO_WARNINGS: '1'
      }
    }
  )
  code = await new Promise((resolve) => jest.on('exit', (c) => resolve(c ?? 1)))
  if (existsSync(results)) {
    const r = JSON.parse(readFileSync(results, 'utf8'))
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`)
  }
} catch (error) {
  console.error(`[test] ${error instanceof Error ? error.message : String(error)}`)
  code = 1
} finally {
  stopAll()
}
process.exit(code)
