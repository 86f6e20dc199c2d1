/** Shared by the bucket replication tests: clients on the emulator, buckets, objects, snapshots. */
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client
} from '@aws-sdk/client-s3'
import { createClients, type Clients } from '../../../src/aws/clients.js'
import { listObjects } from '../../../src/aws/s3.js'
import { memoryLogger } from '../../../src/log.js'
import { memoryCopyStore } from '../../../src/replicate/s3/checkpoint.js'
import type { CopyDeps, CopyJob } from '../../../src/replicate/s3/copy.js'
import { ignoreRules } from '../../../src/replicate/s3/ignore.js'
import type { BucketPair } from '../../../src/replicate/s3/pairing.js'

export const REGION = 'us-east-1'

let shared: Clients | undefined
export function clients(): Clients {
  shared ??= createClients({ region: REGION })
  return shared
}

export async function createBucket(name: string): Promise<void> {
  await clients().s3.send(new CreateBucketCommand({ Bucket: name }))
}

export async function put(
  bucket: string,
  key: string,
  body: string,
  extra: Partial<PutObjectCommandInput> = {}
): Promise<void> {
  await clients().s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }))
}

/** Every key of a bucket with its size and ETag (S3 order). */
export async function snapshot(s3: S3Client, bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const page of listObjects(s3, bucket)) {
    for (const o of page) out.set(o.key, `${o.size}:${o.etag}`)
  }
  return out
}

export async function body(bucket: string, key: string): Promise<string> {
  const out = await clients().s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  return (await out.Body?.transformToString()) ?? ''
}

/** What a faithful copy keeps: content type, metadata, tags, storage class, cache control. */
export async function attributes(bucket: string, key: string) {
  const s3 = clients().s3
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))
  return {
    contentType: head.ContentType,
    cacheControl: head.CacheControl,
    metadata: head.Metadata,
    storageClass: head.StorageClass ?? 'STANDARD',
    redirect: head.WebsiteRedirectLocation,
    tags: (tags.TagSet ?? []).map((t) => `${t.Key ?? ''}=${t.Value ?? ''}`).sort()
  }
}

export function copyDeps(
  overrides: Partial<CopyDeps> = {}
): CopyDeps & { log: ReturnType<typeof memoryLogger> } {
  return {
    source: clients().s3,
    target: clients().s3,
    log: memoryLogger(),
    now: () => new Date(),
    sleep: () => Promise.resolve(),
    ...overrides
  } as CopyDeps & { log: ReturnType<typeof memoryLogger> }
}

/** Keys that exercise the encodings: spaces, plus signs, unicode, percent, emoji. */
export const AWKWARD_KEYS = [
  'a b.txt',
  'c+d.txt',
  'e + f/g h+i.txt',
  'ünïcödé/naïve café.txt',
  '100% sure.txt',
  'emoji/😀.png',
  'cjk/日本語.txt',
  'nested/deep/path/x.json'
]

/** A copy job with a fresh memory checkpoint and the kind's default ignore list. */
export function copyJob(
  pair: BucketPair,
  overrides: Partial<CopyJob> = {}
): CopyJob & { store: ReturnType<typeof memoryCopyStore> } {
  return {
    pair,
    ignore: ignoreRules(pair.kind),
    store: memoryCopyStore(),
    deleteExtra: false,
    keepRedirects: false,
    ...overrides
  } as CopyJob & { store: ReturnType<typeof memoryCopyStore> }
}
