#!/usr/bin/env node
// Benchmark of the built router bundle (dist/edge/router.js, from `node scripts/build.mjs`):
// time per request of its handler next to a baseline handler that returns a constant 302, as a
// ratio, and the bundle's size. Deployed like the Lambda zip: index.js + config.json in a
// temporary directory, loaded with require. Not a test: it prints figures and exits 0.
//
//   node bench/edge.mjs [--bundle dist/edge/router.js] [--iterations 200000] [--rounds 7]
import { copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    bundle: { type: 'string', default: 'dist/edge/router.js' },
    iterations: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '7' }
  }
})
const iterations = Number(values.iterations)
const rounds = Number(values.rounds)

const config = {
  version: 'bench',
  blueHost: 'www1.deep.mg',
  greenHost: 'www2.deep.mg',
  weights: { blue: 9, green: 1 },
  cookieName: 'bluegreen',
  cookieMaxAgeSeconds: 86400
}

/** Headers as CloudFront passes a typical browser request to a viewer-request function. */
function headers(extra = []) {
  const pairs = [
    ['Host', 'www.deep.mg'],
    ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36'],
    ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['Accept-Language', 'en-US,en;q=0.9'],
    ['Accept-Encoding', 'gzip, deflate, br'],
    ['Upgrade-Insecure-Requests', '1'],
    ...extra
  ]
  const out = {}
  for (const [key, value] of pairs) (out[key.toLowerCase()] ??= []).push({ key, value })
  return out
}

function event(uri, querystring, extra) {
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'd111111abcdef8.cloudfront.net',
            distributionId: 'EDFDVBD6EXAMPLE',
            eventType: 'viewer-request',
            requestId: 'bench'
          },
          request: {
            clientIp: '203.0.113.10',
            method: 'GET',
            uri,
            querystring,
            headers: headers(extra)
          }
        }
      }
    ]
  }
}

const scenarios = {
  'new viewer': event('/products/shoes/index.html', 'utm_source=news&utm_medium=email', []),
  'returning viewer': event('/cart', '', [
    ['Cookie', '_ga=GA1.2.1234; session=abc123; bluegreen=green']
  ]),
  'QA override': event('/', 'bluegreen=green&debug=1', [['Cookie', 'bluegreen=blue']]),
  'path to encode': event('//evil.example/é ü/%zz', 'q=a b&x=<y>', [])
}

const CONSTANT_302 = {
  status: '302',
  statusDescription: 'Found',
  headers: {
    location: [{ key: 'Location', value: 'https://www1.deep.mg/' }],
    'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
    'set-cookie': [{ key: 'Set-Cookie', value: 'bluegreen=blue; Max-Age=86400; Path=/; Secure' }]
  }
}
const baseline = async () => CONSTANT_302

/** Nanoseconds per awaited call over `iterations` calls. */
async function round(handler, ev) {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) await handler(ev)
  return Number(process.hrtime.bigint() - start) / iterations
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/**
 * Handler and baseline rounds interleaved, so that load from other processes hits both alike;
 * medians of the per-call times and of the per-round ratios.
 */
async function compare(handler, ev) {
  for (let i = 0; i < 20000; i++) await handler(ev)
  for (let i = 0; i < 20000; i++) await baseline(ev)
  const h = []
  const b = []
  const ratio = []
  for (let r = 0; r < rounds; r++) {
    b.push(await round(baseline, ev))
    h.push(await round(handler, ev))
    ratio.push((h.at(-1) ?? 0) / (b.at(-1) ?? 1))
  }
  return { handler: median(h), baseline: median(b), ratio: median(ratio) }
}

const bundlePath = path.resolve(values.bundle)
const { size } = await stat(bundlePath).catch(() => {
  console.error(`${values.bundle} not found: build it first with \`node scripts/build.mjs\``)
  process.exit(1)
})
const dir = await mkdtemp(path.join(tmpdir(), 'bluegreen-bench-'))
try {
  await copyFile(bundlePath, path.join(dir, 'index.js'))
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config))
  const { handler } = createRequire(import.meta.url)(path.join(dir, 'index.js'))

  const first = await handler(scenarios['new viewer'])
  if (first?.status !== '302')
    throw new Error('the bundle did not answer 302: is config.json valid?')

  console.log(
    `bundle ${values.bundle}: ${size} bytes (${(size / 1024).toFixed(1)} KiB, budget 50 KiB)`
  )
  console.log(
    `node ${process.version}, ${iterations} calls x ${rounds} rounds each, medians (ratio: of per-round ratios)`
  )
  console.log('scenario            handler ns  baseline ns  ratio')
  const row = (name, h, b, ratio) =>
    console.log(
      `${name.padEnd(18)}  ${h.toFixed(0).padStart(10)}  ${b.toFixed(0).padStart(11)}  ${ratio.toFixed(1).padStart(5)}`
    )
  const results = []
  for (const [name, ev] of Object.entries(scenarios)) {
    const r = await compare(handler, ev)
    results.push(r)
    row(name, r.handler, r.baseline, r.ratio)
  }
  const mean = (key) => results.reduce((sum, r) => sum + r[key], 0) / results.length
  row('mean', mean('handler'), mean('baseline'), mean('handler') / mean('baseline'))
} finally {
  await rm(dir, { recursive: true, force: true })
}
