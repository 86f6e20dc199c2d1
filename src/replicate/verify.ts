/**
 * `replicate verify`: proves green == blue. Scans both sides (parallel segments), compares a
 * digest of every item by key, then re-reads each differing key on both sides with consistent
 * reads (a change still in flight is not a difference). Buckets: both listed side by side, every
 * key not ignored compared (size, ETag, a recorded copy, or checksums), each difference read
 * again (s3/verify.ts). Fails when any key still differs, reporting the counts and a sample.
 */
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { createHash } from 'node:crypto'
import { scanPage, type Item, type KeySchema } from '../aws/dynamodb.js'
import { withRetry, type Backoff } from '../aws/retry.js'
import { mapLimit } from '../concurrency.js'
import type { Context } from '../context.js'
import { BlueGreenError } from '../errors.js'
import type { ReplicateRequest } from '../inputs.js'
import type { TableRow } from '../report.js'
import { isResourceNotFound } from '../aws/errors.js'
import { readReplication } from './discover.js'
import type { EtagRecord } from './s3/compare.js'
import { controlTableCopyStore } from './s3/checkpoint.js'
import { ignoresEverythingWarning } from './s3/delivery.js'
import { ignoreRules } from './s3/ignore.js'
import { verifyBucket, type BucketVerifyResult } from './s3/verify.js'
import { refuse } from './steps.js'
import type { ReplicationState } from './types.js'

export const SAMPLE_SIZE = 10
/** Differing keys re-read at most (beyond it, differences are counted from the scan). */
export const RECHECK_LIMIT = 10_000

/** A canonical text of an attribute value: map keys sorted, sets sorted, binary as base64. */
export function canonical(v: AttributeValue): string {
  if (v.S !== undefined) return `S:${JSON.stringify(v.S)}`
  if (v.N !== undefined) return `N:${v.N}`
  if (v.B !== undefined) return `B:${Buffer.from(v.B).toString('base64')}`
  if (v.BOOL !== undefined) return `BOOL:${v.BOOL}`
  if (v.NULL !== undefined) return 'NULL'
  if (v.SS !== undefined) return `SS:${JSON.stringify([...v.SS].sort())}`
  if (v.NS !== undefined) return `NS:${JSON.stringify([...v.NS].sort())}`
  if (v.BS !== undefined) {
    return `BS:${JSON.stringify(v.BS.map((b) => Buffer.from(b).toString('base64')).sort())}`
  }
  if (v.L !== undefined) return `L:[${v.L.map(canonical).join(',')}]`
  if (v.M !== undefined) return `M:${canonicalItem(v.M)}`
  return 'UNKNOWN'
}

export function canonicalItem(item: Item): string {
  return `{${Object.keys(item)
    .sort()
    .map((k) => `${JSON.stringify(k)}=${canonical(item[k] as AttributeValue)}`)
    .join(',')}}`
}

function keyOf(item: Item, schema: KeySchema): Item {
  const key: Item = {}
  for (const a of [schema.hash, schema.range]) {
    if (a === undefined) continue
    const v = item[a.name]
    if (v !== undefined) key[a.name] = v
  }
  return key
}

function digest(item: Item): string {
  return createHash('sha1').update(canonicalItem(item)).digest('base64')
}

/** key text → digest of the item, over every segment. */
async function scanDigests(
  client: DynamoDBClient,
  table: string,
  schema: KeySchema,
  segments: number,
  backoff: Backoff
): Promise<Map<string, string>> {
  const digests = new Map<string, string>()
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Item | undefined
      do {
        const page = await scanPage(
          client,
          { table, segment, totalSegments: segments, startKey },
          backoff
        )
        for (const item of page.items) digests.set(canonicalItem(keyOf(item, schema)), digest(item))
        startKey = page.lastKey
      } while (startKey !== undefined)
    })
  )
  return digests
}

export interface TableDiff {
  blue: string
  green: string
  blueItems: number
  greenItems: number
  differing: number
  sample: string[]
  /** Every key whose item differed in the scans (before the re-check), as key items. */
  suspects: Item[]
}

/** Re-reads `keys` on both sides with consistent reads; returns the texts of those that differ. */
export async function recheck(
  client: DynamoDBClient,
  pair: { blue: string; green: string },
  keys: readonly Item[],
  backoff: Backoff
): Promise<string[]> {
  const still: string[] = []
  await mapLimit(keys, 16, async (key) => {
    const read = (table: string) =>
      withRetry(
        () => client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true })),
        backoff
      )
    const [b, g] = await Promise.all([read(pair.blue), read(pair.green)])
    const bd = b.Item === undefined ? undefined : digest(b.Item)
    const gd = g.Item === undefined ? undefined : digest(g.Item)
    if (bd !== gd) still.push(canonicalItem(key))
  })
  return still.sort()
}

export async function diffTable(
  client: DynamoDBClient,
  pair: { blue: string; green: string; schema: KeySchema },
  options: { segments: number; sleep: (ms: number) => Promise<void> }
): Promise<TableDiff> {
  const backoff: Backoff = { sleep: options.sleep }
  const [blue, green] = await Promise.all([
    scanDigests(client, pair.blue, pair.schema, options.segments, backoff),
    scanDigests(client, pair.green, pair.schema, options.segments, backoff)
  ])
  const suspects: string[] = []
  for (const [key, d] of blue) if (green.get(key) !== d) suspects.push(key)
  for (const key of green.keys()) if (!blue.has(key)) suspects.push(key)
  // The scans keep only digests (a re-scan is costly): each suspect's key attributes are parsed
  // back from its canonical text.
  const keys = suspects.map(parseKey)
  const toCheck = keys.slice(0, RECHECK_LIMIT)
  const still = await recheck(client, pair, toCheck, backoff)
  const differing = still.length + Math.max(0, keys.length - toCheck.length)
  return {
    blue: pair.blue,
    green: pair.green,
    blueItems: blue.size,
    greenItems: green.size,
    differing,
    sample: still.slice(0, SAMPLE_SIZE),
    suspects: keys
  }
}

/** Parses the canonical text of a key item (S, N and B attributes only) back into an item. */
export function parseKey(text: string): Item {
  const key: Item = {}
  const body = text.slice(1, -1)
  const re = /("(?:[^"\\]|\\.)*")=(S|N|B):("(?:[^"\\]|\\.)*"|[^,]*)/g
  for (const m of body.matchAll(re)) {
    const [, rawName = '""', type, rawValue = ''] = m
    const name = JSON.parse(rawName) as string
    if (type === 'S') key[name] = { S: JSON.parse(rawValue) as string }
    else if (type === 'N') key[name] = { N: rawValue }
    else key[name] = { B: Buffer.from(rawValue, 'base64') }
  }
  return key
}

export async function verify(request: ReplicateRequest, ctx: Context): Promise<void> {
  const db = ctx.clients.dynamodb
  const state = await ctx.log.group('Discover', () => readReplication(request, ctx, 'verify'))
  const problems = state.buckets.flatMap((b) =>
    [b.blueInfo, b.greenInfo].flatMap((info) =>
      info === undefined || info.access === 'ok'
        ? []
        : [
            `bucket ${info.name} ${info.access === 'missing' ? 'does not exist' : 'cannot be read with these credentials (403)'}`
          ]
    )
  )
  if (problems.length > 0) throw refuse('verify', problems)
  const diffs: TableDiff[] = []
  for (const t of state.tables) {
    const schema = t.blueInfo?.keySchema
    if (schema === undefined) continue
    const diff = await ctx.log.group(`Verify ${t.blue} → ${t.green}`, () =>
      diffTable(
        db,
        { blue: t.blue, green: t.green, schema },
        { segments: request.segments, sleep: ctx.sleep }
      )
    )
    diffs.push(diff)
    ctx.log.info(
      `${diff.blue}: ${diff.blueItems} items, ${diff.greenItems} on green, ${diff.differing} differ`
    )
  }
  const buckets = await verifyBuckets(state, ctx)
  ctx.report.tables = [
    ...diffs.map((d) => ({
      blue: d.blue,
      green: d.green,
      phase: d.differing === 0 ? 'verified' : 'differs',
      progress: undefined,
      note:
        d.differing === 0
          ? `${d.blueItems} items equal`
          : `${d.differing} of ${Math.max(d.blueItems, d.greenItems)} keys differ, e.g. ${d.sample.join(' ')}`
    })),
    ...buckets.rows
  ]
  const tableTotal = diffs.reduce((n, d) => n + d.differing, 0)
  const total = tableTotal + buckets.differing
  ctx.report.outputs.differences = String(total)
  const items = diffs.reduce((n, d) => n + d.blueItems, 0)
  ctx.report.notes.push(
    `Verified ${diffs.length} table${diffs.length === 1 ? '' : 's'} (${items} items) and ${buckets.results.length} bucket${buckets.results.length === 1 ? '' : 's'} (${buckets.compared} objects compared, ${buckets.ignored} ignored): ${total === 0 ? 'green equals blue' : `${total} differ`}.`
  )
  if (total > 0) {
    throw new BlueGreenError(
      `Green differs from blue in ${total} ${tableTotal > 0 && buckets.differing > 0 ? 'items and objects' : buckets.differing > 0 ? 'objects' : 'items'} (re-checked):\n${[
        ...diffs
          .filter((d) => d.differing > 0)
          .map(
            (d) => `  - ${d.blue} → ${d.green}: ${d.differing} keys, e.g. ${d.sample.join(' ')}`
          ),
        ...buckets.lines
      ].join(
        '\n'
      )}\nIf replication is running, wait until \`replicate status\` reports 100 and verify again; otherwise run \`replicate repair\`, which applies blue's current item or object (or its absence) to every differing key and proves the result.`
    )
  }
}

/** Every bucket pair compared (ignored keys left out), re-checked; rows, counts and messages. */
async function verifyBuckets(
  state: ReplicationState,
  ctx: Context
): Promise<{
  results: BucketVerifyResult[]
  rows: TableRow[]
  lines: string[]
  differing: number
  compared: number
  ignored: number
}> {
  const results: BucketVerifyResult[] = []
  for (const b of state.buckets) {
    const greenRegion = b.greenInfo?.region
    const deps = {
      source: ctx.clients.s3,
      target:
        greenRegion === undefined || greenRegion === state.region
          ? ctx.clients.s3
          : ctx.clients.s3In(greenRegion)
    }
    const { records } = await controlTableCopyStore(
      ctx.clients.dynamodb,
      state.names.controlTable,
      b.blue,
      { sleep: ctx.sleep }
    )
      .load()
      .catch((error: unknown) => {
        // No control table (nothing prepared): compare without copy records.
        if (isResourceNotFound(error)) return { records: new Map<string, EtagRecord>() }
        throw error
      })
    const result = await ctx.log.group(`Verify ${b.blue} → ${b.green}`, () =>
      verifyBucket(b, ignoreRules(b.kind, b.ignore.patterns), records, deps, { limit: SAMPLE_SIZE })
    )
    results.push(result)
    const differing = Object.values(result.counts).reduce((n, c) => n + c, 0)
    ctx.log.info(
      `${b.blue}: ${result.compared} objects compared, ${result.equal} equal, ${differing} differ, ${result.ignored} ignored`
    )
    const everything = ignoresEverythingWarning(
      b,
      result.ignored + result.compared - result.counts['extra-on-green'],
      result.ignored,
      b.ignore.patterns
    )
    if (everything !== undefined && !ctx.report.warnings.includes(everything))
      ctx.report.warnings.push(everything)
  }
  const kinds = (r: BucketVerifyResult): string =>
    Object.entries(r.counts)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')
  const sample = (r: BucketVerifyResult): string =>
    r.differences.map((d) => `${d.key} (${d.kind})`).join(', ')
  const count = (r: BucketVerifyResult): number =>
    Object.values(r.counts).reduce((n, c) => n + c, 0)
  return {
    results,
    rows: results.map((r) => ({
      blue: `s3://${r.pair.blue}`,
      green: `s3://${r.pair.green}`,
      phase: r.ok ? 'verified' : 'differs',
      progress: undefined,
      note: r.ok
        ? `${r.equal} objects equal (keys, sizes, ETags or checksums), ${r.ignored} ignored`
        : `${count(r)} of ${r.compared} keys differ (${kinds(r)}), e.g. ${sample(r)}; ${r.ignored} ignored`
    })),
    lines: results
      .filter((r) => !r.ok)
      .map((r) => `  - s3://${r.pair.blue} → s3://${r.pair.green}: ${kinds(r)}, e.g. ${sample(r)}`),
    differing: results.reduce((n, r) => n + count(r), 0),
    compared: results.reduce((n, r) => n + r.compared, 0),
    ignored: results.reduce((n, r) => n + r.ignored, 0)
  }
}
