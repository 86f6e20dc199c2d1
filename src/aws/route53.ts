/**
 * Route53, narrowly: find the hosted zone of a name (paging ListHostedZonesByName), read the
 * records at a name (paging ListResourceRecordSets), change records in one batch, and wait until
 * a change is INSYNC (the SDK waiter).
 */
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  type ListHostedZonesByNameCommandInput,
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsCommandInput,
  type Route53Client,
  waitUntilResourceRecordSetsChanged
} from '@aws-sdk/client-route-53'
import { type WaitTiming, waitWithin } from './retry.js'

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
  /** Weighted / latency / failover / geolocation / multivalue records carry one. */
  setIdentifier: string | undefined
}

/** What a record should be: an alias of `name`/`type` to a CloudFront domain. */
export interface AliasRecord {
  name: string
  type: 'A' | 'AAAA'
  target: string
}

export function normaliseName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\\052/, '*')
}

/** Public hosted zones named exactly `name` (several may exist: every page that holds them). */
async function zonesNamed(r53: Route53Client, name: string): Promise<HostedZone[]> {
  const out: HostedZone[] = []
  let input: ListHostedZonesByNameCommandInput = { DNSName: name, MaxItems: 100 }
  for (let page = 0; page < 1000; page++) {
    const res = await r53.send(new ListHostedZonesByNameCommand(input))
    for (const z of res.HostedZones ?? []) {
      if (normaliseName(z.Name ?? '') !== name) return out
      if (z.Id !== undefined && z.Config?.PrivateZone !== true) {
        out.push({ id: z.Id.replace(/^\/hostedzone\//, ''), name })
      }
    }
    const next = res.NextDNSName
    if (res.IsTruncated !== true || next === undefined || normaliseName(next) !== name) break
    input = { DNSName: next, HostedZoneId: res.NextHostedZoneId, MaxItems: 100 }
  }
  return out
}

/**
 * The public hosted zone that holds `name`: the longest zone name that is `name` or one of its
 * parents (a delegated sub-zone wins over its parent). Undefined when none is found.
 */
export async function findHostedZone(
  r53: Route53Client,
  name: string
): Promise<HostedZone | undefined> {
  const labels = normaliseName(name).split('.')
  for (let i = 0; i < labels.length - 1; i++) {
    const zones = await zonesNamed(r53, labels.slice(i).join('.'))
    if (zones[0] !== undefined) return zones[0]
  }
  return undefined
}

/** Every record named exactly `name` (any type), over as many pages as it takes. */
export async function listRecords(
  r53: Route53Client,
  zoneId: string,
  name: string
): Promise<RecordView[]> {
  const wanted = normaliseName(name)
  const out: RecordView[] = []
  let input: ListResourceRecordSetsCommandInput = {
    HostedZoneId: zoneId,
    StartRecordName: wanted,
    MaxItems: 100
  }
  for (let page = 0; page < 1000; page++) {
    const res = await r53.send(new ListResourceRecordSetsCommand(input))
    for (const r of res.ResourceRecordSets ?? []) {
      if (normaliseName(r.Name ?? '') !== wanted) return out
      out.push({
        name: wanted,
        type: r.Type ?? '',
        aliasTarget:
          r.AliasTarget?.DNSName === undefined ? undefined : normaliseName(r.AliasTarget.DNSName),
        aliasZoneId: r.AliasTarget?.HostedZoneId,
        values: (r.ResourceRecords ?? []).map((v) => v.Value ?? ''),
        ttl: r.TTL,
        setIdentifier: r.SetIdentifier
      })
    }
    const next = res.NextRecordName
    if (res.IsTruncated !== true || next === undefined || normaliseName(next) !== wanted) break
    input = {
      HostedZoneId: zoneId,
      StartRecordName: next,
      StartRecordType: res.NextRecordType,
      ...(res.NextRecordIdentifier === undefined
        ? {}
        : { StartRecordIdentifier: res.NextRecordIdentifier }),
      MaxItems: 100
    }
  }
  return out
}

/**
 * UPSERTs alias records in one change batch. A CNAME at a name that gets an A record cannot
 * coexist with it, so that CNAME is deleted in the same (atomic) batch. Returns the change id.
 */
export async function upsertAliasRecords(
  r53: Route53Client,
  options: { zoneId: string; records: AliasRecord[]; cnamesToReplace: RecordView[] }
): Promise<string> {
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
  const id = res.ChangeInfo?.Id
  if (id === undefined) throw new Error('ChangeResourceRecordSets returned no change id')
  return id
}

/** The SDK waiter for INSYNC, for at most `maxWaitSeconds`; false on timeout. */
export async function waitInsync(
  r53: Route53Client,
  changeId: string,
  options: WaitTiming & { maxWaitSeconds: number }
): Promise<boolean> {
  return waitWithin(r53, options, (config) =>
    waitUntilResourceRecordSetsChanged(config, { Id: changeId })
  )
}
