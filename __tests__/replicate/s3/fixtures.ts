/**
 * S3 event shapes as the S3 user guide documents them ("Event message structure", version 2.1;
 * "EventBridge event message structure").
 */

/** One S3 event notification record; `encodedKey` is the key as S3 sends it (form-encoded). */
export function notificationRecord(
  eventName: string,
  bucket: string,
  encodedKey: string,
  time = Date.UTC(2026, 10, 12)
) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: new Date(time).toISOString(),
    eventName,
    userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
    requestParameters: { sourceIPAddress: '1.2.3.4' },
    responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'testConfigRule',
      bucket: {
        name: bucket,
        ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
        arn: `arn:aws:s3:::${bucket}`
      },
      object: {
        key: encodedKey,
        size: 1024,
        eTag: 'd41d8cd98f00b204e9800998ecf8427e',
        sequencer: String(time)
      }
    }
  }
}

/** A key encoded the way S3 encodes it in notification records ("red flower.jpg" → "red+flower.jpg"). */
export function formEncode(key: string): string {
  return new URLSearchParams({ k: key }).toString().slice(2)
}
