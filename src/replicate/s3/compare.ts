/**
 * When is green's object equal to blue's? Pure rules shared by the copy (skip what is equal) and
 * verify (report what is not).
 *
 * - Sizes differ: different.
 * - Same ETag: equal (the MD5 of the content for single-part uploads; for multipart uploads the
 *   MD5 of the parts' MD5s, equal only for the same content in the same parts).
 * - A recorded copy: when this tool copied blue's version E to green and green's object then got
 *   ETag F (a multipart copy, a KMS-encrypted green), the pair (E, F) is recorded; blue still at E
 *   and green still at F is equal.
 * - Otherwise both sides' full-object checksums (HeadObject, ChecksumMode ENABLED: CRC64NVME,
 *   CRC32, ...) decide when they share an algorithm; if they share none, the object cannot be
 *   proven equal without reading it, and the copy copies it again.
 */
import type { ObjectHead, S3Object } from '../../aws/s3.js'
import { compareKeys } from './keys.js'

/** blue's version `blueEtag` was copied to green, where it became `greenEtag`. */
export interface EtagRecord {
  key: string
  blueEtag: string
  greenEtag: string
}

export type ListedVerdict =
  | 'equal'
  | 'differs'
  | 'missing-on-green'
  | 'extra-on-green'
  /** Same size, ETags not comparable: HeadObject both and compare checksums. */
  | 'check-checksums'

export function compareListed(
  blue: S3Object | undefined,
  green: S3Object | undefined,
  record: EtagRecord | undefined
): ListedVerdict {
  if (blue === undefined) return green === undefined ? 'equal' : 'extra-on-green'
  if (green === undefined) return 'missing-on-green'
  if (blue.size !== green.size) return 'differs'
  if (blue.etag === green.etag) return 'equal'
  if (record !== undefined && record.blueEtag === blue.etag && record.greenEtag === green.etag)
    return 'equal'
  return 'check-checksums'
}

export type HeadVerdict = 'equal' | 'differs' | 'unverifiable'

export function compareHeads(blue: ObjectHead, green: ObjectHead): HeadVerdict {
  if (blue.size !== green.size) return 'differs'
  if (blue.etag === green.etag) return 'equal'
  const shared = Object.keys(blue.checksums).filter((a) => green.checksums[a] !== undefined)
  if (shared.length === 0) return 'unverifiable'
  return shared.every((a) => blue.checksums[a] === green.checksums[a]) ? 'equal' : 'differs'
}

/** One key of the merged listings: on blue, on green, or both. */
export interface Merged {
  key: string
  blue: S3Object | undefined
  green: S3Object | undefined
}

/**
 * Merges two listings (pages in S3's key order) into one stream of keys, in that order. Reads
 * each side one page ahead at most.
 */
export async function* mergeListings(
  blue: AsyncIterable<S3Object[]>,
  green: AsyncIterable<S3Object[]>
): AsyncGenerator<Merged> {
  const b = cursor(blue)
  const g = cursor(green)
  let x = await b.next()
  let y = await g.next()
  while (x !== undefined || y !== undefined) {
    const order = x === undefined ? 1 : y === undefined ? -1 : compareKeys(x.key, y.key)
    if (order === 0 && x !== undefined && y !== undefined) {
      yield { key: x.key, blue: x, green: y }
      ;[x, y] = await Promise.all([b.next(), g.next()])
    } else if (order < 0 && x !== undefined) {
      yield { key: x.key, blue: x, green: undefined }
      x = await b.next()
    } else if (y !== undefined) {
      yield { key: y.key, blue: undefined, green: y }
      y = await g.next()
    }
  }
}

function cursor(pages: AsyncIterable<S3Object[]>): { next(): Promise<S3Object | undefined> } {
  const it = pages[Symbol.asyncIterator]()
  let page: S3Object[] = []
  let index = 0
  let ended = false
  return {
    async next() {
      while (index >= page.length) {
        if (ended) return undefined
        const r = await it.next()
        if (r.done === true) {
          ended = true
          return undefined
        }
        page = r.value
        index = 0
      }
      return page[index++]
    }
  }
}
