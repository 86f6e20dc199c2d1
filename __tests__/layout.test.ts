/**
 * The layering the code relies on: the AWS adapters at the bottom import no command module, and
 * the pure planners import no AWS SDK client (they run on plain data, so they are tested so).
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] ?? '')
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f))
}

describe('layout', () => {
  it('src/aws imports nothing above it (no publish, replicate, rollout or github module)', () => {
    const offending = tsFiles('src/aws').flatMap((file) =>
      importsOf(file)
        .filter((spec) => /^\.\.\/(publish|replicate|rollout|github|cli|main|execute)\b/.test(spec))
        .map((spec) => `${file} imports ${spec}`)
    )
    expect(offending).toEqual([])
  })

  it('the publish planner modules import no AWS SDK client', () => {
    const planners = [
      'plan',
      'search',
      'preflight',
      'dns',
      'cleanup',
      'tags',
      'router-config',
      'hostnames'
    ].map((name) => path.join('src', 'publish', `${name}.ts`))
    const offending = planners.flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith('@aws-sdk/'))
        .map((spec) => `${file} imports ${spec}`)
    )
    expect(offending).toEqual([])
  })

  it('the rollout decisions import no AWS SDK client', () => {
    const offending = tsFiles('src/rollout').flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith('@aws-sdk/'))
        .map((spec) => `${file} imports ${spec}`)
    )
    expect(offending).toEqual([])
  })
})
