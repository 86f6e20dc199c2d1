/**
 * Every workflow in the repository (examples/, .github/workflows/) and every YAML block of the
 * README that is a workflow or a step list passes actionlint, with shellcheck on `run:` scripts.
 * `uses: deep/bluegreen-action@<ref>` is linted as the local action `./`, so each `with:` input
 * and each `steps.<id>.outputs.<name>` is checked against action.yml. `npm test` installs both
 * linters (scripts/actionlint.mjs) and passes their paths in ACTIONLINT and SHELLCHECK.
 */
import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const ACTIONLINT = process.env.ACTIONLINT
const SHELLCHECK = process.env.SHELLCHECK
const describeLint = ACTIONLINT !== undefined && SHELLCHECK !== undefined ? describe : describe.skip

interface Doc {
  /** Where it comes from: examples/cron-ramp.yml, or README.md:57 for a block. */
  source: string
  /** The workflow actionlint reads. */
  text: string
  /** Line of the source that line 1 of `text` maps to, minus one. */
  offset: number
}

const WORKFLOW_KEYS = new Set([
  'name',
  'run-name',
  'on',
  'permissions',
  'env',
  'defaults',
  'concurrency',
  'jobs'
])
const STEPS_HEADER = [
  'on: workflow_dispatch',
  'jobs:',
  '  readme:',
  '    runs-on: ubuntu-latest',
  '    steps:'
]

/** A README block as a workflow actionlint accepts, or undefined when it is neither kind. */
export function asWorkflow(block: string, source: string, firstLine: number): Doc | undefined {
  const lines = block.replace(/\n$/, '').split('\n')
  const content = lines.filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
  if (content.length === 0) return undefined
  if ((content[0] ?? '').startsWith('- ')) {
    const text = [...STEPS_HEADER, ...lines.map((l) => (l === '' ? l : `      ${l}`))].join('\n')
    return { source, text: `${text}\n`, offset: firstLine - 1 - STEPS_HEADER.length }
  }
  const keys = content.filter((l) => /^[a-z-]+:/.test(l)).map((l) => l.slice(0, l.indexOf(':')))
  if (keys.length === 0 || !keys.every((k) => WORKFLOW_KEYS.has(k))) return undefined
  const hasOn = keys.includes('on')
  const head = hasOn ? [] : ['on: workflow_dispatch']
  const tail = keys.includes('jobs')
    ? []
    : ['jobs:', '  readme:', '    runs-on: ubuntu-latest', '    steps:', '      - run: echo ok']
  return {
    source,
    text: `${[...head, ...lines, ...tail].join('\n')}\n`,
    offset: firstLine - 1 - head.length
  }
}

function readmeBlocks(): { doc: Doc | undefined; line: number }[] {
  const lines = readFileSync('README.md', 'utf8').split('\n')
  const out: { doc: Doc | undefined; line: number }[] = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i] ?? '')) continue
    const start = i + 2 // 1-based line of the block's first line
    const body: string[] = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '')
    out.push({ doc: asWorkflow(`${body.join('\n')}\n`, `README.md:${start}`, start), line: start })
  }
  return out
}

function workflowFiles(): Doc[] {
  const docs: Doc[] = []
  for (const dir of ['examples', path.join('.github', 'workflows')]) {
    if (!existsSync(dir)) continue
    for (const f of readdirSync(dir).sort()) {
      if (!/\.ya?ml$/.test(f)) continue
      const source = path.join(dir, f)
      docs.push({ source, text: readFileSync(source, 'utf8'), offset: 0 })
    }
  }
  return docs
}

interface Finding {
  message: string
  filepath: string
  line: number
  column: number
  kind: string
}

/** Lints `docs` in a scratch project holding this action.yml; findings name the sources. */
function lint(docs: Doc[]): string[] {
  const root = mkdtempSync(path.join(tmpdir(), 'bluegreen-actionlint-'))
  mkdirSync(path.join(root, '.git'))
  mkdirSync(path.join(root, '.github', 'workflows'), { recursive: true })
  mkdirSync(path.join(root, 'dist'))
  copyFileSync('action.yml', path.join(root, 'action.yml'))
  writeFileSync(path.join(root, 'dist', 'index.js'), '')
  const names = docs.map((d, i) => {
    // The repository's own workflows keep their names: one may call another (workflow_call).
    const own = path.dirname(d.source) === path.join('.github', 'workflows')
    const name = own ? path.basename(d.source) : `w${i}.yml`
    const text = d.text.replace(/deep\/bluegreen-action@[\w.-]+/g, './')
    writeFileSync(path.join(root, '.github', 'workflows', name), text)
    return name
  })
  let out: string
  try {
    out = execFileSync(
      ACTIONLINT ?? 'actionlint',
      [
        '-no-color',
        '-format',
        '{{json .}}',
        '-shellcheck',
        SHELLCHECK ?? '',
        '-pyflakes=',
        ...names.map((n) => path.join('.github', 'workflows', n))
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }
    ).toString()
  } catch (error) {
    const e = error as { status?: number; stdout?: Buffer; stderr?: Buffer }
    if (e.status !== 1) {
      throw new Error(`actionlint failed (${e.status ?? '?'}): ${String(e.stderr ?? '')}`, {
        cause: error
      })
    }
    out = String(e.stdout ?? '[]')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
  const findings = JSON.parse(out === '' ? '[]' : out) as Finding[]
  return findings.map((f) => {
    const doc = docs[names.indexOf(path.basename(f.filepath))]
    const where = doc === undefined ? f.filepath : doc.source.replace(/:\d+$/, '')
    return `${where}:${f.line + (doc?.offset ?? 0)}:${f.column}: ${f.message} [${f.kind}]`
  })
}

/** `run:` scripts that contain `${{ }}` (values belong in `env:`). */
function expressionsInRun(doc: Doc): string[] {
  const lines = doc.text.split('\n')
  const found: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:- )?run:\s*(.*)$/.exec(lines[i] ?? '')
    if (m === null) continue
    const indent = (m[1] ?? '').length
    const script = [m[2] ?? '']
    if (/^[|>]/.test(m[2] ?? '')) {
      const deeper = (l: string): boolean =>
        l.trim() === '' || l.length - l.trimStart().length > indent
      for (let j = i + 1; j < lines.length && deeper(lines[j] ?? ''); j++) {
        script.push(lines[j] ?? '')
      }
    }
    if (script.some((l) => l.includes('${{'))) {
      found.push(`${doc.source.replace(/:\d+$/, '')}:${i + 1 + doc.offset}`)
    }
  }
  return found
}

describeLint('workflows pass actionlint', () => {
  const files = workflowFiles()
  const blocks = readmeBlocks()
  const readmeDocs = blocks.flatMap((b) => (b.doc === undefined ? [] : [b.doc]))

  it('lints the examples: a manual ratio, a cron ramp, a matrix, replicate, cleanup', () => {
    expect(files.map((f) => f.source).filter((s) => s.startsWith('examples'))).toEqual([
      'examples/cleanup.yml',
      'examples/cron-ramp.yml',
      'examples/manual-ratio.yml',
      'examples/matrix-domains.yml',
      'examples/replicate-lifecycle.yml'
    ])
    expect(lint(files)).toEqual([])
  })

  it('lints every README block that is a workflow or a step list', () => {
    expect(readmeDocs.length).toBeGreaterThanOrEqual(4)
    expect(lint(readmeDocs)).toEqual([])
  })

  it('passes values to run: scripts through env:, never as ${{ }} in the script', () => {
    expect([...files, ...readmeDocs].flatMap(expressionsInRun)).toEqual([])
  })

  it('catches real problems (an unknown input, an output that does not exist, bad shell)', () => {
    const bad: Doc = {
      source: 'bad.yml',
      offset: 0,
      text: [
        'on: push',
        'jobs:',
        '  x:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: deep/bluegreen-action@v1',
        '        id: s',
        '        with: { blue: a, green: b, ramp-intervall: 1d }',
        '      - env:',
        '          N: ${{ steps.s.outputs.ramp-nxt }}',
        '        run: echo $N',
        ''
      ].join('\n')
    }
    const findings = lint([bad]).join('\n')
    expect(findings).toContain('input "ramp-intervall" is not defined')
    expect(findings).toContain('ramp-nxt')
    expect(findings).toContain('shellcheck')
    expect(
      expressionsInRun({ ...bad, text: bad.text.replace('echo $N', 'echo ${{ github.ref }}') })
    ).toEqual(['bad.yml:11'])
  })

  it('wraps README step lists and workflow fragments, and leaves other YAML alone', () => {
    expect(asWorkflow('- uses: x/y@v1\n', 'r', 10)?.text).toContain(
      '    steps:\n      - uses: x/y@v1'
    )
    expect(asWorkflow('concurrency:\n  group: g\n', 'r', 3)?.text).toContain('jobs:')
    expect(asWorkflow('Resources:\n  A: 1\n', 'r', 1)).toBeUndefined()
  })
})
