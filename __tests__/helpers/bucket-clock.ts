/**
 * Time for bucket replication on the emulator. prepare records each bucket pair's T0 a few
 * minutes ahead (S3 takes that long to apply a notification change); a copy pass that began
 * before T0 is followed by a catch-up pass once T0 has come. Moving the recorded T0 back to
 * just after the first pass began is what those minutes passing do, so a test or the demo runs
 * the catch-up pass at once without any clock setting in the action.
 */
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { readControl } from '../../src/replicate/control.js'

/** Moves T0 of each named blue bucket's pair back; a pair with no pass begun is left alone. */
export async function bucketT0Reached(
  db: DynamoDBClient,
  controlTable: string,
  blueBuckets: readonly string[]
): Promise<void> {
  const control = await readControl(db, controlTable)
  for (const blue of blueBuckets) {
    const started = Date.parse(control?.buckets.get(blue)?.copy?.passStartedAt ?? '')
    if (Number.isNaN(started)) continue
    await db.send(
      new UpdateItemCommand({
        TableName: controlTable,
        Key: { pk: { S: `bucket#${blue}` }, sk: { S: 'pair' } },
        UpdateExpression: 'SET t0 = :t0',
        ExpressionAttributeValues: { ':t0': { S: new Date(started + 1).toISOString() } }
      })
    )
  }
}
