/**
 * S3 adapter for bucket replication: list (the SDK's paginator), head, server-side copy (one
 * CopyObject up to 5 GiB, UploadPartCopy above), delete, and the bucket facts replication checks
 * (region, versioning, Object Lock, website) and changes (the notification configuration's
 * EventBridge switch, read-modify-write). Every function takes a client and returns plain data.
 *
 * AWS facts this relies on (S3 API reference, CopyObject / UploadPartCopy):
 * - CopyObject copies content type, user metadata and (TaggingDirective COPY) tags; the storage
 *   class is NOT copied (the copy is STANDARD unless the request names one), nor is
 *   x-amz-website-redirect-location ("unique to each object and is not copied"), so both are
 *   passed explicitly.
 * - One CopyObject handles at most 5 GB; larger objects are copied in parts of 5 MiB to 5 GiB,
 *   at most 10,000 parts. A multipart copy copies no metadata or tags: they are set on
 *   CreateMultipartUpload from the source's HeadObject and GetObjectTagging.
 * - `CopySourceIfMatch` makes the copy fail with 412 when the source changed since it was read,
 *   so what lands on green is exactly the version that was read.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketVersioningCommand,
  GetBucketWebsiteCommand,
  GetObjectLockConfigurationCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketNotificationConfigurationCommand,
  UploadPartCopyCommand,
  paginateListObjectsV2,
  type CompletedPart,
  type NotificationConfiguration,
  type S3Client,
  type StorageClass
} from '@aws-sdk/client-s3'

/** The largest object one CopyObject copies (5 GB, S3's single-operation copy limit). */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3
export const MIN_PART_BYTES = 5 * 1024 ** 2
export const MAX_PART_BYTES = 5 * 1024 ** 3
export const MAX_PARTS = 10_000

/** One object as a listing shows it. */
export interface S3Object {
  key: string
  size: number
  /** The ETag without quotes. */
  etag: string
  storageClass: string
}

/** What HeadObject tells about one object (everything a faithful copy needs). */
export interface ObjectHead extends S3Object {
  contentType: string | undefined
  cacheControl: string | undefined
  contentDisposition: string | undefined
  contentEncoding: string | undefined
  contentLanguage: string | undefined
  /** The Expires header as S3 returns it. */
  expires: string | undefined
  metadata: Record<string, string>
  websiteRedirectLocation: string | undefined
  /** Full-object checksums (`CRC64NVME` → value); a composite (per-part) checksum is left out. */
  checksums: Record<string, string>
  tagCount: number
}

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '')

function named(error: unknown, ...names: string[]): boolean {
  if (!(error instanceof Error)) return false
  if (names.includes(error.name)) return true
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  return names.includes(String(status))
}

/** `CopySource` for a key: bucket/key with the key URL-encoded (slashes kept). */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const path = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`
  return versionId === undefined ? path : `${path}?versionId=${encodeURIComponent(versionId)}`
}

/**
 * Pages of a bucket's objects in S3's order (UTF-8 binary order of the keys), from after
 * `startAfter` when given.
 */
export async function* listObjects(
  s3: S3Client,
  bucket: string,
  options: { startAfter?: string | undefined; prefix?: string; pageSize?: number } = {}
): AsyncGenerator<S3Object[]> {
  const pages = paginateListObjectsV2(
    { client: s3, ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }) },
    {
      Bucket: bucket,
      ...(options.startAfter === undefined ? {} : { StartAfter: options.startAfter }),
      ...(options.prefix === undefined ? {} : { Prefix: options.prefix })
    }
  )
  for await (const page of pages) {
    yield (page.Contents ?? []).map((o) => ({
      key: o.Key ?? '',
      size: o.Size ?? 0,
      etag: unquote(o.ETag),
      storageClass: o.StorageClass ?? 'STANDARD'
    }))
  }
}

/** HeadObject (checksums included); undefined when the key does not exist. */
export async function headObject(
  s3: S3Client,
  bucket: string,
  key: string
): Promise<ObjectHead | undefined> {
  try {
    const out = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' })
    )
    const checksums: Record<string, string> = {}
    if (out.ChecksumType !== 'COMPOSITE') {
      const all = {
        CRC64NVME: out.ChecksumCRC64NVME,
        CRC32: out.ChecksumCRC32,
        CRC32C: out.ChecksumCRC32C,
        SHA1: out.ChecksumSHA1,
        SHA256: out.ChecksumSHA256
      }
      for (const [name, value] of Object.entries(all)) {
        // A multipart object's checksum without a type ends in -<parts>: per part, not whole.
        if (value !== undefined && !/-\d+$/.test(value)) checksums[name] = value
      }
    }
    return {
      key,
      size: out.ContentLength ?? 0,
      etag: unquote(out.ETag),
      storageClass: out.StorageClass ?? 'STANDARD',
      contentType: out.ContentType,
      cacheControl: out.CacheControl,
      contentDisposition: out.ContentDisposition,
      contentEncoding: out.ContentEncoding,
      contentLanguage: out.ContentLanguage,
      expires: out.ExpiresString,
      metadata: out.Metadata ?? {},
      websiteRedirectLocation: out.WebsiteRedirectLocation,
      checksums,
      tagCount: out.TagCount ?? 0
    }
  } catch (error) {
    if (named(error, 'NotFound', 'NoSuchKey', '404')) return undefined
    throw error
  }
}

export async function getObjectTags(
  s3: S3Client,
  bucket: string,
  key: string
): Promise<{ Key: string; Value: string }[]> {
  const out = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))
  return (out.TagSet ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }))
}

/** The result of a copy: the new object's ETag, or why the source could not be copied. */
export type CopyResult =
  | { kind: 'copied'; etag: string }
  /** The source's ETag is no longer the one given (412): read it again. */
  | { kind: 'source-changed' }
  /** The source key is gone. */
  | { kind: 'source-missing' }

export interface CopyRequest {
  sourceBucket: string
  key: string
  /** The source's ETag as read: the copy fails (source-changed) if it is not current. */
  sourceEtag: string
  targetBucket: string
  storageClass: string
  /** Kept only when known (HeadObject); CopyObject does not copy it by itself. */
  websiteRedirectLocation?: string | undefined
}

// By name only: a 404 can also be the target bucket missing (NoSuchBucket), which is an error.
function copyFailure(error: unknown): CopyResult | undefined {
  if (!(error instanceof Error)) return undefined
  if (error.name === 'PreconditionFailed') return { kind: 'source-changed' }
  if (error.name === 'NoSuchKey') return { kind: 'source-missing' }
  return undefined
}

/** One CopyObject (objects up to 5 GB): metadata and tags copied, storage class kept. */
export async function copyObject(target: S3Client, request: CopyRequest): Promise<CopyResult> {
  try {
    const out = await target.send(
      new CopyObjectCommand({
        Bucket: request.targetBucket,
        Key: request.key,
        CopySource: copySource(request.sourceBucket, request.key),
        CopySourceIfMatch: `"${request.sourceEtag}"`,
        MetadataDirective: 'COPY',
        TaggingDirective: 'COPY',
        StorageClass: request.storageClass as StorageClass,
        ...(request.websiteRedirectLocation === undefined
          ? {}
          : { WebsiteRedirectLocation: request.websiteRedirectLocation })
      })
    )
    return { kind: 'copied', etag: unquote(out.CopyObjectResult?.ETag) }
  } catch (error) {
    const failure = copyFailure(error)
    if (failure !== undefined) return failure
    throw error
  }
}

export interface Part {
  partNumber: number
  /** First and last byte, inclusive. */
  first: number
  last: number
}

/**
 * The parts of a multipart copy of `size` bytes: `preferredBytes` each (default 256 MiB), raised
 * so that there are at most 10,000, and within S3's 5 MiB to 5 GiB.
 */
export function planParts(size: number, preferredBytes = 256 * 1024 ** 2): Part[] {
  const bytes = Math.min(
    MAX_PART_BYTES,
    Math.max(MIN_PART_BYTES, preferredBytes, Math.ceil(size / MAX_PARTS))
  )
  const parts: Part[] = []
  for (let first = 0, n = 1; first < size; first += bytes, n++) {
    parts.push({ partNumber: n, first, last: Math.min(size, first + bytes) - 1 })
  }
  return parts
}

/**
 * A multipart server-side copy (UploadPartCopy) of an object larger than one CopyObject allows.
 * The source's metadata, tags and storage class are set on the new upload (a part copy carries
 * none of them); every part is conditional on the source's ETag; a failure aborts the upload.
 */
export async function multipartCopy(
  source: S3Client,
  target: S3Client,
  request: {
    sourceBucket: string
    head: ObjectHead
    targetBucket: string
    partBytes?: number
    concurrency?: number
  }
): Promise<CopyResult> {
  const { head } = request
  let tags: { Key: string; Value: string }[]
  try {
    tags = head.tagCount > 0 ? await getObjectTags(source, request.sourceBucket, head.key) : []
  } catch (error) {
    const failure = copyFailure(error)
    if (failure !== undefined) return failure
    throw error
  }
  const created = await target.send(
    new CreateMultipartUploadCommand({
      Bucket: request.targetBucket,
      Key: head.key,
      StorageClass: head.storageClass as StorageClass,
      Metadata: head.metadata,
      ...optional({
        ContentType: head.contentType,
        CacheControl: head.cacheControl,
        ContentDisposition: head.contentDisposition,
        ContentEncoding: head.contentEncoding,
        ContentLanguage: head.contentLanguage,
        Expires: expiresDate(head.expires),
        WebsiteRedirectLocation: head.websiteRedirectLocation,
        Tagging:
          tags.length === 0
            ? undefined
            : new URLSearchParams(tags.map((t): [string, string] => [t.Key, t.Value])).toString()
      })
    })
  )
  const uploadId = created.UploadId ?? ''
  const parts = planParts(head.size, request.partBytes)
  const done: CompletedPart[] = []
  try {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < parts.length) {
        const part = parts[next++] as Part
        const out = await target.send(
          new UploadPartCopyCommand({
            Bucket: request.targetBucket,
            Key: head.key,
            UploadId: uploadId,
            PartNumber: part.partNumber,
            CopySource: copySource(request.sourceBucket, head.key),
            CopySourceIfMatch: `"${head.etag}"`,
            CopySourceRange: `bytes=${part.first}-${part.last}`
          })
        )
        done.push({ PartNumber: part.partNumber, ETag: out.CopyPartResult?.ETag ?? '' })
      }
    }
    await Promise.all(
      Array.from({ length: Math.min(request.concurrency ?? 4, parts.length) }, worker)
    )
    const out = await target.send(
      new CompleteMultipartUploadCommand({
        Bucket: request.targetBucket,
        Key: head.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: done.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0)) }
      })
    )
    return { kind: 'copied', etag: unquote(out.ETag) }
  } catch (error) {
    await target
      .send(
        new AbortMultipartUploadCommand({
          Bucket: request.targetBucket,
          Key: head.key,
          UploadId: uploadId
        })
      )
      .catch(() => undefined) // the copy's own error is the one to report
    const failure = copyFailure(error)
    if (failure !== undefined) return failure
    throw error
  }
}

function expiresDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date
}

function optional<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** DeleteObject (idempotent: deleting a missing key succeeds). */
export async function deleteObject(s3: S3Client, bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
}

// ---------------------------------------------------------------------------------------------
// Bucket facts

/** Whether the bucket exists and this caller may read it. */
export type BucketAccess = 'ok' | 'missing' | 'forbidden'

/**
 * HeadBucket: whether the bucket exists and may be read, and its region (S3 answers every
 * HeadBucket, even one sent to another region, with `x-amz-bucket-region`).
 */
export async function headBucket(
  s3: S3Client,
  bucket: string
): Promise<{ access: BucketAccess; region: string | undefined }> {
  try {
    const out = await s3.send(new HeadBucketCommand({ Bucket: bucket }))
    return { access: 'ok', region: out.BucketRegion }
  } catch (error) {
    if (named(error, 'NotFound', 'NoSuchBucket', '404'))
      return { access: 'missing', region: undefined }
    if (named(error, 'Forbidden', 'AccessDenied', '403'))
      return { access: 'forbidden', region: undefined }
    throw error
  }
}

export type Versioning = 'Enabled' | 'Suspended' | 'Off'

export async function bucketVersioning(s3: S3Client, bucket: string): Promise<Versioning> {
  const out = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))
  return out.Status === 'Enabled' || out.Status === 'Suspended' ? out.Status : 'Off'
}

export async function objectLockEnabled(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    const out = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))
    return out.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled'
  } catch (error) {
    if (named(error, 'ObjectLockConfigurationNotFoundError')) return false
    throw error
  }
}

/** Whether the bucket serves a static website (then objects' redirect locations matter). */
export async function hasWebsite(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new GetBucketWebsiteCommand({ Bucket: bucket }))
    return true
  } catch (error) {
    if (named(error, 'NoSuchWebsiteConfiguration')) return false
    throw error
  }
}

// ---------------------------------------------------------------------------------------------
// Notification configuration: read-modify-write that keeps everyone else's entries as they are.

/** The configuration as S3 returns it (the SDK's shape, response metadata removed). */
export type NotificationConfig = NotificationConfiguration

export async function getNotificationConfig(
  s3: S3Client,
  bucket: string
): Promise<NotificationConfig> {
  const out = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))
  return notificationOf(out)
}

/** Only the configuration's own fields, so that a GET can be PUT back as it was. */
export function notificationOf(out: NotificationConfig): NotificationConfig {
  const config: NotificationConfig = {}
  if (out.TopicConfigurations !== undefined && out.TopicConfigurations.length > 0)
    config.TopicConfigurations = out.TopicConfigurations
  if (out.QueueConfigurations !== undefined && out.QueueConfigurations.length > 0)
    config.QueueConfigurations = out.QueueConfigurations
  if (out.LambdaFunctionConfigurations !== undefined && out.LambdaFunctionConfigurations.length > 0)
    config.LambdaFunctionConfigurations = out.LambdaFunctionConfigurations
  if (out.EventBridgeConfiguration !== undefined)
    config.EventBridgeConfiguration = out.EventBridgeConfiguration
  return config
}

export function eventBridgeEnabled(config: NotificationConfig): boolean {
  return config.EventBridgeConfiguration !== undefined
}

/** The same configuration with S3 → EventBridge delivery on or off; nothing else changes. */
export function withEventBridge(config: NotificationConfig, on: boolean): NotificationConfig {
  const next: NotificationConfig = { ...config }
  delete next.EventBridgeConfiguration
  return on ? { ...next, EventBridgeConfiguration: {} } : next
}

/**
 * PutBucketNotificationConfiguration replaces the whole configuration, so the caller passes the
 * configuration it read with only its own change. `SkipDestinationValidation`: S3 would otherwise
 * re-validate every existing destination, and someone else's broken destination would fail our
 * change.
 */
export async function putNotificationConfig(
  s3: S3Client,
  bucket: string,
  config: NotificationConfig
): Promise<void> {
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: config,
      SkipDestinationValidation: true
    })
  )
}

/**
 * Switches S3 → EventBridge delivery on, keeping every other entry as read. No write when it is
 * on already (someone else's, or an earlier run's): `changed` tells whether this call turned it on.
 */
export async function ensureEventBridge(
  s3: S3Client,
  bucket: string
): Promise<{ changed: boolean }> {
  const config = await getNotificationConfig(s3, bucket)
  if (eventBridgeEnabled(config)) return { changed: false }
  await putNotificationConfig(s3, bucket, withEventBridge(config, true))
  return { changed: true }
}

/** Switches S3 → EventBridge delivery off, keeping every other entry as read. */
export async function removeEventBridge(
  s3: S3Client,
  bucket: string
): Promise<{ changed: boolean }> {
  const config = await getNotificationConfig(s3, bucket)
  if (!eventBridgeEnabled(config)) return { changed: false }
  await putNotificationConfig(s3, bucket, withEventBridge(config, false))
  return { changed: true }
}
