/**
 * `replicate repair` for buckets: the failure queue's S3 messages (the events queue moves an
 * event there after its tries, EventBridge what it could not deliver) applied key by key with the
 * function's rule, and every pair compared whole and brought level (the comparison verify makes;
 * each differing key applied, then read again on both sides).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { S3Client } from '@aws-sdk/client-s3'
import { mapLimit } from '../../concurrency.js'
import type { BucketPairing } from '../types.js'
import { applyChanges, syncKey, type BucketRoute, type S3ApplyDeps } from './apply.js'
import { controlTableCopyStore } from './checkpoint.js'
import { decodeS3Event } from './events.js'
import { ignoreRules } from './ignore.js'
import { recheckKey, verifyBucket } from './verify.js'

export interface BucketRepairDeps {
  /** S3 in a region (undefined: the replication region). */
  s3: (region: string | undefined) => S3Client
  dynamodb: DynamoDBClient
  controlTable: string
  sleep: (ms: number) => Promise<void>
}

/** The function's routes for these pairs (ignore lists, green's client). */
export function routesOf(
  pairings: readonly BucketPairing[],
  s3: (region: string | undefined) => S3Client
): Map<string, BucketRoute> {
  return new Map(
    pairings.map((p) => [
      p.blue,
      { green: p.green, ignore: ignoreRules(p.kind, p.patterns), target: s3(p.greenRegion) }
    ])
  )
}

function applyDeps(deps: BucketRepairDeps, pairings: readonly BucketPairing[]): S3ApplyDeps {
  return {
    source: deps.s3(undefined),
    target: deps.s3(undefined),
    buckets: routesOf(pairings, deps.s3),
    sleep: deps.sleep
  }
}

/**
 * Applies the keys a failure-queue message names, when it is an S3 event of these buckets;
 * undefined when it is not (the caller compares the buckets whole instead).
 */
export async function applyS3Message(
  deps: BucketRepairDeps,
  body: string,
  pairings: readonly BucketPairing[]
): Promise<number | undefined> {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  const decoded = decodeS3Event(parsed)
  const known = new Set(pairings.map((p) => p.blue))
  if (decoded.changes.length === 0 || decoded.invalid.length > 0) return undefined
  if (decoded.changes.some((c) => !known.has(c.bucket))) return undefined
  const errors: string[] = []
  const result = await applyChanges(decoded.changes, {
    ...applyDeps(deps, pairings),
    logError: (m) => errors.push(m)
  })
  if (result.failed.length > 0) throw new Error(errors[0] ?? 'an S3 change could not be applied')
  return result.applied.length
}

export interface BucketResync {
  /** Keys that differed and were applied. */
  applied: number
  /** Keys that still differ after being applied. */
  remaining: string[]
}

/** Compares the pair whole and applies every key that differs and is not ignored. */
export async function resyncBucket(
  deps: BucketRepairDeps,
  pairing: BucketPairing
): Promise<BucketResync> {
  const source = deps.s3(undefined)
  const target = deps.s3(pairing.greenRegion)
  const pair = { blue: pairing.blue, green: pairing.green, kind: pairing.kind }
  const ignore = ignoreRules(pairing.kind, pairing.patterns)
  const { records } = await controlTableCopyStore(deps.dynamodb, deps.controlTable, pair.blue, {
    sleep: deps.sleep
  }).load()
  const diff = await verifyBucket(pair, ignore, records, { source, target }, { limit: Infinity })
  const sync = applyDeps(deps, [pairing])
  const route = sync.buckets.get(pair.blue) as BucketRoute
  const keys = diff.differences.map((d) => d.key)
  await mapLimit(keys, 16, (key) => syncKey(sync, pair.blue, route, key))
  const still = await mapLimit(keys, 16, (key) =>
    recheckKey({ source, target }, pair, key, records)
  )
  return { applied: keys.length, remaining: keys.filter((_, i) => still[i] !== undefined) }
}
