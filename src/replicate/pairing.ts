/**
 * Which blue table replicates into which green table. `tables` lists blue table names, DEEP
 * model names (`Todo` → `DeepStageTodoabcd1234` / `DeepProdTodowxyz0987` for blue stage:abcd1234
 * and green prod:wxyz0987) or explicit `blue=green` pairs; without `tables`, every table of the
 * blue DEEP environment that has a green partner. Every check here is a read.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { describeTable, listTableNames, type KeySchema, type TableInfo } from '../aws/dynamodb.js'
import { BlueGreenError } from '../errors.js'
import type { EnvRef, TableSpec } from '../inputs.js'
import { mapLimit } from '../concurrency.js'

export interface TablePair {
  blue: string
  green: string
}

export interface ResolvedPair {
  blue: TableInfo
  green: TableInfo
}

interface DeepEnv {
  env: string
  hash: string
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

/** DEEP's table name: `Deep` + Capitalised env + Model + hash. */
export function deepTableName(env: DeepEnv, model: string): string {
  return `Deep${capitalise(env.env)}${model}${env.hash}`
}

/** The model of a DEEP table name of `env`, or undefined when the name is not one of it. */
export function deepModelOf(env: DeepEnv, table: string): string | undefined {
  const prefix = `Deep${capitalise(env.env)}`
  if (!table.startsWith(prefix) || !table.endsWith(env.hash)) return undefined
  const model = table.slice(prefix.length, table.length - env.hash.length)
  return /^[A-Z][A-Za-z0-9_.-]*$/.test(model) ? model : undefined
}

function deepEnv(ref: EnvRef): DeepEnv | undefined {
  return ref.kind === 'deep' && ref.env !== undefined ? { env: ref.env, hash: ref.hash } : undefined
}

function describeRef(ref: EnvRef): string {
  if (ref.kind === 'distribution') return `distribution ${ref.id}`
  if (ref.kind === 'alias') return `alias ${ref.alias}`
  return ref.env === undefined ? `hash ${ref.hash}` : `${ref.env}:${ref.hash}`
}

function needDeep(side: 'blue' | 'green', ref: EnvRef, why: string): BlueGreenError {
  return new BlueGreenError(
    `${why}: ${side} is ${describeRef(ref)}, which names no DynamoDB tables. Give blue and green as DEEP env:hash (such as stage:abcd1234 and prod:wxyz0987), or list the tables as explicit pairs: tables: BlueTable=GreenTable`
  )
}

/**
 * Pairs named by `tables` alone (no AWS call). Discovery (empty `tables`) needs the table list:
 * pass it as `existing`.
 */
export function pairTables(
  blue: EnvRef,
  green: EnvRef,
  tables: readonly TableSpec[],
  existing?: readonly string[],
  options: { allowNone?: boolean } = {}
): TablePair[] {
  const b = deepEnv(blue)
  const g = deepEnv(green)
  const pairs: TablePair[] = []
  if (tables.length === 0) {
    if (b === undefined) throw needDeep('blue', blue, 'Without `tables`, tables are found by name')
    if (g === undefined)
      throw needDeep('green', green, 'Without `tables`, tables are found by name')
    const names = new Set(existing ?? [])
    for (const name of [...names].sort()) {
      const model = deepModelOf(b, name)
      if (model === undefined) continue
      const partner = deepTableName(g, model)
      if (names.has(partner)) pairs.push({ blue: name, green: partner })
    }
    if (pairs.length === 0 && options.allowNone !== true) {
      throw new BlueGreenError(
        `No table of blue ${b.env}:${b.hash} (named ${deepTableName(b, '<Model>')}) has a green partner (${deepTableName(g, '<Model>')}). List the tables to replicate in \`tables\` (model names or blue=green pairs).`
      )
    }
    return pairs
  }
  for (const spec of tables) {
    if (spec.green !== undefined) {
      pairs.push({ blue: spec.blue, green: spec.green })
      continue
    }
    if (b === undefined) throw needDeep('blue', blue, `Table '${spec.blue}' has no green partner`)
    if (g === undefined) throw needDeep('green', green, `Table '${spec.blue}' has no green partner`)
    const model = deepModelOf(b, spec.blue) ?? spec.blue
    pairs.push({ blue: deepTableName(b, model), green: deepTableName(g, model) })
  }
  const seen = new Map<string, string>()
  for (const p of pairs) {
    for (const name of [p.blue, p.green]) {
      const prior = seen.get(name)
      if (prior !== undefined) {
        throw new BlueGreenError(
          `Table ${name} appears twice in \`tables\` (${prior} and ${p.blue}=${p.green}); each table may be in one pair only.`
        )
      }
      seen.set(name, `${p.blue}=${p.green}`)
    }
  }
  return pairs
}

function formatSchema(k: KeySchema): string {
  const part = (a: { name: string; type: string }) => `${a.name} (${a.type})`
  return k.range === undefined
    ? `hash ${part(k.hash)}`
    : `hash ${part(k.hash)}, range ${part(k.range)}`
}

export function sameKeySchema(a: KeySchema, b: KeySchema): boolean {
  const eq = (x: KeySchema['range'], y: KeySchema['range']) =>
    x === undefined || y === undefined ? x === y : x.name === y.name && x.type === y.type
  return eq(a.hash, b.hash) && eq(a.range, b.range)
}

/** Pairs, described, checked: both tables exist, are ACTIVE, and have the same key schema. */
export async function resolvePairs(
  client: DynamoDBClient,
  request: { blue: EnvRef; green: EnvRef; tables: readonly TableSpec[]; region: string },
  options: { allowNone?: boolean } = {}
): Promise<ResolvedPair[]> {
  const existing = request.tables.length === 0 ? await listTableNames(client) : undefined
  const pairs = pairTables(request.blue, request.green, request.tables, existing, options)
  const problems: string[] = []
  const resolved = await mapLimit(pairs, 8, async (pair) => {
    const [blue, green] = await Promise.all([
      describeTable(client, pair.blue),
      describeTable(client, pair.green)
    ])
    if (blue === undefined) {
      problems.push(
        `blue table ${pair.blue} does not exist in ${request.region}: check \`tables\`, \`blue\` and \`region\``
      )
    }
    if (green === undefined) {
      problems.push(
        `green table ${pair.green} (partner of ${pair.blue}) does not exist in ${request.region}: deploy the green environment's tables first, or name the partner with blue=green`
      )
    }
    if (blue === undefined || green === undefined) return undefined
    if (!sameKeySchema(blue.keySchema, green.keySchema)) {
      problems.push(
        `key schemas differ: ${blue.name} has ${formatSchema(blue.keySchema)}, ${green.name} has ${formatSchema(green.keySchema)}; items cannot be copied between them`
      )
    }
    for (const t of [blue, green]) {
      if (t.status !== 'ACTIVE' && t.status !== 'UPDATING') {
        problems.push(`table ${t.name} is ${t.status}; wait until it is ACTIVE and re-run`)
      }
    }
    return { blue, green }
  })
  if (problems.length > 0) {
    throw new BlueGreenError(
      problems.length === 1
        ? `Cannot replicate: ${problems[0] ?? ''}`
        : `Cannot replicate:\n${problems.map((p) => `  - ${p}`).join('\n')}`
    )
  }
  return resolved.filter((r): r is ResolvedPair => r !== undefined)
}
