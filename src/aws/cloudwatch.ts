/**
 * CloudWatch adapter for `replicate status`: the replication function's IteratorAge, Lambda's own
 * measure of how far behind the newest stream record it is on its slowest shard. One read-only
 * call (GetMetricStatistics).
 */
import { GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch'

/** How far back status looks for IteratorAge datapoints. */
export const ITERATOR_AGE_WINDOW_MS = 5 * 60_000
/** One datapoint per minute. */
export const ITERATOR_AGE_PERIOD_SECONDS = 60

/**
 * The Maximum of the newest per-minute IteratorAge datapoint (milliseconds) of `functionName`
 * over the window ending at `now`; undefined when there is none (no records flowed in the
 * window). Errors (AccessDenied, throttling after the SDK's retries) are thrown.
 */
export async function latestIteratorAge(
  cloudwatch: CloudWatchClient,
  functionName: string,
  now: Date
): Promise<number | undefined> {
  const out = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: functionName }],
      StartTime: new Date(now.getTime() - ITERATOR_AGE_WINDOW_MS),
      EndTime: now,
      Period: ITERATOR_AGE_PERIOD_SECONDS,
      Statistics: ['Maximum']
    })
  )
  let newest: { at: number; max: number } | undefined
  for (const point of out.Datapoints ?? []) {
    if (point.Timestamp === undefined || point.Maximum === undefined) continue
    const at = point.Timestamp.getTime()
    if (newest === undefined || at > newest.at) newest = { at, max: point.Maximum }
  }
  return newest?.max
}
