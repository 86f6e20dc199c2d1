/**
 * The moto patches bucket replication relies on (scripts/moto/patches_s3.py): without them the
 * emulator would accept copies and report configurations that AWS does not, or consume the
 * events queue itself, and the copy and delivery tests could pass where AWS fails.
 */
import { CreateRoleCommand } from '@aws-sdk/client-iam'
import { CreateEventSourceMappingCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda'
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketNotificationConfigurationCommand,
  HeadObjectCommand,
  PutBucketNotificationConfigurationCommand,
  UploadPartCopyCommand
} from '@aws-sdk/client-s3'
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import { strToU8, zipSync } from 'fflate'
import { copySource, headBucket } from '../../../src/aws/s3.js'
import { createQueue } from '../../../src/aws/sqs.js'
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

test('an SQS event source mapping leaves the queue to Lambda: a message sent is still there, never received', async () => {
  const { lambda, sqs, iam } = clients()
  const role = await iam.send(
    new CreateRoleCommand({ RoleName: 'emulator-rules-fn', AssumeRolePolicyDocument: '{}' })
  )
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'emulator-rules-fn',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: role.Role?.Arn ?? '',
      Code: { ZipFile: zipSync({ 'index.js': strToU8('exports.handler = async () => ({})') }) }
    })
  )
  const queue = await createQueue(sqs, 'emulator-rules-events')
  await lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: 'emulator-rules-fn',
      EventSourceArn: queue.arn,
      BatchSize: 10
    })
  )
  await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"a":1}' }))
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      MaxNumberOfMessages: 10
    })
  )
  // moto would have received it itself (a receive counted, the message hidden) and failed to run
  // the function; on AWS it is the poller's, which the tests play.
  expect(out.Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
    ['{"a":1}', '1']
  ])
})

test('HeadBucket names the bucket region (x-amz-bucket-region), also for a bucket elsewhere', async () => {
  const eu = clients().s3In('eu-west-1')
  await eu.send(
    new CreateBucketCommand({
      Bucket: 'emulator-rules-eu',
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' }
    })
  )
  expect(await headBucket(clients().s3, 'emulator-rules-eu')).toEqual({
    access: 'ok',
    region: 'eu-west-1'
  })
  expect(await headBucket(clients().s3, bucket)).toEqual({ access: 'ok', region: 'us-east-1' })
  expect(await headBucket(clients().s3, 'emulator-rules-none')).toEqual({
    access: 'missing',
    region: undefined
  })
})
