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

/** An S3 event as EventBridge delivers it ("EventBridge event message structure"). */
export function eventBridgeEvent(
  detailType: string,
  bucket: string,
  key: string,
  extra: Record<string, unknown> = {}
) {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': detailType,
    source: 'aws.s3',
    account: '111122223333',
    time: '2021-11-12T00:00:00Z',
    region: 'ca-central-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: {
        key,
        size: 5,
        etag: 'b1946ac92492d2347c6235b4d2611184',
        'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
        sequencer: '617f08299329d189'
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
      ...extra
    }
  }
}
