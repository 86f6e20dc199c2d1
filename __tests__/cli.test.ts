/** The built CLI (dist/cli.js): the action's commands with the same names as flags. */
import { jest } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { closest, main, parseCommandLine, usage, type Terminal } from '../src/cli.js'
import type { ActionInput } from '../src/help.js'

function cli(
  args: string[],
  env: Record<string, string> = {}
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], {
    encoding: 'utf8',
    // No endpoint that answers: a usage error must not get as far as AWS anyway.
    env: {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_REGION: 'us-east-1',
      ...env
    }
  })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** publish's required flags for www.deep.mg with blue E1 and green E2, then `extra`. */
const publish = (...extra: string[]): string[] => [
  'publish',
  '--blue',
  'E1',
  '--green',
  'E2',
  '--domain-name',
  'www.deep.mg',
  ...extra
]

interface YamlInput {
  description: string
  required?: boolean
  default?: string
}

/** action.yml's inputs, read here with a YAML parser (the build reads them on its own). */
function actionYmlInputs(): ActionInput[] {
  const doc = parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, YamlInput> }
  return Object.entries(doc.inputs).map(([name, i]) => ({
    name,
    description: i.description.trim(),
    required: i.required === true,
    ...(i.default === undefined ? {} : { default: i.default })
  }))
}

/** Help text with its line wrapping undone, so a description reads as one string. */
function unwrapped(text: string): string {
  return text.replace(/\s+/g, ' ')
}

describe('bluegreen --help', () => {
  const help = cli(['--help'])

  it('exits 0 and shows the usage of both commands', () => {
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('bluegreen publish --blue')
    expect(help.stdout).toContain(
      'bluegreen replicate <prepare|status|start|stop|terminate|verify|repair>'
    )
  })

  it.each(actionYmlInputs().filter((i) => i.name !== 'command'))(
    'shows --$name with its description and default from action.yml',
    (input) => {
      const text = unwrapped(help.stdout)
      expect(text).toContain(`--${input.name} `)
      expect(text).toContain(unwrapped(input.description))
      if (input.default !== undefined && input.default !== '') {
        const at = text.indexOf(`--${input.name} `)
        const next = text.indexOf(' --', at + input.name.length + 3)
        expect(text.slice(at, next)).toContain(`Default: ${input.default}.`)
      }
    }
  )

  it('built from action.yml: the bundled help equals usage() of the parsed file', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    expect(help.stdout).toBe(`${usage(actionYmlInputs(), pkg.version)}\n`)
  })

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    expect(cli(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
  })
})

describe('bluegreen usage errors', () => {
  it.each([
    [['publsh', '--blue', 'x'], "unknown command 'publsh'; did you mean 'publish'?"],
    [['replicate', 'prep'], "unknown command 'replicate prep'; did you mean 'replicate prepare'?"],
    [['replicate', 'verfy'], "did you mean 'replicate verify'?"],
    [['publish', '--ratoi', '9:1'], "unknown flag '--ratoi'; did you mean '--ratio'?"],
    [['publish', '--dryrun'], "unknown flag '--dryrun'; did you mean '--dry-run'?"],
    [['publish', '--domain=www.deep.mg'], "unknown flag '--domain'; did you mean '--domain-name'?"],
    [['publish', '--colour', 'blue'], "unknown flag '--colour'"],
    [['deploy', '--blue', 'x'], "unknown command 'deploy'; use one of: publish, replicate prepare"],
    [['publish', '--ratio'], "Option '--ratio <value>' argument missing"]
  ])('%j: one line, no stack trace, exit 2', (args, message) => {
    const r = cli(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(message)
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it.each([
    [['publish', '--blue', 'E1', '--green', 'E2', '--ratio', '9:1'], /input 'domain-name'/],
    [publish('--ratio', '0:0'), /input 'ratio' = "0:0"/]
  ])('exits 2 on the bad input in %j', (args, message) => {
    const r = cli(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('suggests only what is close', () => {
    expect(closest('ratoi', ['ratio', 'region'])).toBe('ratio')
    expect(closest('colour', ['blue', 'green', 'ratio'])).toBeUndefined()
    expect(closest('clean', ['cleanup', 'cleanup-min-age'])).toBe('cleanup')
  })
})

describe('bluegreen command line', () => {
  it('maps flags onto the action inputs, booleans alone meaning true', () => {
    expect(
      parseCommandLine([
        'replicate',
        'prepare',
        '--blue',
        'stage:abcd1234',
        '--green=prod:wxyz0987',
        '--dry-run',
        '--wait',
        'false',
        '--tables',
        'Todo',
        '--summary',
        'out.md'
      ])
    ).toEqual({
      kind: 'run',
      summaryFile: 'out.md',
      raw: {
        command: 'replicate prepare',
        blue: 'stage:abcd1234',
        green: 'prod:wxyz0987',
        'dry-run': 'true',
        wait: 'false',
        tables: 'Todo'
      }
    })
  })

  it('prints a readable report, not markdown, and writes the markdown with --summary', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bluegreen-cli-'))
    const file = path.join(dir, 'summary.md')
    const r = cli(
      publish('--ratio', '9:1', '--dry-run', '--summary', file),
      // An endpoint that refuses at once: the run fails in discovery, after the report exists.
      { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_MAX_ATTEMPTS: '1' }
    )
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('bluegreen publish (dry run)')
    expect(r.stdout).not.toMatch(/^#|```|\| --- \||> \[!/m)
    expect(r.stdout).toMatch(/^error: /m)
    expect(r.stdout).toContain('changed=false')
    const md = readFileSync(file, 'utf8')
    expect(md).toMatch(/^## bluegreen publish \(dry run\)\n/)
    expect(md).toContain('> [!CAUTION]')
  })

  it('takes replicate repair, and the replicate opt-ins as boolean flags', () => {
    expect(
      parseCommandLine(['replicate', 'repair', '--blue', 'a:abcd1234', '--green', 'b:abcd1234'])
    ).toMatchObject({ kind: 'run', raw: { command: 'replicate repair' } })
    expect(
      parseCommandLine(['replicate', 'start', '--replay-over-green-writes', '--overwrite-green'])
    ).toEqual({
      kind: 'run',
      summaryFile: undefined,
      raw: {
        command: 'replicate start',
        'replay-over-green-writes': 'true',
        'overwrite-green': 'true'
      }
    })
  })

  it('says so when publish falls back to the default ratio 0:1', () => {
    const r = cli(publish('--dry-run'), {
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_MAX_ATTEMPTS: '1'
    })
    expect(r.stderr).toContain('warning: No ratio given')
    expect(r.stdout).toContain('warning: No ratio given')
    expect(r.stdout).toContain('using the default 0:1, which sends all traffic to green')
  })
})

describe('the default ratio on a terminal', () => {
  function terminal(answer: boolean): Terminal & { asked: string[] } {
    const asked: string[] = []
    return {
      interactive: true,
      colour: false,
      width: 80,
      asked,
      confirm: (question) => {
        asked.push(question)
        return Promise.resolve(answer)
      }
    }
  }

  /** Runs main in-process with the terminal's output silenced. */
  async function quietly(args: string[], t: Terminal): Promise<number> {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      return await main(args, t)
    } finally {
      err.mockRestore()
      out.mockRestore()
    }
  }

  it('asks before the full switch to green, and stops with exit 2 on no', async () => {
    const t = terminal(false)
    expect(await quietly(publish(), t)).toBe(2)
    expect(t.asked).toEqual(['Send all traffic to green (0:1)?'])
  })

  it.each([
    ['an explicit 0:1', publish('--ratio', '0:1')],
    ['a dry run', publish('--dry-run')]
  ])(
    'does not ask for %s (the run goes on: here it fails finding blue E1)',
    async (_name, args) => {
      const t = terminal(false)
      expect(await quietly(args, t)).toBe(1)
      expect(t.asked).toEqual([])
    }
  )
})
