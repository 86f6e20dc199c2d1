/**
 * SQS adapter for the replication function's failure queue: the event source mappings send a
 * record of every batch Lambda gives up on here. Create-or-get, count, delete; every function is
 * idempotent.
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type SQSClient
} from '@aws-sdk/client-sqs'

/** 14 days, SQS's longest retention. */
export const QUEUE_RETENTION_SECONDS = 14 * 24 * 3600

export interface Queue {
  name: string
  url: string
  arn: string
}

function missing(error: unknown): boolean {
  return (
    error instanceof Error &&
    ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'].includes(error.name)
  )
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
    if (missing(error)) return undefined
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
    if (!(error instanceof Error && error.name === 'QueueNameExists')) throw error
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? ''
  }
  return { name, url, arn: await arnOf(sqs, url) }
}

/** ApproximateNumberOfMessages: the messages visible in the queue. */
export async function countMessages(sqs: SQSClient, url: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages']
    })
  )
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? '0')
}

export async function deleteQueue(sqs: SQSClient, url: string): Promise<void> {
  try {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }))
  } catch (error) {
    if (!missing(error)) throw error
  }
}
