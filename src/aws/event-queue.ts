/**
 * The SQS queue between EventBridge and the replication function: EventBridge puts blue's S3
 * events in it, the function's event source mapping reads them. It holds events while the
 * function is not attached (between prepare and start, and after stop), as a DynamoDB stream does
 * for the tables, and passes a message it cannot apply after `maxReceiveCount` tries to the
 * failure queue (its redrive policy).
 *
 * AWS facts (SQS developer guide): a standard queue's dead-letter queue must be a standard queue
 * of the same account and region; a message moved there keeps its original enqueue time, so the
 * dead-letter queue must keep messages longer than the source queue (7 days here, 14 there).
 * Lambda's guide: the source queue's visibility timeout should be at least six times the
 * function's timeout.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient
} from '@aws-sdk/client-sqs'

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

export interface EventQueue {
  name: string
  url: string
  arn: string
}

/** Only our EventBridge rule may send to the queue (aws:SourceArn). */
export function eventQueuePolicy(queueArn: string, ruleArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'bluegreen-replication-events',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } }
      }
    ]
  })
}

/** The queue's ARN from its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })
  )
  return out.Attributes?.QueueArn ?? ''
}

/** Creates the queue or brings an existing one to `spec` (idempotent). */
export async function ensureEventQueue(sqs: SQSClient, spec: EventQueueSpec): Promise<EventQueue> {
  let url: string
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: spec.name }))).QueueUrl ?? ''
  } catch (error) {
    if (!(error instanceof Error && /NonExistentQueue|QueueDoesNotExist/.test(error.name)))
      throw error
    url = (await sqs.send(new CreateQueueCommand({ QueueName: spec.name }))).QueueUrl ?? ''
  }
  const arn = await queueArn(sqs, url)
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: url,
      Attributes: {
        MessageRetentionPeriod: String(EVENT_QUEUE_RETENTION_SECONDS),
        VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
        Policy: eventQueuePolicy(arn, spec.ruleArn),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: spec.deadLetterArn,
          maxReceiveCount: spec.maxReceiveCount
        })
      }
    })
  )
  return { name: spec.name, url, arn }
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
