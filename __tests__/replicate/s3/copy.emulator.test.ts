/**
 * On the emulator: the bucket copy of `replicate prepare` (exactly the objects not ignored, kept
 * faithfully, resumable, conditional on the listed version), and the bucket part of verify.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { createControlTable } from '../../../src/replicate/control.js'
import { DeleteObjectCommand, PutBucketWebsiteCommand, S3Client } from '@aws-sdk/client-s3'
import { REGION as TABLE_REGION } from '../helpers.js'
import {
  controlTableCopyStore,
  memoryCopyStore,
  type CopyCheckpoint,
  type CopyStore
} from '../../../src/replicate/s3/checkpoint.js'
import { copyBucket } from '../../../src/replicate/s3/copy.js'
import { ignoreRules } from '../../../src/replicate/s3/ignore.js'
import type { BucketPair } from '../../../src/replicate/s3/pairing.js'
import { verifyBucket } from '../../../src/replicate/s3/verify.js'
import {
  AWKWARD_KEYS,
  REGION,
  attributes,
  body,
  clients,
  copyDeps,
  copyJob,
  createBucket,
  put,
  snapshot
} from './helpers.js'

/** An S3 client of its own that counts the commands it sends, and can run a hook before one. */
function countingClient(hook?: (command: string, input: Record<string, unknown>) => Promise<void>) {
  const counts = new Map<string, number>()
  const client = new S3Client({ region: REGION, forcePathStyle: true })
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? ''
      counts.set(name, (counts.get(name) ?? 0) + 1)
      if (hook !== undefined) await hook(name, args.input as Record<string, unknown>)
      return next(args)
    },
    { step: 'initialize' }
  )
  return { client, count: (name: string) => counts.get(name) ?? 0 }
}

let n = 0
async function pairOf(kind: 'private' | 'public' = 'private'): Promise<BucketPair> {
  n++
  const pair = { blue: `blue-${kind}-${n}`, green: `green-${kind}-${n}`, kind }
  await createBucket(pair.blue)
  await createBucket(pair.green)
  return pair
}

const without = (map: Map<string, string>, drop: (key: string) => boolean) =>
  new Map([...map].filter(([k]) => !drop(k)))

test('prepare copies exactly the objects the ignore list does not match (spaces, unicode, +)', async () => {
  const pair = await pairOf('private')
  for (const key of [...AWKWARD_KEYS, 'temp/scratch.txt', 'a/temp/x.bin', 'temporary/kept.txt'])
    await put(pair.blue, key, `content of ${key}`)
  const ignore = ignoreRules('private')
  const outcome = await copyBucket(
    { pair, ignore, store: memoryCopyStore(), deleteExtra: false, keepRedirects: false },
    copyDeps()
  )
  const blue = await snapshot(clients().s3, pair.blue)
  const green = await snapshot(clients().s3, pair.green)
  expect(green).toEqual(without(blue, (k) => ignore.ignores(k)))
  expect([...green.keys()]).toContain('temporary/kept.txt')
  expect(green.has('temp/scratch.txt')).toBe(false)
  for (const key of AWKWARD_KEYS) expect(await body(pair.green, key)).toBe(`content of ${key}`)
  expect(outcome).toMatchObject({ done: true, failures: [] })
  expect(outcome.run).toMatchObject({ listed: 11, copied: 9, ignored: 2, skipped: 0 })
})

test('the public default copies only shared/', async () => {
  const pair = await pairOf('public')
  for (const key of ['index.html', 'js/app.js', 'shared/app.js', 'shared/img/logo.png'])
    await put(pair.blue, key, key)
  await copyBucket(copyJob(pair), copyDeps())
  expect([...(await snapshot(clients().s3, pair.green)).keys()]).toEqual([
    'shared/app.js',
    'shared/img/logo.png'
  ])
})

test('a copy keeps content type, metadata, tags, storage class, and the redirect of a website bucket', async () => {
  const pair = await pairOf('public')
  await clients().s3.send(
    new PutBucketWebsiteCommand({
      Bucket: pair.blue,
      WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } }
    })
  )
  await put(pair.blue, 'shared/page.html', '<p>hi</p>', {
    ContentType: 'text/html; charset=utf-8',
    CacheControl: 'max-age=60',
    Metadata: { owner: 'team-a', 'build-id': '42' },
    Tagging: 'env=stage&tier=web',
    StorageClass: 'STANDARD_IA',
    WebsiteRedirectLocation: '/shared/new-page.html'
  })
  await copyBucket(copyJob(pair, { keepRedirects: true }), copyDeps())
  expect(await attributes(pair.green, 'shared/page.html')).toEqual(
    await attributes(pair.blue, 'shared/page.html')
  )
  expect((await attributes(pair.green, 'shared/page.html')).redirect).toBe('/shared/new-page.html')
})

test('a re-run copies nothing: equal objects are skipped by size and ETag', async () => {
  const pair = await pairOf()
  for (let i = 0; i < 30; i++) await put(pair.blue, `k/${i}`, `v${i}`)
  const job = copyJob(pair)
  await copyBucket(job, copyDeps())
  const counting = countingClient()
  // The pass is done: nothing to do, not even a listing.
  expect(await copyBucket(job, copyDeps({ target: counting.client }))).toMatchObject({
    alreadyDone: true
  })
  // A new pass (after T0) lists again and copies nothing.
  const again = await copyBucket(
    { ...job, freshAfter: new Date(Date.now() + 1000) },
    copyDeps({ target: counting.client })
  )
  expect(again.run).toMatchObject({ listed: 30, skipped: 30, copied: 0 })
  expect(counting.count('CopyObjectCommand')).toBe(0)
})

test('a killed copy resumes after its checkpoint without copying finished objects again', async () => {
  const pair = await pairOf()
  const total = 240
  for (let i = 0; i < total; i++) await put(pair.blue, `obj/${String(i).padStart(4, '0')}`, `x${i}`)
  const memory = memoryCopyStore()
  let saves = 0
  const killing: CopyStore = {
    load: () => memory.load(),
    async save(checkpoint: CopyCheckpoint, records) {
      if (++saves === 4) throw new Error('killed')
      await memory.save(checkpoint, records)
    }
  }
  const first = countingClient()
  const tuning = { pageSize: 40, checkpointEveryKeys: 25, concurrency: 4 }
  const job = { pair, ignore: ignoreRules('private'), deleteExtra: false, keepRedirects: false }
  await expect(
    copyBucket({ ...job, store: killing }, copyDeps({ target: first.client }), tuning)
  ).rejects.toThrow('killed')
  const checkpoint = memory.checkpoint
  expect(checkpoint?.done).toBe(false)
  expect(checkpoint?.after).toBeDefined()
  const copiedBefore = first.count('CopyObjectCommand')
  expect(copiedBefore).toBeGreaterThan(0)
  expect(copiedBefore).toBeLessThan(total)

  const second = countingClient()
  const resumed = await copyBucket(
    { ...job, store: memory },
    copyDeps({ target: second.client }),
    tuning
  )
  expect(resumed.resumedAfter).toBe(checkpoint?.after)
  expect(resumed.done).toBe(true)
  // Every object copied exactly once over both runs: the resumed run skipped what the killed
  // one had copied after its last checkpoint.
  expect(copiedBefore + second.count('CopyObjectCommand')).toBe(total)
  expect(await snapshot(clients().s3, pair.green)).toEqual(await snapshot(clients().s3, pair.blue))
  // The pass's counters: what the killed run copied after its checkpoint counts as equal now.
  expect(resumed.pass.listed).toBe(total)
  expect(resumed.pass.copied + resumed.pass.skipped).toBe(total)
})

test('an object that changes after the listing is copied as it is now (the copy is conditional on the listed ETag)', async () => {
  const pair = await pairOf()
  await put(pair.blue, 'doc.txt', 'version 1')
  let changed = false
  const racing = countingClient(async (command, input) => {
    if (command === 'CopyObjectCommand' && input.Key === 'doc.txt' && !changed) {
      changed = true
      await put(pair.blue, 'doc.txt', 'version 2, written during the copy')
    }
  })
  await copyBucket(copyJob(pair), copyDeps({ target: racing.client }))
  expect(racing.count('CopyObjectCommand')).toBe(2) // 412 on the listed version, then the new one
  expect(await body(pair.green, 'doc.txt')).toBe('version 2, written during the copy')
})

test('objects above the multipart threshold are copied in parts with their metadata and tags; the recorded ETag makes them equal', async () => {
  const pair = await pairOf()
  const big = 'b'.repeat(12 * 1024 * 1024 + 5)
  await put(pair.blue, 'big/file.bin', big, {
    ContentType: 'application/x-test',
    Metadata: { a: '1' },
    Tagging: 'k=v',
    StorageClass: 'STANDARD_IA'
  })
  const store = memoryCopyStore()
  const job = {
    pair,
    ignore: ignoreRules('private'),
    store,
    deleteExtra: false,
    keepRedirects: false
  }
  const tuning = { multipartThreshold: 6 * 1024 * 1024, partBytes: 5 * 1024 * 1024 }
  const counting = countingClient()
  await copyBucket(job, copyDeps({ target: counting.client }), tuning)
  expect(counting.count('UploadPartCopyCommand')).toBe(3)
  expect(await attributes(pair.green, 'big/file.bin')).toEqual(
    await attributes(pair.blue, 'big/file.bin')
  )
  expect((await body(pair.green, 'big/file.bin')).length).toBe(big.length)
  const record = store.records.get('big/file.bin')
  expect(record?.greenEtag).toMatch(/-3$/)
  const again = await copyBucket(
    { ...job, freshAfter: new Date(Date.now() + 1000) },
    copyDeps(),
    tuning
  )
  expect(again.run).toMatchObject({ skipped: 1, copied: 0 })
  const verified = await verifyBucket(pair, job.ignore, store.records, copyDeps())
  expect(verified.ok).toBe(true)
})

test('an archived object (GLACIER) is counted and named, not a failure: S3 cannot copy it before a restore', async () => {
  const pair = await pairOf()
  await put(pair.blue, 'cold/archive.bin', 'frozen', { StorageClass: 'GLACIER' })
  await put(pair.blue, 'warm.txt', 'fine')
  const outcome = await copyBucket(copyJob(pair), copyDeps())
  expect(outcome).toMatchObject({ done: true, failures: [], archivedKeys: ['cold/archive.bin'] })
  expect(outcome.run).toMatchObject({ copied: 1, archived: 1 })
})

test('keys only green has stay unless deleteExtra; ignored keys on green are never touched', async () => {
  const pair = await pairOf()
  await put(pair.blue, 'keep.txt', 'k')
  await put(pair.green, 'extra.txt', 'only on green')
  await put(pair.green, 'temp/green-scratch.txt', 'ignored, only on green')
  await put(pair.blue, 'temp/blue-scratch.txt', 'ignored, only on blue')
  const job = {
    pair,
    ignore: ignoreRules('private'),
    store: memoryCopyStore(),
    keepRedirects: false
  }
  const kept = await copyBucket({ ...job, deleteExtra: false }, copyDeps())
  expect(kept.extraKeys).toEqual(['extra.txt'])
  expect([...(await snapshot(clients().s3, pair.green)).keys()].sort()).toEqual([
    'extra.txt',
    'keep.txt',
    'temp/green-scratch.txt'
  ])
  await copyBucket({ ...job, store: memoryCopyStore(), deleteExtra: true }, copyDeps())
  expect([...(await snapshot(clients().s3, pair.green)).keys()].sort()).toEqual([
    'keep.txt',
    'temp/green-scratch.txt'
  ])
})

test('verify passes after the copy and fails after a hand-made difference (ignored keys excluded)', async () => {
  const pair = await pairOf()
  for (const key of [...AWKWARD_KEYS, 'temp/x']) await put(pair.blue, key, `v:${key}`)
  const ignore = ignoreRules('private')
  const store = memoryCopyStore()
  await copyBucket({ pair, ignore, store, deleteExtra: false, keepRedirects: false }, copyDeps())
  const ok = await verifyBucket(pair, ignore, store.records, copyDeps())
  expect(ok).toMatchObject({ ok: true, compared: AWKWARD_KEYS.length, ignored: 1 })

  await put(pair.green, 'a b.txt', 'changed by hand on green')
  await clients().s3.send(new DeleteObjectCommand({ Bucket: pair.green, Key: 'c+d.txt' }))
  await put(pair.green, 'stray/😀.txt', 'only on green')
  await put(pair.green, 'temp/y', 'ignored: not a difference')
  const bad = await verifyBucket(pair, ignore, store.records, copyDeps())
  expect(bad.ok).toBe(false)
  expect(bad.counts).toEqual({
    'missing-on-green': 1,
    'extra-on-green': 1,
    differs: 1,
    unverifiable: 0
  })
  expect(bad.differences.map((d) => `${d.kind}:${d.key}`).sort()).toEqual([
    'differs:a b.txt',
    'extra-on-green:stray/😀.txt',
    'missing-on-green:c+d.txt'
  ])
})

test('the checkpoint and copy records live in the replication control table', async () => {
  const dynamodb = new DynamoDBClient({ region: TABLE_REGION })
  const table = `bluegreen-replication-s3-test-${n}`
  await createControlTable(dynamodb, table)
  const backoff = { sleep: () => Promise.resolve() }
  const store = controlTableCopyStore(dynamodb, table, 'deep.stage.private.abcd1234', backoff)
  const other = controlTableCopyStore(dynamodb, table, 'deep.stage.public.abcd1234', backoff)
  expect(await store.load()).toEqual({ checkpoint: undefined, records: new Map() })
  const checkpoint: CopyCheckpoint = {
    passStartedAt: '2026-12-01T00:00:00.000Z',
    after: 'e + f/g h+i.txt',
    done: false,
    counts: {
      listed: 7,
      copied: 5,
      bytesCopied: 1234,
      skipped: 1,
      ignored: 1,
      extra: 0,
      deleted: 0,
      archived: 0
    },
    updatedAt: '2026-12-01T00:01:00.000Z'
  }
  const long = `${'k'.repeat(1000)}/😀`
  const records = Array.from({ length: 30 }, (_, i) => ({
    key: i === 0 ? long : `key ${i}`,
    blueEtag: `b${i}-2`,
    greenEtag: `g${i}`
  }))
  await store.save(checkpoint, records)
  const loaded = await store.load()
  expect(loaded.checkpoint).toEqual(checkpoint)
  expect(loaded.records.size).toBe(30)
  expect(loaded.records.get(long)).toEqual({ key: long, blueEtag: 'b0-2', greenEtag: 'g0' })
  expect((await other.load()).checkpoint).toBeUndefined()
})
