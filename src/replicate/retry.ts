/**
 * Backoff with full jitter for the calls the backfill and the handler must never give up on
 * lightly: throttling and transient server errors are retried (the SDK retries first; this is the
 * outer loop), anything else is thrown at once.
 */

const THROTTLE_NAMES = new Set([
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

/** True for errors that go away when the caller slows down (throttling, 5xx). */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (THROTTLE_NAMES.has(error.name)) return true
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  return status !== undefined && status >= 500
}

export interface Backoff {
  sleep: (ms: number) => Promise<void>
  /** First delay's upper bound, ms (doubles per attempt). */
  baseMs?: number
  /** Cap of one delay, ms. */
  maxMs?: number
  /** Attempts before giving up (the caller's checkpoint makes a re-run resume). */
  maxAttempts?: number
  random?: () => number
}

/** Full jitter: a uniform delay in [0, min(max, base · 2^attempt)]. */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  const cap = Math.min(backoff.maxMs ?? 20_000, (backoff.baseMs ?? 50) * 2 ** attempt)
  return Math.round((backoff.random ?? Math.random)() * cap)
}

/** Runs `fn` until it succeeds; retries retryable errors with backoff + jitter. */
export async function withRetry<T>(fn: () => Promise<T>, backoff: Backoff): Promise<T> {
  const maxAttempts = backoff.maxAttempts ?? 30
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (!isRetryable(error) || attempt + 1 >= maxAttempts) throw error
      await backoff.sleep(backoffDelay(attempt, backoff))
    }
  }
}
