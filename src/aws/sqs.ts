/**
 * SQS adapter for the replication function's two queues.
 * - The failure queue: the event source mappings send a record of every batch Lambda gives up on
 *   here (and the events queue its messages after `maxReceiveCount` tries, and EventBridge what it
 *   cannot deliver), and `replicate repair` reads them back.
 * - The events queue between EventBridge and the function: EventBridge puts blue's S3 events in
 *   it, the function's event source mapping reads them. It holds events while the function is not
 *   attached (between prepare and start, and after stop), as a DynamoDB stream does for tables.
 * Create-or-get, attributes, count, receive, delete; every function is idempotent.
 *
 * AWS facts (SQS developer guide): a standard queue's dead-letter queue must be a standard queue
 * of the same account and region; a message moved there keeps its original enqueue time, so the
 * dead-letter queue must keep messages longer than the source queue (7 days here, 14 there).
 * Lambda's guide: the source queue's visibility timeout should be at least six times the
 * function's timeout. EventBridge's guide: an SQS target and an SQS dead-letter queue are
 * authorised by the queue's policy (events.amazonaws.com, aws:SourceArn the rule).
 */
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
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
  const { waiting, inFlight } = await queueBacklog(sqs, url)
  return waiting + inFlight
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

// ---------------------------------------------------------------------------------------------
// The events queue (EventBridge → function) and the failure queue's policy

/** 7 days: events wait this long for the function (the failure queue keeps 14). */
export const EVENT_QUEUE_RETENTION_SECONDS = 7 * 24 * 3600

export interface EventQueueSpec {
  name: string
  /** The EventBridge rule allowed to send to the queue. */
  ruleArn: string
  /** Where a message goes after `maxReceiveCount` failed tries (the failure queue). */
  deadLetterArn: string
  visibilityTimeoutSeconds: number
  maxReceiveCount: number
}

/** The queue policy that lets only `ruleArn` send to `queueArn` (aws:SourceArn). */
export function ruleSendPolicy(queueArn: string, ruleArn: string, sid: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: sid,
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } }
      }
    ]
  })
}

/** Only our EventBridge rule may send to the events queue. */
export function eventQueuePolicy(queueArn: string, ruleArn: string): string {
  return ruleSendPolicy(queueArn, ruleArn, 'bluegreen-replication-events')
}

/** The events queue's attributes as `spec` wants them. */
export function eventQueueAttributes(
  spec: EventQueueSpec,
  queueArn: string
): Record<string, string> {
  return {
    MessageRetentionPeriod: String(EVENT_QUEUE_RETENTION_SECONDS),
    VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
    Policy: eventQueuePolicy(queueArn, spec.ruleArn),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: spec.deadLetterArn,
      maxReceiveCount: spec.maxReceiveCount
    })
  }
}

/** Creates the events queue or brings an existing one to `spec` (idempotent). */
export async function ensureEventQueue(sqs: SQSClient, spec: EventQueueSpec): Promise<Queue> {
  let url: string
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: spec.name }))).QueueUrl ?? ''
  } catch (error) {
    if (!isQueueMissing(error)) throw error
    url = (await sqs.send(new CreateQueueCommand({ QueueName: spec.name }))).QueueUrl ?? ''
  }
  const arn = await arnOf(sqs, url)
  await sqs.send(
    new SetQueueAttributesCommand({ QueueUrl: url, Attributes: eventQueueAttributes(spec, arn) })
  )
  return { name: spec.name, url, arn }
}

/** Every attribute of a queue; undefined when it does not exist. */
export async function queueAttributes(
  sqs: SQSClient,
  name: string
): Promise<(Queue & { attributes: Record<string, string> }) | undefined> {
  const queue = await getQueue(sqs, name)
  if (queue === undefined) return undefined
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] })
  )
  return { ...queue, attributes: out.Attributes ?? {} }
}

/** Messages waiting and in flight: 0 and 0 means every event so far has been applied. */
export async function queueBacklog(
  sqs: SQSClient,
  url: string
): Promise<{ waiting: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']
    })
  )
  return {
    waiting: Number(out.Attributes?.ApproximateNumberOfMessages ?? '0'),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? '0')
  }
}

/** Sets a queue's resource policy. */
export async function setQueuePolicy(sqs: SQSClient, url: string, policy: string): Promise<void> {
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: policy } }))
}
