/**
 * SQS adapter for the replication function's failure queue: the event source mappings send a
 * record of every batch Lambda gives up on here, and `replicate repair` reads them back.
 * Create-or-get, count, receive, delete; every function is idempotent.
 */
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient
} from '@aws-sdk/client-sqs'
import { isNamed, isQueueMissing } from './errors.js'

/** 14 days, SQS's longest retention. */
export const QUEUE_RETENTION_SECONDS = 14 * 24 * 3600

export interface Queue {
  name: string
  url: string
  arn: string
}

async function arnOf(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })
  )
  return out.Attributes?.QueueArn ?? ''
}

/** The queue's URL and ARN; undefined when it does not exist. */
export async function getQueue(sqs: SQSClient, name: string): Promise<Queue | undefined> {
  let url: string
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? ''
  } catch (error) {
    if (isQueueMissing(error)) return undefined
    throw error
  }
  return { name, url, arn: await arnOf(sqs, url) }
}

/**
 * Creates the queue (14-day retention), or finds it: CreateQueue returns the existing queue's URL
 * when its attributes match, and QueueNameExists when they differ (then it is used as it is).
 */
export async function createQueue(sqs: SQSClient, name: string): Promise<Queue> {
  let url: string
  try {
    const out = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { MessageRetentionPeriod: String(QUEUE_RETENTION_SECONDS) }
      })
    )
    url = out.QueueUrl ?? ''
  } catch (error) {
    if (!isNamed(error, 'QueueNameExists')) throw error
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? ''
  }
  return { name, url, arn: await arnOf(sqs, url) }
}

/**
 * The messages in the queue: those visible (ApproximateNumberOfMessages) and those a reader has
 * received but not deleted yet (ApproximateNumberOfMessagesNotVisible), which come back if it dies.
 */
export async function countMessages(sqs: SQSClient, url: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']
    })
  )
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? '0') +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? '0')
  )
}

export async function deleteQueue(sqs: SQSClient, url: string): Promise<void> {
  try {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }))
  } catch (error) {
    if (!isQueueMissing(error)) throw error
  }
}

export interface QueueMessage {
  id: string
  receiptHandle: string
  body: string
}

/**
 * Up to 10 messages, hidden from other readers for `visibilitySeconds` (they come back if not
 * deleted by then: a repair that dies loses none).
 */
export async function receiveMessages(
  sqs: SQSClient,
  url: string,
  visibilitySeconds: number
): Promise<QueueMessage[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: visibilitySeconds,
      WaitTimeSeconds: 0
    })
  )
  return (out.Messages ?? []).map((m) => ({
    id: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? ''
  }))
}

export async function deleteMessage(
  sqs: SQSClient,
  url: string,
  receiptHandle: string
): Promise<void> {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: receiptHandle }))
}

/** Makes a received message visible to readers again at once (its work failed). */
export async function releaseMessage(
  sqs: SQSClient,
  url: string,
  receiptHandle: string
): Promise<void> {
  await sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: url,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: 0
    })
  )
}
