#!/usr/bin/env node
// `npm run demo`: the whole publish cycle on the local emulator, no AWS account needed. Starts
// moto on 127.0.0.1, creates a site (certificate, zone, blue and green distributions), then runs
// the CLI: a dry run, 9:1, 1:1, 0:1 and cleanup, printing each run's summary. Stops moto at the end.
import { spawnSync } from 'node:child_process'
import { installMoto, startMoto, stopAll } from './emulator.mjs'
import { loadSiteHelper } from './emulator-site.mjs'
import { testNode } from './node-runtime.mjs'

const STEPS = [
  ['a dry run of 9:1: the plan, no change', ['--ratio', '9:1', '--dry-run']],
  [
    '9:1: blue takes *.deep.mg, a router with the edge function takes www.deep.mg',
    ['--ratio', '9:1']
  ],
  ['1:1: only a new edge version on the router', ['--ratio', '1:1']],
  ['1:1 again: nothing to change', ['--ratio', '1:1']],
  ['0:1: everything on green, the router passes through', ['--ratio', '0:1']],
  [
    'cleanup (cleanup-min-age 0s for the demo; 24h by default)',
    ['--ratio', '0:1', '--cleanup', '--cleanup-min-age', '0s']
  ]
]

let failed = false
try {
  // The CLI runs on the action's Node line, as the tests do.
  const node = testNode()
  installMoto()
  const endpoint = await startMoto()
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'demo',
    AWS_SECRET_ACCESS_KEY: 'demo',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    // The SDK's notice about Node versions it will drop; every other warning stays visible.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'
  }
  Object.assign(process.env, env)
  const { createSite } = await loadSiteHelper()
  const site = await createSite()
  console.log(
    `\nOn the emulator (${endpoint}): blue ${site.blueId} (stage:abcd1234) holds www.deep.mg, green ${site.greenId} (prod:wxyz0987) holds www2.deep.mg\n`
  )
  for (const [title, args] of STEPS) {
    console.log(`\n━━ bluegreen publish ${args.join(' ')}\n   ${title}\n`)
    const r = spawnSync(
      node,
      [
        'dist/cli.js',
        'publish',
        '--blue',
        'stage:abcd1234',
        '--green',
        'prod:wxyz0987',
        '--domain-name',
        'www.deep.mg',
        ...args
      ],
      { env, stdio: ['ignore', 'inherit', 'inherit'] }
    )
    if (r.status !== 0) {
      failed = true
      break
    }
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  failed = true
} finally {
  stopAll()
}
process.exit(failed ? 1 : 0)
