#!/usr/bin/env node
// The test command (`npm test`): builds dist/, installs the emulator (moto server, pinned) into
// .venv when missing, starts one emulator per jest worker on free 127.0.0.1 ports, runs jest,
// and stops the emulators by PID whatever happens. Jest runs on Node 24, as the action does
// (scripts/node-runtime.mjs). Extra arguments go to jest.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { installLinters } from './actionlint.mjs'
import { emulatorPids, installMoto, startMoto, stopAll } from './emulator.mjs'
import { testNode } from './node-runtime.mjs'
import { startDynalite, stopDynalite } from './dynalite.mjs'

const workers = Number(process.env.BLUEGREEN_TEST_WORKERS ?? 2)

let code
try {
  console.log('[test] bundling dist/')
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' })
  const node = testNode()
  installMoto()
  const linters = installLinters(path.join('.venv', 'bin', 'python'))
  const endpoints = await Promise.all(Array.from({ length: workers }, startMoto))
  console.log(`[test] emulators: ${endpoints.join(' ')} (pids ${emulatorPids().join(' ')})`)
  const dynaliteEndpoints = await startDynalite(workers)
  console.log(`[test] dynalite: ${dynaliteEndpoints.join(' ')}`)
  mkdirSync('build', { recursive: true })
  const results = path.join('build', 'jest-results.json')
  const jest = spawn(
    node,
    [
      '--experimental-vm-modules',
      // Jest's ESM support is the one experimental feature the suite uses, and asks for above.
      '--disable-warning=ExperimentalWarning',
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
        ACTIONLINT: linters.actionlint,
        SHELLCHECK: linters.shellcheck,
        DYNALITE_ENDPOINTS: dynaliteEndpoints.join(','),
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_SESSION_TOKEN: 'testing',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        // The SDK's notice about Node versions it will drop; every other warning stays visible.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'
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
  await stopDynalite()
}
process.exit(code)
