/**
 * The bucket copy of `replicate prepare`: blue and green are listed side by side (both in S3's
 * key order) and merged; every key blue has that is not ignored and not already equal on green is
 * copied server-side (CopyObject, or UploadPartCopy above 5 GiB), a bounded number at once.
 *
 * Resuming: the checkpoint holds the key up to which every key is handled (the low-water mark of
 * the keys in flight), saved every few hundred keys or seconds. A killed run lists again from
 * there; keys it had copied after that mark are now equal on green and are skipped, not copied
 * again. A key that fails holds the mark, so a re-run retries it. A new pass starts when the last
 * one finished, or began before `freshAfter` (the catch-up pass once events are captured).
 *
 * Races with writers on blue: a copy is conditional on the ETag it listed (`CopySourceIfMatch`),
 * so a key that changes mid-copy is read again, and what lands on green is a version blue had.
 * Changes after the listing passed a key are the events' job (captured from T0 on).
 */
import type { S3Client } from '@aws-sdk/client-s3'
import {
  MAX_SINGLE_COPY_BYTES,
  copyObject,
  deleteObject,
  headObject,
  listObjects,
  multipartCopy,
  type CopyResult,
  type ObjectHead,
  type S3Object
} from '../../aws/s3.js'
import type { Logger } from '../../log.js'
import { withRetry, type Backoff } from '../../aws/retry.js'
import { ZERO_COUNTS, type CopyCheckpoint, type CopyCounts, type CopyStore } from './checkpoint.js'
import {
  compareHeads,
  compareListed,
  mergeListings,
  type EtagRecord,
  type Merged
} from './compare.js'
import type { IgnoreRules } from './ignore.js'
import type { BucketPair } from './pairing.js'

export interface CopyJob {
  pair: BucketPair
  ignore: IgnoreRules
  store: CopyStore
  /** A pass that began before this time does not count: a new pass starts. */
  freshAfter?: Date | undefined
  /** Delete keys that only green has (never ignored ones). */
  deleteExtra: boolean
  /**
   * Read each object before copying it to keep its website redirect (CopyObject does not copy
   * x-amz-website-redirect-location): for buckets that serve a website.
   */
  keepRedirects: boolean
}

export interface CopyDeps {
  /** S3 in blue's region (lists and reads blue). */
  source: S3Client
  /** S3 in green's region (lists green, copies, deletes). */
  target: S3Client
  log: Logger
  now: () => Date
  sleep: (ms: number) => Promise<void>
}

export interface CopyTuning {
  /** Copies in flight. */
  concurrency?: number
  /** Keys per listing page (S3's maximum and default: 1,000). */
  pageSize?: number
  checkpointEveryKeys?: number
  checkpointEveryMs?: number
  progressEveryMs?: number
  /** Objects above this many bytes are copied in parts (default and maximum 5 GiB). */
  multipartThreshold?: number
  partBytes?: number
  /** Keys listed ahead of the low-water mark at most (bounds memory). */
  maxOutstanding?: number
}

export interface CopyOutcome {
  /** This pass's counters (all runs of it), up to the checkpoint. */
  pass: CopyCounts
  /** What this run did. */
  run: CopyCounts
  passStartedAt: string
  /** The key this run resumed after (undefined: from the start). */
  resumedAfter: string | undefined
  /** The pass was already complete: nothing to do. */
  alreadyDone: boolean
  done: boolean
  failures: { key: string; reason: string }[]
  /** Up to 20 examples of each. */
  archivedKeys: string[]
  extraKeys: string[]
}

const ARCHIVE_ERRORS = new Set(['InvalidObjectState', 'ObjectNotInActiveTierError'])

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let n = bytes
  let u = 0
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024
    u++
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u] ?? 'B'}`
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US')

interface Slot {
  key: string
  done: boolean
  failed: boolean
  delta: Partial<CopyCounts>
}

function add(into: CopyCounts, delta: Partial<CopyCounts>): void {
  for (const [name, value] of Object.entries(delta) as [keyof CopyCounts, number][]) {
    into[name] += value
  }
}

export async function copyBucket(
  job: CopyJob,
  deps: CopyDeps,
  tuning: CopyTuning = {}
): Promise<CopyOutcome> {
  const { blue, green } = job.pair
  const backoff: Backoff = { sleep: deps.sleep, maxAttempts: 10 }
  const concurrency = Math.max(1, tuning.concurrency ?? 16)
  const threshold = Math.min(
    tuning.multipartThreshold ?? MAX_SINGLE_COPY_BYTES,
    MAX_SINGLE_COPY_BYTES
  )
  const maxOutstanding = Math.max(concurrency, tuning.maxOutstanding ?? 4000)
  const loaded = await job.store.load()
  const records = loaded.records
  const stored = loaded.checkpoint
  const stale =
    stored !== undefined &&
    job.freshAfter !== undefined &&
    new Date(stored.passStartedAt).getTime() < job.freshAfter.getTime()
  const outcome = (pass: CopyCheckpoint, extra: Partial<CopyOutcome>): CopyOutcome => ({
    pass: pass.counts,
    run: { ...ZERO_COUNTS },
    passStartedAt: pass.passStartedAt,
    resumedAfter: undefined,
    alreadyDone: false,
    done: pass.done,
    failures: [],
    archivedKeys: [],
    extraKeys: [],
    ...extra
  })
  if (stored?.done === true && !stale) return outcome(stored, { alreadyDone: true })

  const resuming = stored !== undefined && !stored.done && !stale
  const pass: CopyCheckpoint = resuming
    ? { ...stored, counts: { ...stored.counts } }
    : {
        passStartedAt: deps.now().toISOString(),
        after: undefined,
        done: false,
        counts: { ...ZERO_COUNTS },
        updatedAt: deps.now().toISOString()
      }
  const result = outcome(pass, { resumedAfter: pass.after })
  const run = result.run
  const started = deps.now().getTime()
  if (resuming) deps.log.info(`${blue} → ${green}: resuming after ${JSON.stringify(pass.after)}`)

  // --- the low-water mark and the checkpoint -------------------------------------------------
  const slots: Slot[] = []
  let head = 0
  let blocked = false
  const newRecords: EtagRecord[] = []
  let sinceSave = 0
  let lastSave = started
  let saving: Promise<void> | undefined
  let fatal: unknown

  const advance = (): void => {
    while (head < slots.length && !blocked) {
      const slot = slots[head] as Slot
      if (!slot.done) break
      if (slot.failed) {
        blocked = true
        break
      }
      add(pass.counts, slot.delta)
      pass.after = slot.key
      head++
      sinceSave++
    }
    if (head > 10_000) {
      slots.splice(0, head)
      head = 0
    }
  }

  const save = async (final: boolean): Promise<void> => {
    if (saving !== undefined) await saving
    const checkpoint: CopyCheckpoint = {
      ...pass,
      counts: { ...pass.counts },
      done: final && result.failures.length === 0,
      updatedAt: deps.now().toISOString()
    }
    const batch = newRecords.splice(0)
    sinceSave = 0
    lastSave = deps.now().getTime()
    saving = withRetry(() => job.store.save(checkpoint, batch), backoff).finally(() => {
      saving = undefined
    })
    await saving
  }

  let lastLog = started
  const progress = (force: boolean): void => {
    const now = deps.now().getTime()
    if (!force && now - lastLog < (tuning.progressEveryMs ?? 5000)) return
    lastLog = now
    const seconds = Math.max((now - started) / 1000, 0.001)
    deps.log.info(
      `${blue} → ${green}: ${fmtInt(pass.counts.listed + slotsPendingListed())} objects listed, ${fmtInt(run.copied)} copied (${formatBytes(run.bytesCopied)}), ${fmtInt(run.skipped)} already equal, ${fmtInt(run.ignored)} ignored; ${fmtInt(run.copied / seconds)} copies/s`
    )
  }
  // Objects listed by this run but not yet behind the mark are in `run` only.
  const slotsPendingListed = (): number => {
    let n = 0
    for (let i = head; i < slots.length; i++) n += slots[i]?.delta.listed ?? 0
    return n
  }

  const afterSlot = async (): Promise<void> => {
    advance()
    progress(false)
    if (
      fatal === undefined &&
      saving === undefined &&
      (sinceSave >= (tuning.checkpointEveryKeys ?? 500) ||
        deps.now().getTime() - lastSave >= (tuning.checkpointEveryMs ?? 5000))
    ) {
      await save(false).catch((error: unknown) => {
        fatal ??= error
      })
    }
  }

  const count = (slot: Slot, delta: Partial<CopyCounts>): void => {
    add(run, delta)
    for (const [name, value] of Object.entries(delta) as [keyof CopyCounts, number][]) {
      slot.delta[name] = (slot.delta[name] ?? 0) + value
    }
  }

  // --- the work on one key -------------------------------------------------------------------
  const copyKey = async (slot: Slot, entry: Merged, firstHead?: ObjectHead): Promise<void> => {
    let known: ObjectHead | undefined = firstHead
    for (let attempt = 0; attempt < 5; attempt++) {
      const listed = entry.blue as S3Object
      const needHead = job.keepRedirects || listed.size > threshold || attempt > 0
      if (needHead && known === undefined) {
        known = await withRetry(() => headObject(deps.source, blue, entry.key), backoff)
        if (known === undefined) return gone(slot, entry)
      }
      const source = known ?? listed
      let copy: CopyResult
      try {
        copy =
          source.size > threshold && known !== undefined
            ? await withRetry(
                () =>
                  multipartCopy(deps.source, deps.target, {
                    sourceBucket: blue,
                    head: known as ObjectHead,
                    targetBucket: green,
                    ...(tuning.partBytes === undefined ? {} : { partBytes: tuning.partBytes })
                  }),
                backoff
              )
            : await withRetry(
                () =>
                  copyObject(deps.target, {
                    sourceBucket: blue,
                    key: entry.key,
                    sourceEtag: source.etag,
                    targetBucket: green,
                    storageClass: source.storageClass,
                    websiteRedirectLocation: known?.websiteRedirectLocation
                  }),
                backoff
              )
      } catch (error) {
        if (error instanceof Error && ARCHIVE_ERRORS.has(error.name)) {
          count(slot, { archived: 1 })
          if (result.archivedKeys.length < 20) result.archivedKeys.push(entry.key)
          return
        }
        throw error
      }
      if (copy.kind === 'copied') {
        count(slot, { copied: 1, bytesCopied: source.size })
        if (copy.etag !== source.etag) {
          const record = { key: entry.key, blueEtag: source.etag, greenEtag: copy.etag }
          records.set(entry.key, record)
          newRecords.push(record)
        }
        return
      }
      if (copy.kind === 'source-missing') return gone(slot, entry)
      known = undefined // source-changed: read it again
    }
    throw new Error(`${entry.key} changed on blue during five copies in a row`)
  }

  // Blue's key disappeared since it was listed: green follows (the event of the delete may
  // already have been applied; deleting again is harmless).
  const gone = async (slot: Slot, entry: Merged): Promise<void> => {
    if (entry.green === undefined) return
    await withRetry(() => deleteObject(deps.target, green, entry.key), backoff)
    count(slot, { deleted: 1 })
  }

  const checkThenCopy = async (slot: Slot, entry: Merged): Promise<void> => {
    const [b, g] = await Promise.all([
      withRetry(() => headObject(deps.source, blue, entry.key), backoff),
      withRetry(() => headObject(deps.target, green, entry.key), backoff)
    ])
    if (b === undefined) return gone(slot, entry)
    if (g !== undefined && compareHeads(b, g) === 'equal') {
      count(slot, { skipped: 1 })
      const record = { key: entry.key, blueEtag: b.etag, greenEtag: g.etag }
      records.set(entry.key, record)
      newRecords.push(record)
      return
    }
    await copyKey(slot, entry, b)
  }

  // --- the producer: merged listings, bounded work in flight ---------------------------------
  const inFlight = new Set<Promise<void>>()
  const launch = (slot: Slot, work: () => Promise<void>): Promise<void> => {
    const task = (async () => {
      try {
        await work()
      } catch (error) {
        slot.failed = true
        result.failures.push({
          key: slot.key,
          reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        })
      } finally {
        slot.done = true
        await afterSlot()
      }
    })()
    inFlight.add(task)
    void task.finally(() => inFlight.delete(task))
    return task
  }

  const merged = mergeListings(
    listObjects(deps.source, blue, { startAfter: pass.after, ...pageSize(tuning) }),
    listObjects(deps.target, green, { startAfter: pass.after, ...pageSize(tuning) })
  )
  try {
    await produce()
  } finally {
    await Promise.all(inFlight)
    if (saving !== undefined) await saving.catch(() => undefined)
  }
  if (fatal !== undefined)
    throw fatal instanceof Error ? fatal : new Error(`checkpoint failed: ${JSON.stringify(fatal)}`)
  advance()
  await save(true)
  result.done = result.failures.length === 0
  result.pass = pass.counts
  progress(true)
  return result

  async function produce(): Promise<void> {
    for await (const entry of merged) {
      if (fatal !== undefined) break
      // Every slot not done has its task in flight, so waiting on them always ends.
      while (
        inFlight.size >= concurrency ||
        (inFlight.size > 0 && !blocked && slots.length - head >= maxOutstanding)
      ) {
        await Promise.race(inFlight)
      }
      const slot: Slot = { key: entry.key, done: false, failed: false, delta: {} }
      // Once a key failed the mark cannot pass it: later keys are still copied, not tracked.
      if (!blocked) slots.push(slot)
      if (entry.blue !== undefined) count(slot, { listed: 1 })
      if (job.ignore.ignores(entry.key)) {
        if (entry.blue !== undefined) count(slot, { ignored: 1 })
        slot.done = true
        await afterSlot()
        continue
      }
      const verdict = compareListed(entry.blue, entry.green, records.get(entry.key))
      if (verdict === 'equal') {
        count(slot, { skipped: 1 })
      } else if (verdict === 'extra-on-green') {
        count(slot, { extra: 1 })
        if (result.extraKeys.length < 20) result.extraKeys.push(entry.key)
        if (job.deleteExtra) {
          void launch(slot, async () => {
            await withRetry(() => deleteObject(deps.target, green, entry.key), backoff)
            count(slot, { deleted: 1 })
          })
          continue
        }
      } else {
        void launch(slot, () =>
          verdict === 'check-checksums' ? checkThenCopy(slot, entry) : copyKey(slot, entry)
        )
        continue
      }
      slot.done = true
      await afterSlot()
    }
  }
}

function pageSize(tuning: CopyTuning): { pageSize?: number } {
  return tuning.pageSize === undefined ? {} : { pageSize: tuning.pageSize }
}
