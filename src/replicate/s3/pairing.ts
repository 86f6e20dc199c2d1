/**
 * Which blue bucket replicates into which green bucket. DEEP names its buckets
 * `deep.<env>.<public|private>.<hash>` (`deep.stage.private.abcd1234` ↔
 * `deep.prod.private.wxyz0987`), so blue and green given as env:hash name both pairs; `buckets`
 * lists explicit pairs instead (`blue-bucket=green-bucket`, marked `private:` or `public:`, or a
 * DEEP name whose kind is in the name). Pure: the caller passes the bucket names that exist.
 */
import type { EnvRef } from '../../inputs.js'
import type { BucketKind } from './ignore.js'

/** One entry of the `buckets` input. */
export interface BucketSpec {
  blue: string
  green?: string
  kind?: BucketKind
}

export interface BucketPair {
  blue: string
  green: string
  kind: BucketKind
}

export const BUCKET_KINDS: readonly BucketKind[] = ['private', 'public']

const DEEP_BUCKET = /^deep\.([a-z][a-z0-9-]*)\.(public|private)\.([a-z0-9]{8})$/

export function deepBucketName(env: { env: string; hash: string }, kind: BucketKind): string {
  return `deep.${env.env}.${kind}.${env.hash}`
}

export function parseDeepBucket(
  name: string
): { env: string; kind: BucketKind; hash: string } | undefined {
  const m = DEEP_BUCKET.exec(name)
  if (m === null) return undefined
  return { env: m[1] as string, kind: m[2] as BucketKind, hash: m[3] as string }
}

/** S3's bucket name rules (general purpose buckets): 3-63 of a-z 0-9 . -, no `..`, no IP. */
export function bucketNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name))
    return 'is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)'
  if (name.includes('..')) return 'is not an S3 bucket name (two dots in a row)'
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'is not an S3 bucket name (an IP address)'
  return undefined
}

/** Parses one `buckets` entry: `[private:|public:]blue[=green]`. */
export function parseBucketSpec(
  item: string
): { ok: true; value: BucketSpec } | { ok: false; error: string } {
  const m = /^(?:(private|public):)?([^=]*)(?:=(.*))?$/.exec(item.trim())
  if (m === null || item.split('=').length > 2)
    return { ok: false, error: `'${item}' is not [private:|public:]blue-bucket=green-bucket` }
  const [, kind, blueRaw, greenRaw] = m
  const blue = (blueRaw ?? '').trim()
  const green = greenRaw?.trim()
  for (const name of green === undefined ? [blue] : [blue, green]) {
    if (name.includes(':'))
      return {
        ok: false,
        error: `'${item}': mark the kind before the pair, as private:blue=green or public:blue=green`
      }
    const problem = bucketNameProblem(name)
    if (problem !== undefined) return { ok: false, error: `'${name}' ${problem}` }
  }
  if (green === blue) return { ok: false, error: `'${item}' pairs a bucket with itself` }
  if (green === undefined && parseDeepBucket(blue) === undefined)
    return {
      ok: false,
      error: `'${blue}' is not a DEEP bucket name (deep.<env>.<private|public>.<hash>), so its green partner is unknown; write ${blue}=<green-bucket>`
    }
  return {
    ok: true,
    value: {
      blue,
      ...(green === undefined ? {} : { green }),
      ...(kind === undefined ? {} : { kind: kind as BucketKind })
    }
  }
}

export class PairingError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PairingError'
  }
}

function deepEnv(ref: EnvRef): { env: string; hash: string } | undefined {
  return ref.kind === 'deep' && ref.env !== undefined ? { env: ref.env, hash: ref.hash } : undefined
}

function kindOf(spec: BucketSpec, green: string): BucketKind {
  if (spec.kind !== undefined) return spec.kind
  const inferred = parseDeepBucket(spec.blue)?.kind ?? parseDeepBucket(green)?.kind
  if (inferred === undefined) {
    throw new PairingError(
      `Bucket pair ${spec.blue}=${green}: its names do not say whether it is the private or the public bucket, which decides its ignore list. Mark it: private:${spec.blue}=${green} or public:${spec.blue}=${green}`
    )
  }
  return inferred
}

/**
 * The bucket pairs. With `buckets`, those (a DEEP blue name alone is paired by swapping in green's
 * env and hash). Without, DEEP's private and public buckets of blue and green (env:hash), those
 * that exist on both sides; `existing` is the list of bucket names the caller can see.
 */
export function pairBuckets(request: {
  blue: EnvRef
  green: EnvRef
  buckets: readonly BucketSpec[]
  existing: ReadonlySet<string>
}): BucketPair[] {
  const b = deepEnv(request.blue)
  const g = deepEnv(request.green)
  const pairs: BucketPair[] = []
  if (request.buckets.length === 0) {
    if (b === undefined || g === undefined) {
      throw new PairingError(
        'Without `buckets`, buckets are found by DEEP name (deep.<env>.<private|public>.<hash>) from blue and green as env:hash (such as stage:abcd1234 and prod:wxyz0987); give blue and green that way, or list the pairs in `buckets` (private:blue-bucket=green-bucket)'
      )
    }
    for (const kind of BUCKET_KINDS) {
      const blue = deepBucketName(b, kind)
      const green = deepBucketName(g, kind)
      if (request.existing.has(blue) && request.existing.has(green))
        pairs.push({ blue, green, kind })
    }
    return pairs
  }
  for (const spec of request.buckets) {
    let green = spec.green
    if (green === undefined) {
      const deep = parseDeepBucket(spec.blue)
      if (deep === undefined || g === undefined) {
        throw new PairingError(
          `Bucket ${spec.blue} has no green partner: name it (${spec.blue}=<green-bucket>), or give green as env:hash so that DEEP's name can be used`
        )
      }
      green = deepBucketName(g, deep.kind)
    }
    pairs.push({ blue: spec.blue, green, kind: kindOf(spec, green) })
  }
  const seen = new Map<string, string>()
  for (const p of pairs) {
    for (const name of [p.blue, p.green]) {
      const prior = seen.get(name)
      if (prior !== undefined) {
        throw new PairingError(
          `Bucket ${name} appears twice in \`buckets\` (${prior} and ${p.blue}=${p.green}); each bucket may be in one pair only.`
        )
      }
      seen.set(name, `${p.blue}=${p.green}`)
    }
  }
  return pairs
}
