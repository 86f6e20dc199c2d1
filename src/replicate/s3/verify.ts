/**
 * The bucket part of `replicate verify`: both buckets listed side by side and compared key by key
 * (size, then ETag, a recorded copy, or full-object checksums; see compare.ts). Ignored keys are
 * left out on both sides. Every difference is read again (HeadObject on both sides) before it is
 * reported, so a change the function was applying while the listing passed does not count.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { headObject, listObjects } from '../../aws/s3.js'
import { mapLimit } from '../../concurrency.js'
import {
  compareHeads,
  compareListed,
  mergeListings,
  type EtagRecord,
  type Merged
} from './compare.js'
import type { IgnoreRules } from './ignore.js'
import type { BucketPair } from './pairing.js'

export type DifferenceKind = 'missing-on-green' | 'extra-on-green' | 'differs' | 'unverifiable'

export interface Difference {
  key: string
  kind: DifferenceKind
  detail: string
}

export interface BucketVerifyResult {
  pair: BucketPair
  /** Keys compared (not ignored). */
  compared: number
  equal: number
  ignored: number
  counts: Record<DifferenceKind, number>
  /** The first `limit` differences. */
  differences: Difference[]
  ok: boolean
}

export interface VerifyDeps {
  source: S3Client
  target: S3Client
}

const describe = (kind: DifferenceKind, entry: Merged): string => {
  if (kind === 'missing-on-green') return `on blue (${entry.blue?.size ?? 0} bytes), not on green`
  if (kind === 'extra-on-green') return `on green (${entry.green?.size ?? 0} bytes), not on blue`
  if (kind === 'unverifiable')
    return 'same size, but the ETags differ and the objects share no full-object checksum'
  return `blue ${entry.blue?.size ?? 0} bytes ETag ${entry.blue?.etag ?? ''}, green ${entry.green?.size ?? 0} bytes ETag ${entry.green?.etag ?? ''}`
}

/** Reads both sides of a key again: undefined when they are equal now. */
export async function recheckKey(
  deps: VerifyDeps,
  pair: BucketPair,
  key: string,
  records: ReadonlyMap<string, EtagRecord>
): Promise<DifferenceKind | undefined> {
  const [b, g] = await Promise.all([
    headObject(deps.source, pair.blue, key),
    headObject(deps.target, pair.green, key)
  ])
  if (b === undefined) return g === undefined ? undefined : 'extra-on-green'
  if (g === undefined) return 'missing-on-green'
  const listed = compareListed(b, g, records.get(key))
  if (listed === 'equal') return undefined
  if (listed === 'differs') return 'differs'
  const heads = compareHeads(b, g)
  return heads === 'equal' ? undefined : heads
}

export async function verifyBucket(
  pair: BucketPair,
  ignore: IgnoreRules,
  records: ReadonlyMap<string, EtagRecord>,
  deps: VerifyDeps,
  options: { limit?: number; concurrency?: number; pageSize?: number } = {}
): Promise<BucketVerifyResult> {
  const limit = options.limit ?? 100
  const result: BucketVerifyResult = {
    pair,
    compared: 0,
    equal: 0,
    ignored: 0,
    counts: { 'missing-on-green': 0, 'extra-on-green': 0, differs: 0, unverifiable: 0 },
    differences: [],
    ok: true
  }
  const page = options.pageSize === undefined ? {} : { pageSize: options.pageSize }
  let suspects: Merged[] = []
  const settle = async (): Promise<void> => {
    const batch = suspects
    suspects = []
    const kinds = await mapLimit(batch, options.concurrency ?? 16, (entry) =>
      recheckKey(deps, pair, entry.key, records)
    )
    batch.forEach((entry, i) => {
      const kind = kinds[i]
      if (kind === undefined) {
        result.equal++
        return
      }
      result.counts[kind]++
      if (result.differences.length < limit)
        result.differences.push({ key: entry.key, kind, detail: describe(kind, entry) })
    })
  }
  for await (const entry of mergeListings(
    listObjects(deps.source, pair.blue, page),
    listObjects(deps.target, pair.green, page)
  )) {
    if (ignore.ignores(entry.key)) {
      if (entry.blue !== undefined) result.ignored++
      continue
    }
    result.compared++
    if (compareListed(entry.blue, entry.green, records.get(entry.key)) === 'equal') result.equal++
    else suspects.push(entry)
    if (suspects.length >= 256) await settle()
  }
  await settle()
  result.ok = Object.values(result.counts).every((n) => n === 0)
  return result
}
