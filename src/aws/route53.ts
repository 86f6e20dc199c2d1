/**
 * Route53, narrowly: find the hosted zone of a name, read the records of a few names, and
 * UPSERT alias records to CloudFront.
 */
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type Route53Client
} from '@aws-sdk/client-route-53'

/** The hosted zone id every CloudFront alias record targets (fixed by AWS). */
export const CLOUDFRONT_HOSTED_ZONE_ID = 'Z2FDTNDATAQYW2'

export interface HostedZone {
  id: string
  name: string
}

/** One record as publish cares about it. */
export interface RecordView {
  name: string
  type: string
  /** Alias target DNS name (lower case, no trailing dot), when it is an alias record. */
  aliasTarget: string | undefined
  aliasZoneId: string | undefined
  /** Values of a plain record (CNAME target, IPs). */
  values: string[]
  ttl: number | undefined
}

/** What a record should be: an alias of `name`/`type` to a CloudFront domain. */
export interface AliasRecord {
  name: string
  type: 'A' | 'AAAA'
  target: string
}

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}

/**
 * The public hosted zone that holds `name`: the longest zone name that is `name` or one of its
 * parents. Undefined when none is found.
 */
export async function findHostedZone(
  r53: Route53Client,
  name: string
): Promise<HostedZone | undefined> {
  const labels = normaliseName(name).split('.')
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join('.')
    const res = await r53.send(
      new ListHostedZonesByNameCommand({ DNSName: candidate, MaxItems: 10 })
    )
    const zone = (res.HostedZones ?? []).find(
      (z) => normaliseName(z.Name ?? '') === candidate && z.Config?.PrivateZone !== true
    )
    if (zone?.Id !== undefined) {
      return { id: zone.Id.replace(/^\/hostedzone\//, ''), name: candidate }
    }
  }
  return undefined
}

/** Every record named exactly `name` (any type). */
export async function listRecords(
  r53: Route53Client,
  zoneId: string,
  name: string
): Promise<RecordView[]> {
  const wanted = normaliseName(name)
  const res = await r53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      StartRecordName: wanted,
      MaxItems: 20
    })
  )
  return (res.ResourceRecordSets ?? [])
    .filter((r) => normaliseName(r.Name ?? '') === wanted)
    .map((r) => ({
      name: wanted,
      type: r.Type ?? '',
      aliasTarget:
        r.AliasTarget?.DNSName === undefined ? undefined : normaliseName(r.AliasTarget.DNSName),
      aliasZoneId: r.AliasTarget?.HostedZoneId,
      values: (r.ResourceRecords ?? []).map((v) => v.Value ?? ''),
      ttl: r.TTL
    }))
}

/** Does the existing record already say what `wanted` says? */
export function recordMatches(existing: RecordView[], wanted: AliasRecord): boolean {
  return existing.some(
    (r) =>
      r.type === wanted.type &&
      r.aliasTarget === normaliseName(wanted.target) &&
      r.aliasZoneId === CLOUDFRONT_HOSTED_ZONE_ID
  )
}

/**
 * UPSERTs alias records in one change batch. A CNAME at a name that gets an A record cannot
 * coexist with it, so that CNAME is deleted in the same (atomic) batch.
 */
export async function upsertAliasRecords(
  r53: Route53Client,
  options: { zoneId: string; records: AliasRecord[]; cnamesToReplace: RecordView[] }
): Promise<string | undefined> {
  const changes: Change[] = options.cnamesToReplace.map((r) => ({
    Action: 'DELETE',
    ResourceRecordSet: {
      Name: r.name,
      Type: 'CNAME',
      TTL: r.ttl,
      ResourceRecords: r.values.map((Value) => ({ Value }))
    }
  }))
  for (const rec of options.records) {
    changes.push({
      Action: 'UPSERT',
      ResourceRecordSet: {
        Name: rec.name,
        Type: rec.type,
        AliasTarget: {
          DNSName: rec.target,
          HostedZoneId: CLOUDFRONT_HOSTED_ZONE_ID,
          EvaluateTargetHealth: false
        }
      }
    })
  }
  const res = await r53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: options.zoneId,
      ChangeBatch: { Comment: 'bluegreen publish', Changes: changes }
    })
  )
  return res.ChangeInfo?.Id
}
