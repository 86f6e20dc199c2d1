/** The built CLI (dist/cli.js): the action's commands with the same names as flags. */
import { spawnSync } from 'node:child_process'
import { parseCommandLine } from '../src/cli.js'

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], {
    encoding: 'utf8',
    // No endpoint that answers: a usage error must not get as far as AWS anyway.
    env: { PATH: process.env.PATH, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1' }
  })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

describe('bluegreen CLI', () => {
  it('prints usage with --help and exits 0', () => {
    const r = cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('bluegreen publish --blue')
    expect(r.stdout).toContain('--domain-name')
  })

  it.each([
    [['deploy', '--blue', 'x'], /unknown command 'deploy'/],
    [['replicate', 'explode'], /unknown command 'replicate explode'/],
    [['publish', '--colour', 'blue'], /colour/],
    [['publish', '--blue', 'E1', '--green', 'E2', '--ratio', '9:1'], /input 'domain-name'/],
    [
      [
        'publish',
        '--blue',
        'E1',
        '--green',
        'E2',
        '--domain-name',
        'www.deep.mg',
        '--ratio',
        '0:0'
      ],
      /input 'ratio' = "0:0"/
    ]
  ])('exits 2 on the usage error in %j', (args, message) => {
    const r = cli(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

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
        'Todo'
      ])
    ).toEqual({
      command: 'replicate prepare',
      blue: 'stage:abcd1234',
      green: 'prod:wxyz0987',
      'dry-run': 'true',
      wait: 'false',
      tables: 'Todo'
    })
  })

  it('takes replicate repair, and the replicate opt-ins as boolean flags', () => {
    expect(
      parseCommandLine(['replicate', 'repair', '--blue', 'a:abcd1234', '--green', 'b:abcd1234'])
    ).toMatchObject({ command: 'replicate repair' })
    expect(
      parseCommandLine(['replicate', 'start', '--replay-over-green-writes', '--overwrite-green'])
    ).toEqual({
      command: 'replicate start',
      'replay-over-green-writes': 'true',
      'overwrite-green': 'true'
    })
  })
})
