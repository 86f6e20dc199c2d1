/**
 * Error-name checks shared by every adapter: AWS SDK v3 errors carry the service's error code in
 * `name` (and the HTTP status in `$metadata`). One place, so that "not found" or "throttled"
 * means the same thing everywhere.
 */

/** The error's name (the AWS error code), or undefined for a non-Error throw. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined
}

/** True when the error's name is one of `names`. */
export function isNamed(error: unknown, ...names: string[]): boolean {
  const name = errorName(error)
  return name !== undefined && names.includes(name)
}

/** The HTTP status AWS answered with, when known. */
export function httpStatus(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined
}

/** The message of anything thrown, for a log line or a report note. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** DynamoDB, Lambda, CloudWatch: the resource does not exist. */
export const isResourceNotFound = (error: unknown): boolean =>
  isNamed(error, 'ResourceNotFoundException')

/** IAM: the role or policy does not exist. */
export const isNoSuchEntity = (error: unknown): boolean =>
  isNamed(error, 'NoSuchEntity', 'NoSuchEntityException')

/** IAM: a role of that name exists already. */
export const isEntityAlreadyExists = (error: unknown): boolean =>
  isNamed(error, 'EntityAlreadyExists', 'EntityAlreadyExistsException')

/** SQS: the queue does not exist (the JSON and the older query protocol spell it apart). */
export const isQueueMissing = (error: unknown): boolean =>
  isNamed(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')

/** The caller's role may not make the call (IAM answers AccessDenied, most services …Exception). */
export const isAccessDenied = (error: unknown): boolean =>
  isNamed(error, 'AccessDenied', 'AccessDeniedException')

/** Lambda: a function of that name exists, or an update of it is still in progress. */
export const isResourceConflict = (error: unknown): boolean =>
  isNamed(error, 'ResourceConflictException')

/** CloudFront: the distribution does not exist. */
export const isNoSuchDistribution = (error: unknown): boolean =>
  isNamed(error, 'NoSuchDistribution')

/** An SDK waiter gave up after its maxWaitTime (the resource may still get there). */
export const isWaiterTimeout = (error: unknown): boolean => isNamed(error, 'TimeoutError')

/** Conditional write refused (DynamoDB). */
export const isConditionFailed = (error: unknown): boolean =>
  isNamed(error, 'ConditionalCheckFailedException')

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException'
])

/** True for errors that go away when the caller slows down: throttling and 5xx answers. */
export function isRetryable(error: unknown): boolean {
  const name = errorName(error)
  if (name === undefined) return false
  if (RETRYABLE.has(name)) return true
  const status = httpStatus(error)
  return status !== undefined && status >= 500
}
