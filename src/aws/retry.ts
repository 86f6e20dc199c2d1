/**
 * Retrying, at the bottom of everything that retries: backoff with full jitter for throttling
 * and transient server errors (the SDK retries first; this is the outer loop for calls that must
 * not give up lightly), one helper for the seconds after an IAM change, before other services
 * see it, and the waits: SDK waiters in bounded slices, polling where no waiter exists.
 */
import { errorMessage, isNamed, isRetryable, isWaiterTimeout } from './errors.js'

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

export interface PropagationOptions {
  sleep: (ms: number) => Promise<void>
  /** Pause between attempts, ms (default 5 s). */
  delayMs?: number
  /** Attempts in all (default 13: about a minute). */
  attempts?: number
  /** Told before each pause (with the pause, ms), so the caller can say why the run waits. */
  onRetry?: (error: unknown, delayMs: number) => void
}

/**
 * Told by a create or update, as soon as AWS took it and before any wait for it to settle, that
 * something changed: `made` by this call, or `adopted` (what the name already held, made by a
 * parallel run, or by this run's own attempt whose answer was lost and whose retry met it).
 */
export interface ChangeListener {
  onChange?: (how: 'made' | 'adopted') => void
}

/**
 * IAM is eventually consistent: for some seconds after a role or policy is written, Lambda may
 * not be able to assume the role ("The role defined for the function cannot be assumed by
 * Lambda") or may not see a permission it checks ("...does not have permissions to call
 * SendMessage on SQS"). It answers InvalidParameterValueException; such answers whose message
 * matches `pattern` are retried for about a minute, anything else is thrown at once.
 */
export async function whileIamPropagates<T>(
  fn: () => Promise<T>,
  pattern: RegExp,
  options: PropagationOptions
): Promise<T> {
  const attempts = options.attempts ?? 13
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      const notYet =
        isNamed(error, 'InvalidParameterValueException') && pattern.test(errorMessage(error))
      if (!notYet || attempt >= attempts) throw error
      const delayMs = options.delayMs ?? 5000
      options.onRetry?.(error, delayMs)
      await options.sleep(delayMs)
    }
  }
}

/** Waiter delays in seconds (SDK waiter semantics: exponential backoff between them). */
export interface WaitTiming {
  minDelaySeconds: number
  maxDelaySeconds: number
}

/** What an SDK waiter (`waitUntil…`) takes besides its input. */
export interface WaiterConfig<C> {
  client: C
  minDelay: number
  maxDelay: number
  maxWaitTime: number
}

/**
 * Runs an SDK waiter for at most `maxWaitSeconds`: true once it succeeded, false when it timed
 * out (so the caller can report progress and go on waiting); any other failure is thrown.
 */
export async function waitWithin<C>(
  client: C,
  timing: WaitTiming & { maxWaitSeconds: number },
  waiter: (config: WaiterConfig<C>) => Promise<unknown>
): Promise<boolean> {
  try {
    await waiter({
      client,
      minDelay: timing.minDelaySeconds,
      maxDelay: timing.maxDelaySeconds,
      maxWaitTime: timing.maxWaitSeconds
    })
    return true
  } catch (error) {
    if (isWaiterTimeout(error)) return false
    throw error
  }
}

export interface PollOptions {
  sleep: (ms: number) => Promise<void>
  now?: () => number
  /** Pause between checks, ms. */
  intervalMs: number
  /** Give up after this long, ms. */
  timeoutMs: number
  /** What is awaited, for the timeout error ("mapping m-1 to be deleted"). */
  what: string
}

/**
 * Polls `check` until it returns a value (not undefined), for states no SDK waiter covers (an
 * event source mapping gone, a stream ENABLED). The delay is injected, so tests need not wait.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  options: PollOptions
): Promise<T> {
  const now = options.now ?? Date.now
  const deadline = now() + options.timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (now() >= deadline) {
      throw new Error(
        `Timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${options.what}`
      )
    }
    await options.sleep(options.intervalMs)
  }
}
