/** action.yml and the parser must agree on the inputs and their defaults. */
import { readFileSync } from 'node:fs'
import { INPUT_NAMES, parseInputs, type RawInputs } from '../src/inputs.js'

const yml = readFileSync('action.yml', 'utf8')

function block(name: string): string {
  const start = yml.indexOf(`\n${name}:\n`)
  const rest = yml.slice(start + name.length + 3)
  const end = rest.search(/\n\S/)
  return end === -1 ? rest : rest.slice(0, end)
}

function entries(name: string): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>()
  let current = ''
  for (const line of block(name).split('\n')) {
    const key = /^ {2}([a-z-]+):\s*$/.exec(line)
    if (key?.[1] !== undefined) {
      current = key[1]
      found.set(current, undefined)
    }
    const def = /^ {4}default:\s*'?([^']*)'?\s*$/.exec(line)
    if (def?.[1] !== undefined && current !== '') found.set(current, def[1])
  }
  return found
}

describe('action.yml', () => {
  const inputs = entries('inputs')

  it('declares exactly the inputs the parser reads', () => {
    expect([...inputs.keys()].sort()).toEqual([...INPUT_NAMES].sort())
  })

  it('runs dist/index.js on node24', () => {
    expect(yml).toMatch(/runs:\n\s+using: node24\n\s+main: dist\/index.js/)
  })

  it('declares the outputs the commands set', () => {
    expect([...entries('outputs').keys()].sort()).toEqual(
      [
        'blue-percent',
        'changed',
        'dns-mode',
        'edge-function-version-arn',
        'green-percent',
        'progress',
        'ramp-due-at',
        'ramp-next',
        'ramp-step',
        'ratio',
        'router-distribution-id',
        'state'
      ].sort()
    )
  })

  it('has defaults that the parser accepts and that match its own defaults', () => {
    const raw: RawInputs = {
      blue: 'stage:abcd1234',
      green: 'prod:wxyz0987',
      'domain-name': 'www.deep.mg'
    }
    for (const [name, value] of inputs)
      if (value !== undefined) raw[name as keyof RawInputs] = value
    expect(parseInputs(raw)).toEqual(
      parseInputs({ blue: 'stage:abcd1234', green: 'prod:wxyz0987', 'domain-name': 'www.deep.mg' })
    )
  })
})
