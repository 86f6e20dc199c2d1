#!/usr/bin/env node
// `npm run demo`: the whole lifecycle on the local emulator, no AWS account needed.
// Starts moto on 127.0.0.1 (installed into .venv as `npm test` does), creates a site (a wildcard
// certificate, a Route53 zone, blue stage:abcd1234 holding www.deep.mg and green prod:wxyz0987
// holding www2.deep.mg) with two DynamoDB tables and two S3 buckets per side, blue's holding data.
// Then it runs the CLI (dist/cli.js) step by step: replicate prepare, status, start; publish
// 9:1 (a dry run first), 1:1, two steps of a ramp to 0:1, 0:1 again; cleanup; replicate verify, stop,
// terminate. After each publish it sends viewers through a local stand-in for CloudFront's edge
// (which runs the router's real edge function from the emulator's Lambda) and counts where they
// land. Every step's summary goes into one report, build/demo/report.md. Moto stops at the end,
// also when a step fails.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { build } from 'esbuild'
import { installMoto, startMoto, stopAll } from './emulator.mjs'
import { testNode } from './node-runtime.mjs'

const OUT = 'build/demo'
const PAIR = ['--blue', 'stage:abcd1234', '--green', 'prod:wxyz0987']
const PUBLISH = ['publish', ...PAIR, '--domain-name', 'www.deep.mg']
const VIEWERS = { viewers: 200, returns: 2 }

/** One step: a CLI run, with what it shows; `before` runs first (time passing), `traffic` after. */
const STEPS = [
  {
    title: 'replicate prepare',
    why: "streams on blue's tables, green backfilled, S3 event delivery set up, the buckets copied, the replication function deployed (wait false: the buckets' catch-up pass is left to the next prepare)",
    args: ['replicate', 'prepare', ...PAIR, '--wait', 'false']
  },
  {
    title: 'replicate status',
    why: 'tables backfilled; the buckets wait for their catch-up pass',
    args: ['replicate', 'status', ...PAIR]
  },
  {
    title: 'replicate prepare (again, after T0)',
    why: "the catch-up pass copies what changed while S3's event delivery settled",
    before: 'eventDeliverySettled',
    args: ['replicate', 'prepare', ...PAIR, '--wait', 'false']
  },
  {
    title: 'replicate start',
    why: 'the replication function attached to the streams and the events queue',
    args: ['replicate', 'start', ...PAIR]
  },
  {
    title: 'replicate status',
    why: "the stream phase: the buckets' events queue is empty (100 %); the tables stay at 0 % here because the emulator runs no Lambda code, so the function applies no stream record (on AWS they reach 100 % once it has caught up)",
    args: ['replicate', 'status', ...PAIR]
  },
  {
    title: 'publish 9:1 (dry run)',
    why: 'the plan, now → planned, and no change',
    args: [...PUBLISH, '--ratio', '9:1', '--dry-run']
  },
  {
    title: 'publish 9:1',
    why: 'blue takes *.deep.mg, a router with the edge function takes www.deep.mg',
    args: [...PUBLISH, '--ratio', '9:1'],
    traffic: true
  },
  {
    title: 'publish 1:1',
    why: 'only a new edge version on the router',
    args: [...PUBLISH, '--ratio', '1:1'],
    traffic: true
  },
  {
    title: 'publish --ramp 75,100 (step 1)',
    why: 'a ramp in green percentages, one step per hour, from 1:1: its first step (75 % green)',
    args: [...PUBLISH, '--ramp', '75,100', '--ramp-interval', '1h'],
    traffic: true
  },
  {
    title: 'publish --ramp 75,100 (an hour later: step 2)',
    why: 'its last step, 100 % green: 0:1, the router passes through to green',
    before: 'rampHourPasses',
    args: [...PUBLISH, '--ramp', '75,100', '--ramp-interval', '1h'],
    traffic: true
  },
  {
    title: 'publish 0:1',
    why: 'the ramp got there: nothing to change',
    args: [...PUBLISH, '--ratio', '0:1']
  },
  {
    title: 'publish 0:1 --cleanup',
    why: 'the router and the edge function removed (cleanup-min-age 0s for the demo; 24h by default)',
    args: [...PUBLISH, '--ratio', '0:1', '--cleanup', '--cleanup-min-age', '0s'],
    traffic: true
  },
  {
    title: 'replicate verify',
    why: 'green compared with blue, item by item and object by object',
    args: ['replicate', 'verify', ...PAIR]
  },
  {
    title: 'replicate stop',
    why: 'the replication function detached',
    args: ['replicate', 'stop', ...PAIR]
  },
  {
    title: 'replicate terminate',
    why: 'the function, its mappings and the streams prepare enabled removed',
    args: ['replicate', 'terminate', ...PAIR]
  }
]

/** The demo's helpers (TypeScript, partly the tests' own) bundled into build/ and loaded. */
async function loadWorld() {
  await build({
    entryPoints: ['scripts/demo/world.ts'],
    outfile: 'build/demo-world.mjs',
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    logLevel: 'warning'
  })
  return import(new URL('../build/demo-world.mjs', import.meta.url).href)
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`

function trafficLine(t) {
  const pct = (n) => `${((n * 100) / VIEWERS.viewers).toFixed(1)} %`
  const none = t.none > 0 ? `, ${t.none} not served` : ''
  return `${t.requests} requests from ${VIEWERS.viewers} viewers: first visits ${t.blue} blue (${pct(t.blue)}) / ${t.green} green (${pct(t.green)})${none}; returning visits ${t.stayed} stayed on their colour, ${t.moved} moved`
}

const started = performance.now()
let failed = false
let edge
const report = [
  '# bluegreen demo on the local emulator',
  '',
  "Blue is `stage:abcd1234`, green is `prod:wxyz0987`, the domain is `www.deep.mg`. Each section is one run of the CLI (its job summary as the action writes it); after each publish, viewers with cookie jars go through a local stand-in for CloudFront that runs the router's real edge function.",
  ''
]
const counts = []
try {
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
  rmSync(OUT, { recursive: true, force: true })
  mkdirSync(OUT, { recursive: true })
  const world = await loadWorld()
  const w = await world.createWorld()
  const intro = `On the emulator (${endpoint}): blue ${w.site.blueId} holds www.deep.mg, green ${w.site.greenId} holds www2.deep.mg; tables ${w.tables.map((t) => `${t.blue} (${t.items} items)`).join(', ')}; buckets ${w.buckets.map((b) => `${b.blue} (${b.objects} objects)`).join(', ')}, each with an empty green partner.`
  console.log(`\n${intro}\n`)
  report.push(intro, '')
  edge = await world.startEdgeStandIn({ endpoint })
  const before = {
    eventDeliverySettled: {
      say: "(S3's event delivery settles for a few minutes after prepare, so prepare records T0 ahead; the demo moves that recorded T0 back instead of waiting.)",
      run: () => world.eventDeliverySettled(w)
    },
    rampHourPasses: {
      say: "(An hour passes for the ramp: the demo moves the times the router's tags record back by an hour, as the tests do; the action's clock is untouched.)",
      run: () => world.rampTimePasses(1)
    }
  }
  for (const [i, step] of STEPS.entries()) {
    const n = String(i + 1).padStart(2, '0')
    console.log(`\n━━ ${n} bluegreen ${step.args.join(' ')}\n   ${step.why}\n`)
    report.push(
      '---',
      '',
      `## ${n}. ${step.title}`,
      '',
      `\`bluegreen ${step.args.join(' ')}\``,
      '',
      `${step.why}.`,
      ''
    )
    if (step.before !== undefined) {
      const b = before[step.before]
      console.log(`   ${b.say}\n`)
      report.push(`*${b.say}*`, '')
      await b.run()
    }
    const summaryFile = path.join(OUT, `${n}.md`)
    const t0 = performance.now()
    const r = spawnSync(node, ['dist/cli.js', ...step.args, '--summary', summaryFile], {
      env,
      stdio: ['ignore', 'inherit', 'inherit']
    })
    const ms = performance.now() - t0
    // The summary's own title is the section's; the rest goes in one level down.
    const md = (existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '(no summary)')
      .replace(/^## .*\n/, '')
      .replace(/^### /gm, '#### ')
    report.push(md.trim(), '', `*Exit code ${r.status}, ${seconds(ms)}.*`, '')
    if (r.status !== 0) {
      failed = true
      console.error(
        `\nstep ${n} failed (exit ${r.status}); the report so far is in ${OUT}/report.md`
      )
      break
    }
    if (step.traffic === true) {
      const t = await world.traffic(edge, w.site, VIEWERS)
      const line = trafficLine(t)
      counts.push({ step: step.title, ...t })
      console.log(`\n   Traffic through the edge stand-in: ${line}`)
      report.push(
        '#### Traffic through the edge stand-in',
        '',
        '| requests | first visits on blue | first visits on green | returning visits that stayed | that moved |',
        '| --- | --- | --- | --- | --- |',
        `| ${t.requests} | ${t.blue} | ${t.green} | ${t.stayed} | ${t.moved} |`,
        '',
        line,
        ''
      )
    }
  }
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  failed = true
} finally {
  await edge?.close()
  stopAll()
}
const total = performance.now() - started
report.push('---', '', `Demo ${failed ? 'FAILED' : 'finished'} in ${seconds(total)}.`, '')
mkdirSync(OUT, { recursive: true })
writeFileSync(path.join(OUT, 'report.md'), report.join('\n'))
console.log(`\n━━ Traffic per step (first visits blue / green; returning visits stayed / moved)`)
for (const c of counts) {
  console.log(
    `   ${c.step.padEnd(46)} ${String(c.blue).padStart(3)} / ${String(c.green).padEnd(3)}  ${c.stayed} / ${c.moved}`
  )
}
console.log(
  `\nDemo ${failed ? 'failed' : 'finished'} in ${seconds(total)}; the emulator is stopped.`
)
console.log(`Every step's summary: ${path.resolve(OUT, 'report.md')}`)
process.exit(failed ? 1 : 0)
