/**
 * CloudWatch adapter for `replicate status`: the replication function's IteratorAge, Lambda's own
 * measure of how far behind the newest stream record it is on its slowest shard, and a bucket's
 * object count (the total of a copy). Read-only calls (GetMetricStatistics).
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

/**
 * The number of objects in a bucket as CloudWatch last counted them (AWS/S3 NumberOfObjects,
 * a daily storage metric, all storage classes); undefined when there is no datapoint in the last
 * three days.
 */
export async function bucketObjectCount(
  cloudwatch: CloudWatchClient,
  bucket: string,
  now: Date
): Promise<number | undefined> {
  const out = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/S3',
      MetricName: 'NumberOfObjects',
      Dimensions: [
        { Name: 'BucketName', Value: bucket },
        { Name: 'StorageType', Value: 'AllStorageTypes' }
      ],
      StartTime: new Date(now.getTime() - 3 * 86_400_000),
      EndTime: now,
      Period: 86_400,
      Statistics: ['Average']
    })
  )
  let newest: { at: number; value: number } | undefined
  for (const point of out.Datapoints ?? []) {
    if (point.Timestamp === undefined || point.Average === undefined) continue
    const at = point.Timestamp.getTime()
    if (newest === undefined || at > newest.at) newest = { at, value: point.Average }
  }
  return newest === undefined ? undefined : Math.round(newest.value)
}
