/**
 * Turns anything thrown into a message an operator can act on. Known AWS errors get the fix;
 * a non-Error throw is never swallowed.
 */
import { InputError } from './inputs.js'

/** A failure the code detected itself, with its fix already in the message. */
export class BlueGreenError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BlueGreenError'
  }
}

interface AwsLikeError {
  name: string
  message: string
  $metadata?: { httpStatusCode?: number }
}

function isAwsLike(e: unknown): e is AwsLikeError {
  return e instanceof Error && typeof (e as { $metadata?: unknown }).$metadata === 'object'
}

const HINTS: Record<string, string> = {
  AccessDenied:
    'AWS denied the call: give the role the permissions in the README ("IAM policy"), or check the role assumed by aws-actions/configure-aws-credentials.',
  AccessDeniedException:
    'AWS denied the call: give the role the permissions in the README ("IAM policy"), or check the role assumed by aws-actions/configure-aws-credentials.',
  CNAMEAlreadyExists:
    'Another CloudFront distribution already holds this alias: remove it there (or pick other hostnames) and re-run.',
  PreconditionFailed:
    'The distribution changed while this run was updating it (someone else is deploying?). Re-run: the action re-reads and re-plans.',
  ThrottlingException: 'AWS throttled the calls even after retries: re-run in a few minutes.',
  Throttling: 'AWS throttled the calls even after retries: re-run in a few minutes.',
  TooManyRequestsException: 'AWS throttled the calls even after retries: re-run in a few minutes.',
  ExpiredToken: 'The AWS credentials expired: give the job a longer role-duration-seconds.',
  ExpiredTokenException:
    'The AWS credentials expired: give the job a longer role-duration-seconds.',
  CredentialsProviderError:
    'No AWS credentials: add aws-actions/configure-aws-credentials (OIDC) before this step, or set AWS_* variables for the CLI.'
}

/** One message per problem: each issue of an InputError, else describeError's one message. */
export function describeProblems(error: unknown): string[] {
  if (error instanceof InputError && error.issues.length > 1) {
    return error.issues.map((issue) => new InputError([issue]).message)
  }
  return [describeError(error)]
}

export function describeError(error: unknown): string {
  if (error instanceof InputError || error instanceof BlueGreenError) return error.message
  if (isAwsLike(error) || (error instanceof Error && error.name in HINTS)) {
    const hint = HINTS[error.name]
    return hint === undefined
      ? `${error.name}: ${error.message}`
      : `${error.name}: ${error.message}\n${hint}`
  }
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  return `Unexpected failure (a non-Error value was thrown): ${safeString(error)}`
}

function safeString(value: unknown): string {
  if (typeof value === 'string') return value
  try {
    const json: unknown = JSON.stringify(value)
    return typeof json === 'string' ? json : String(value)
  } catch {
    return String(value)
  }
}
