/**
 * Bucket replication's error paths the emulator cannot produce, with aws-sdk-client-mock: S3
 * throttling (503 SlowDown) is retried, a key S3 refuses (AccessDenied) is reported and holds the
 * checkpoint so that a re-run retries it, and an unreadable notification configuration is never
 * written over.
 */
import {
  CopyObjectCommand,
  GetBucketNotificationConfigurationCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  S3Client,
  S3ServiceException
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { ensureEventBridge } from '../../../src/aws/s3.js'
import { memoryLogger } from '../../../src/log.js'
import { copyBucket } from '../../../src/replicate/s3/copy.js'
import { copyJob } from './helpers.js'

const s3Error = (name: string, status: number) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name
  })

const pair = { blue: 'blue-b', green: 'green-b', kind: 'private' as const }
const listing = (keys: string[]) => ({
  Contents: keys.map((Key) => ({
    Key,
    Size: 3,
    ETag: `"${Key}-etag"`,
    StorageClass: 'STANDARD' as const
  })),
  IsTruncated: false
})

function setup() {
  const client = new S3Client({ region: 'us-east-1', maxAttempts: 1 })
  const mock = mockClient(client)
  mock.on(ListObjectsV2Command, { Bucket: 'blue-b' }).resolves(listing(['a', 'b', 'c', 'd']))
  mock
    .on(ListObjectsV2Command, { Bucket: 'green-b' })
    .resolves({ Contents: [], IsTruncated: false })
  const deps = {
    source: client,
    target: client,
    log: memoryLogger(),
    now: () => new Date(),
    sleep: () => Promise.resolve()
  }
  const job = copyJob(pair)
  return { mock, deps, job }
}

test('S3 throttling (503 SlowDown) is retried until the copy succeeds', async () => {
  const { mock, deps, job } = setup()
  mock
    .on(CopyObjectCommand)
    .rejectsOnce(s3Error('SlowDown', 503))
    .rejectsOnce(s3Error('SlowDown', 503))
    .resolves({ CopyObjectResult: { ETag: '"x"' } })
  const outcome = await copyBucket(job, deps, { concurrency: 1 })
  expect(outcome).toMatchObject({ done: true, failures: [] })
  expect(outcome.run.copied).toBe(4)
  expect(mock.commandCalls(CopyObjectCommand)).toHaveLength(6)
})

test('a key S3 refuses is reported, holds the checkpoint before it, and is retried by the next run', async () => {
  const { mock, deps, job } = setup()
  mock.on(CopyObjectCommand).callsFake((input: { Key?: string }) => {
    if (input.Key === 'b') throw s3Error('AccessDenied', 403)
    return { CopyObjectResult: { ETag: `"${input.Key ?? ''}-etag"` } }
  })
  // maxOutstanding 1: the keys after the refused one must not wait for a mark that cannot move.
  const first = await copyBucket(job, deps, { concurrency: 1, maxOutstanding: 1 })
  expect(first.done).toBe(false)
  expect(first.run.copied).toBe(3)
  expect(first.failures).toEqual([{ key: 'b', reason: 'AccessDenied: AccessDenied' }])
  expect(job.store.checkpoint).toMatchObject({ after: 'a', done: false })

  mock.reset()
  mock
    .on(ListObjectsV2Command, { Bucket: 'blue-b', StartAfter: 'a' })
    .resolves(listing(['b', 'c', 'd']))
  mock
    .on(ListObjectsV2Command, { Bucket: 'green-b', StartAfter: 'a' })
    .resolves(listing(['c', 'd']))
  mock.on(CopyObjectCommand).resolves({ CopyObjectResult: { ETag: '"b-etag"' } })
  const second = await copyBucket(job, deps, { concurrency: 1 })
  expect(second).toMatchObject({ done: true, resumedAfter: 'a', failures: [] })
  expect(mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.Key)).toEqual(['b'])
})

test('a notification configuration that cannot be read is never written over', async () => {
  const client = new S3Client({ region: 'us-east-1', maxAttempts: 1 })
  const mock = mockClient(client)
  mock.on(GetBucketNotificationConfigurationCommand).rejects(s3Error('AccessDenied', 403))
  await expect(ensureEventBridge(client, 'blue-b')).rejects.toMatchObject({ name: 'AccessDenied' })
  expect(mock.commandCalls(PutBucketNotificationConfigurationCommand)).toHaveLength(0)
})
