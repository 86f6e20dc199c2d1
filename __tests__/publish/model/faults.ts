/**
 * Errors the model throws, shaped like the SDK's: instances of the services' own exception
 * classes (so `instanceof`, `name`, `$fault` and `$metadata` are what the real client yields).
 */
import { ACMServiceException } from '@aws-sdk/client-acm'
import { CloudFrontServiceException } from '@aws-sdk/client-cloudfront'
import { ConcurrentModificationException, IAMServiceException } from '@aws-sdk/client-iam'
import {
  LambdaServiceException,
  ResourceConflictException,
  TooManyRequestsException
} from '@aws-sdk/client-lambda'
import { PriorRequestNotComplete, Route53ServiceException } from '@aws-sdk/client-route-53'

export type Service = 'cloudfront' | 'route53' | 'acm' | 'lambda' | 'iam'

/**
 * What an injected fault does to mutating call k:
 * - `throttle`: rejected before applying, as AWS does when the account's rate is exceeded;
 * - `server`: a 500 (InternalError / ServiceUnavailable) before applying;
 * - `conflict`: someone else changed the resource first (CloudFront: the ETag moves on and the
 *   call fails with PreconditionFailed; Route53 PriorRequestNotComplete; Lambda/IAM conflicts);
 * - `lost-response`: the call IS applied, then the response is lost (a 500 / timeout seen by the
 *   client, whose retries are exhausted), so the next run must discover what already happened;
 * - `answer-lost`: the call IS applied, its answer is lost, and the SDK retries the same request
 *   (as it does on a timeout or a 5xx): the run hears the retry's answer (an "already exists",
 *   a PreconditionFailed, or the same result) and must adopt what it made, in the same run.
 */
export type FaultKind = 'throttle' | 'server' | 'conflict' | 'lost-response' | 'answer-lost'
export const FAULT_KINDS: readonly FaultKind[] = [
  'throttle',
  'server',
  'conflict',
  'lost-response',
  'answer-lost'
]

interface ErrorShape {
  name: string
  message: string
  status: number
}

function build(service: Service, { name, message, status }: ErrorShape): Error {
  const options = {
    name,
    message,
    $fault: status >= 500 ? ('server' as const) : ('client' as const),
    $metadata: { httpStatusCode: status }
  }
  switch (service) {
    case 'cloudfront':
      return new CloudFrontServiceException(options)
    case 'route53':
      return new Route53ServiceException(options)
    case 'acm':
      return new ACMServiceException(options)
    case 'lambda':
      return new LambdaServiceException(options)
    case 'iam':
      return new IAMServiceException(options)
  }
}

const THROTTLE_NAME: Record<Service, string> = {
  cloudfront: 'Throttling',
  route53: 'Throttling',
  acm: 'ThrottlingException',
  lambda: 'TooManyRequestsException',
  iam: 'Throttling'
}

export function throttling(service: Service, command: string): Error {
  const message = `Rate exceeded (injected fault on ${command})`
  if (service === 'lambda') {
    return new TooManyRequestsException({ message, $metadata: { httpStatusCode: 429 } })
  }
  return build(service, {
    name: THROTTLE_NAME[service],
    message,
    status: 400
  })
}

export function serverError(service: Service, command: string, alternate = false): Error {
  return build(service, {
    name: alternate ? 'ServiceUnavailable' : 'InternalError',
    message: `We encountered an internal error. Please try again. (injected fault on ${command})`,
    status: alternate ? 503 : 500
  })
}

/** The service's concurrent-modification error (CloudFront's is built by the model). */
export function concurrentChange(service: Service, command: string): Error {
  const message = `The resource was modified by another request (injected fault on ${command})`
  switch (service) {
    case 'route53':
      return new PriorRequestNotComplete({ message, $metadata: { httpStatusCode: 400 } })
    case 'lambda':
      return new ResourceConflictException({ message, $metadata: { httpStatusCode: 409 } })
    case 'iam':
      return new ConcurrentModificationException({ message, $metadata: { httpStatusCode: 409 } })
    default:
      return build(service, { name: 'ConflictException', message, status: 409 })
  }
}
