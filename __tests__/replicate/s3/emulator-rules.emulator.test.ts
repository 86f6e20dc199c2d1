/**
 * The moto patches bucket replication relies on (scripts/moto/patches_s3.py): without them the
 * emulator would accept copies and report configurations that AWS does not, and the copy and
 * delivery tests could pass where AWS fails.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetBucketNotificationConfigurationCommand,
  HeadObjectCommand,
  PutBucketNotificationConfigurationCommand,
  UploadPartCopyCommand
} from '@aws-sdk/client-s3'
import { copySource } from '../../../src/aws/s3.js'
import { clients, createBucket, put } from './helpers.js'

const bucket = 'emulator-rules'

beforeAll(async () => {
  await createBucket(bucket)
  await put(bucket, 'src.txt', 'source', { WebsiteRedirectLocation: '/elsewhere.html' })
})

test('CopyObject with a stale x-amz-copy-source-if-match fails with 412 PreconditionFailed', async () => {
  await expect(
    clients().s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'dst.txt',
        CopySource: copySource(bucket, 'src.txt'),
        CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"'
      })
    )
  ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } })
})

test('UploadPartCopy with a stale x-amz-copy-source-if-match fails with 412 too', async () => {
  const upload = await clients().s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp.txt' })
  )
  await expect(
    clients().s3.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: 'mp.txt',
        UploadId: upload.UploadId,
        PartNumber: 1,
        CopySource: copySource(bucket, 'src.txt'),
        CopySourceIfMatch: '"stale"'
      })
    )
  ).rejects.toMatchObject({ name: 'PreconditionFailed' })
  const part = await clients().s3.send(
    new UploadPartCopyCommand({
      Bucket: bucket,
      Key: 'mp.txt',
      UploadId: upload.UploadId,
      PartNumber: 1,
      CopySource: copySource(bucket, 'src.txt')
    })
  )
  await clients().s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: 'mp.txt',
      UploadId: upload.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult?.ETag }] }
    })
  )
})

test('CopyObject does not copy the website redirect unless the request sets it', async () => {
  await clients().s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: 'plain-copy.txt',
      CopySource: copySource(bucket, 'src.txt')
    })
  )
  const plain = await clients().s3.send(
    new HeadObjectCommand({ Bucket: bucket, Key: 'plain-copy.txt' })
  )
  expect(plain.WebsiteRedirectLocation).toBeUndefined()
  await clients().s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: 'kept-copy.txt',
      CopySource: copySource(bucket, 'src.txt'),
      WebsiteRedirectLocation: '/elsewhere.html'
    })
  )
  const kept = await clients().s3.send(
    new HeadObjectCommand({ Bucket: bucket, Key: 'kept-copy.txt' })
  )
  expect(kept.WebsiteRedirectLocation).toBe('/elsewhere.html')
})

test('GetBucketNotificationConfiguration shows EventBridgeConfiguration once enabled, alone or beside others', async () => {
  await clients().s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { EventBridgeConfiguration: {} }
    })
  )
  const alone = await clients().s3.send(
    new GetBucketNotificationConfigurationCommand({ Bucket: bucket })
  )
  expect(alone.EventBridgeConfiguration).toEqual({})
  await clients().s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        EventBridgeConfiguration: {},
        TopicConfigurations: [
          {
            Id: 't',
            TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
            Events: ['s3:ObjectCreated:*']
          }
        ]
      }
    })
  )
  const beside = await clients().s3.send(
    new GetBucketNotificationConfigurationCommand({ Bucket: bucket })
  )
  expect(beside.EventBridgeConfiguration).toEqual({})
  expect(beside.TopicConfigurations).toHaveLength(1)
  await clients().s3.send(
    new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: {} })
  )
  expect(
    (await clients().s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket })))
      .EventBridgeConfiguration
  ).toBeUndefined()
})
