#!/usr/bin/env node
// Creates the example site of the emulator tests (a wildcard certificate, a Route53 zone, blue
// stage:abcd1234 holding www.deep.mg and green prod:wxyz0987 holding www2.deep.mg) on the
// emulator at AWS_ENDPOINT_URL, and prints its ids as name=value lines (also into
// $GITHUB_OUTPUT on a runner). CI's `uses: ./` job runs the action against it.
//   node scripts/emulator-site.mjs [domain]
import { appendFileSync } from 'node:fs'
import { build } from 'esbuild'

/** Bundles the tests' site helper (TypeScript) into build/ and loads it. */
export async function loadSiteHelper() {
  await build({
    entryPoints: ['__tests__/helpers/site.ts'],
    outfile: 'build/site.mjs',
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    logLevel: 'warning'
  })
  return import(new URL('../build/site.mjs', import.meta.url).href)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const endpoint = process.env.AWS_ENDPOINT_URL ?? ''
  if (!/^http:\/\/(127\.0\.0\.1|localhost):\d+/.test(endpoint)) {
    console.error('AWS_ENDPOINT_URL must be a local emulator (http://127.0.0.1:PORT)')
    process.exit(2)
  }
  const { createSite } = await loadSiteHelper()
  const site = await createSite(process.argv[2] ?? 'www.deep.mg')
  const lines = [
    `blue-id=${site.blueId}`,
    `green-id=${site.greenId}`,
    `zone-id=${site.zoneId}`,
    `domain=${site.domain}`
  ]
  console.log(lines.join('\n'))
  if (process.env.GITHUB_OUTPUT !== undefined) {
    appendFileSync(process.env.GITHUB_OUTPUT, `${lines.join('\n')}\n`)
  }
}
