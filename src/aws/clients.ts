/**
 * One factory for every AWS client. CloudFront, Route53, ACM (for CloudFront certificates) and
 * Lambda@Edge live in us-east-1; the rest in the requested region. Endpoints come from the SDK's
 * standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables, so the same code runs
 * against AWS and the local emulator.
 */
import { ACMClient } from '@aws-sdk/client-acm'
import { CloudFrontClient } from '@aws-sdk/client-cloudfront'
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams'
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { IAMClient } from '@aws-sdk/client-iam'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { Route53Client } from '@aws-sdk/client-route-53'
import { S3Client } from '@aws-sdk/client-s3'
import { SQSClient } from '@aws-sdk/client-sqs'
import { VERSION } from '../version.js'

/** CloudFront's control plane, its certificates and Lambda@Edge are all in us-east-1. */
export const GLOBAL_REGION = 'us-east-1'

export interface Clients {
  readonly cloudfront: CloudFrontClient
  readonly route53: Route53Client
  /** ACM in us-east-1, where CloudFront certificates live. */
  readonly acm: ACMClient
  /** Lambda in us-east-1, for the Lambda@Edge router. */
  readonly edgeLambda: LambdaClient
  readonly iam: IAMClient
  /** Lambda in `region`, for the replication function. */
  readonly lambda: LambdaClient
  readonly dynamodb: DynamoDBClient
  readonly streams: DynamoDBStreamsClient
  /** SQS in `region`, for the replication function's failure queue. */
  readonly sqs: SQSClient
  /** CloudWatch in `region`, for the replication function's IteratorAge. */
  readonly cloudwatch: CloudWatchClient
  /**
   * CloudWatch in any region: a rollout's alarms may live elsewhere (named by alarm ARN).
   * createClients always provides it; clients a test assembles by hand may leave it out.
   */
  readonly cloudwatchIn?: (region: string) => CloudWatchClient
  /** S3 in `region` (bucket replication). */
  readonly s3: S3Client
  /** S3 in another region, for a green bucket that lives there. */
  s3In(region: string): S3Client
  /** EventBridge in `region`: the rule that delivers blue's S3 events. */
  readonly eventbridge: EventBridgeClient
}

export interface ClientOptions {
  region: string
  maxAttempts?: number
}

/** Builds clients lazily: a command only creates those it uses. */
export function createClients(options: ClientOptions): Clients {
  const config = (region: string) => ({
    region,
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 8,
    customUserAgent: [['bluegreen-action', VERSION]] as [string, string][]
  })
  const cache = new Map<string, unknown>()
  const lazy = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make())
    return cache.get(key) as T
  }
  const { region } = options
  const cloudwatchIn = (r: string): CloudWatchClient =>
    lazy(`cloudwatch:${r}`, () => new CloudWatchClient(config(r)))
  return {
    get cloudfront() {
      return lazy('cloudfront', () => new CloudFrontClient(config(GLOBAL_REGION)))
    },
    get route53() {
      return lazy('route53', () => new Route53Client(config(GLOBAL_REGION)))
    },
    get acm() {
      return lazy('acm', () => new ACMClient(config(GLOBAL_REGION)))
    },
    get edgeLambda() {
      return lazy('edgeLambda', () => new LambdaClient(config(GLOBAL_REGION)))
    },
    get iam() {
      return lazy('iam', () => new IAMClient(config(GLOBAL_REGION)))
    },
    get lambda() {
      return lazy('lambda', () => new LambdaClient(config(region)))
    },
    get dynamodb() {
      return lazy('dynamodb', () => new DynamoDBClient(config(region)))
    },
    get streams() {
      return lazy('streams', () => new DynamoDBStreamsClient(config(region)))
    },
    get sqs() {
      return lazy('sqs', () => new SQSClient(config(region)))
    },
    get cloudwatch() {
      return cloudwatchIn(region)
    },
    cloudwatchIn,
    get s3() {
      return this.s3In(region)
    },
    // Path-style addressing: DEEP's bucket names have dots, which virtual-hosted addressing cannot
    // carry over TLS (S3 falls back to path-style for them anyway); one style for every bucket.
    // A bucket in another region answers 301 with its region: the SDK follows it.
    s3In(r: string) {
      return lazy(
        `s3:${r}`,
        () => new S3Client({ ...config(r), forcePathStyle: true, followRegionRedirects: true })
      )
    },
    get eventbridge() {
      return lazy('eventbridge', () => new EventBridgeClient(config(region)))
    }
  }
}
