/**
 * What ships: the Node line the suite runs on is the one the action runs on, the bundles carry
 * source maps that turn a crash into src/ lines, and dist/licenses.txt names every bundled
 * package with its licence.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { packageDir } from '../scripts/licenses.mjs'

const nodeVersion = readFileSync('.node-version', 'utf8').trim()

describe('Node', () => {
  it('the suite runs on the Node line of .node-version (the test command sees to it)', () => {
    expect(process.versions.node.split('.')[0]).toBe(nodeVersion)
  })

  it('action.yml runs on that line, and engines names the oldest line the CLI supports', () => {
    expect(readFileSync('action.yml', 'utf8')).toMatch(new RegExp(`using: node${nodeVersion}\\n`))
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }
    expect(pkg.engines.node).toBe('>=22')
  })
})

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]
  )
}

describe('source maps', () => {
  it('every bundle in dist/ has its map; the action and CLI bundles link theirs', () => {
    const bundles = filesUnder('dist').filter((f) => f.endsWith('.js'))
    expect(bundles.length).toBeGreaterThan(4)
    for (const f of bundles) {
      expect({ f, map: existsSync(`${f}.map`) }).toEqual({ f, map: true })
      const linked = readFileSync(f, 'utf8').includes(
        `//# sourceMappingURL=${path.basename(f)}.map`
      )
      // The Lambda bundles keep their deployed bytes: the map sits beside them, unlinked.
      const lambda = f.startsWith(path.join('dist', 'edge')) || f.includes('replicate')
      expect({ f, linked }).toEqual({ f, linked: !lambda })
    }
  })

  const crash = {
    INPUT_BLUE: 'stage:abcd1234',
    INPUT_GREEN: 'prod:wxyz0987',
    INPUT_RATIO: '9:1',
    'INPUT_DOMAIN-NAME': 'www.deep.mg',
    // Not a URL: the SDK throws a TypeError from inside our discovery.
    AWS_ENDPOINT_URL: 'http://[::1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
    AWS_REGION: 'us-east-1',
    PATH: process.env.PATH ?? ''
  }

  it.each([
    ['node dist/index.js (as the runner calls it, no flags)', ['dist/index.js'], 'stdout'],
    [
      'dist/cli.js',
      [
        'dist/cli.js',
        'publish',
        '--blue',
        'stage:abcd1234',
        '--green',
        'prod:wxyz0987',
        '--ratio',
        '9:1',
        '--domain-name',
        'www.deep.mg'
      ],
      'stderr'
    ]
  ] as const)('a crash in %s points at src/ lines', (_name, args, stream) => {
    const r = spawnSync(process.execPath, args, { env: crash, encoding: 'utf8' })
    expect(r.status).toBe(1)
    const out = stream === 'stdout' ? r.stdout : r.stderr
    expect(out).toContain('TypeError: Invalid URL')
    expect(out).toMatch(/src\/publish\/discover\.ts:\d+:\d+/)
    expect(out).not.toMatch(/dist\/chunks\/[^ ]+\.js:\d+/)
  })

  it('the bin passes --enable-source-maps', () => {
    expect(readFileSync('dist/cli.js', 'utf8').split('\n')[0]).toBe(
      '#!/usr/bin/env -S node --enable-source-maps'
    )
  })
})

describe('dist/licenses.txt', () => {
  const text = readFileSync('dist/licenses.txt', 'utf8')
  const listed = [...text.matchAll(/^ {2}(\S+)@(\d\S*) {2}(\S+)/gm)].map((m) => ({
    name: m[1] ?? '',
    version: m[2] ?? '',
    license: m[3] ?? ''
  }))

  it('names every runtime dependency (each is bundled) with the version installed', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>
    }
    for (const name of Object.keys(pkg.dependencies)) {
      const installed = JSON.parse(
        readFileSync(path.join('node_modules', name, 'package.json'), 'utf8')
      ) as { version: string }
      expect(listed.find((p) => p.name === name)).toMatchObject({ version: installed.version })
    }
  })

  it('gives each package a licence, and the text of every licence file it ships', () => {
    expect(listed.length).toBeGreaterThan(20)
    for (const p of listed) expect({ p, license: p.license }).not.toEqual({ p, license: 'UNKNOWN' })
    expect(text).toContain('Permission is hereby granted, free of charge') // MIT
    expect(text).toContain('Apache License') // the AWS SDK
  })

  it('maps a bundled file to its package, nested node_modules included', () => {
    expect(packageDir('node_modules/@smithy/core/dist-es/index.js')).toBe(
      'node_modules/@smithy/core'
    )
    expect(packageDir('node_modules/a/node_modules/b/lib/x.js')).toBe(
      'node_modules/a/node_modules/b'
    )
    expect(packageDir('src/main.ts')).toBeUndefined()
  })
})
