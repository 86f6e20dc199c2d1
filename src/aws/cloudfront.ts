/**
 * The CloudFront calls publish makes, behind a narrow adapter: each function takes the client
 * and returns plain domain data. Mutating calls always carry the ETag they were given (IfMatch).
 */
import {
  type CloudFrontClient,
  CreateDistributionWithTagsCommand,
  DeleteDistributionCommand,
  type DistributionConfig,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  ListTagsForResourceCommand,
  paginateListDistributions,
  TagResourceCommand,
  UpdateDistributionCommand,
  waitUntilDistributionDeployed
} from '@aws-sdk/client-cloudfront'
import { isNoSuchDistribution } from './errors.js'
import { type WaitTiming, waitWithin } from './retry.js'

export type { DistributionConfig } from '@aws-sdk/client-cloudfront'

/** What ListDistributions tells about one distribution. */
export interface DistributionSummary {
  id: string
  arn: string
  domainName: string
  aliases: string[]
  comment: string
  enabled: boolean
  status: string
}

/** A distribution as read by GetDistribution: its config and the ETag to update it with. */
export interface DistributionState {
  id: string
  arn: string
  domainName: string
  /** InProgress or Deployed. */
  status: string
  config: DistributionConfig
  etag: string
}

export function aliasesOf(config: DistributionConfig): string[] {
  return (config.Aliases?.Items ?? []).map((a) => a.toLowerCase())
}

/** The config with its aliases replaced (Quantity kept in step with Items). */
export function withAliases(config: DistributionConfig, aliases: string[]): DistributionConfig {
  return { ...config, Aliases: { Quantity: aliases.length, Items: [...aliases] } }
}

export async function listDistributions(cf: CloudFrontClient): Promise<DistributionSummary[]> {
  const out: DistributionSummary[] = []
  for await (const page of paginateListDistributions({ client: cf }, {})) {
    for (const d of page.DistributionList?.Items ?? []) {
      out.push({
        id: d.Id ?? '',
        arn: d.ARN ?? '',
        domainName: d.DomainName ?? '',
        aliases: (d.Aliases?.Items ?? []).map((a) => a.toLowerCase()),
        comment: d.Comment ?? '',
        enabled: d.Enabled ?? false,
        status: d.Status ?? ''
      })
    }
  }
  return out
}

/** GetDistribution; undefined when it does not exist. */
export async function getDistribution(
  cf: CloudFrontClient,
  id: string
): Promise<DistributionState | undefined> {
  try {
    const res = await cf.send(new GetDistributionCommand({ Id: id }))
    const d = res.Distribution
    if (d?.DistributionConfig === undefined || res.ETag === undefined) return undefined
    return {
      id: d.Id ?? id,
      arn: d.ARN ?? '',
      domainName: d.DomainName ?? '',
      status: d.Status ?? '',
      config: d.DistributionConfig,
      etag: res.ETag
    }
  } catch (error) {
    if (isNoSuchDistribution(error)) return undefined
    throw error
  }
}

/** The config and its ETag (what UpdateDistribution's IfMatch needs). */
export async function getDistributionConfig(
  cf: CloudFrontClient,
  id: string
): Promise<{ config: DistributionConfig; etag: string }> {
  const res = await cf.send(new GetDistributionConfigCommand({ Id: id }))
  if (res.DistributionConfig === undefined || res.ETag === undefined) {
    throw new Error(`GetDistributionConfig ${id} returned no config or ETag`)
  }
  return { config: res.DistributionConfig, etag: res.ETag }
}

/** UpdateDistribution with IfMatch; returns the new ETag. */
export async function updateDistribution(
  cf: CloudFrontClient,
  options: { id: string; config: DistributionConfig; etag: string }
): Promise<string> {
  const res = await cf.send(
    new UpdateDistributionCommand({
      Id: options.id,
      IfMatch: options.etag,
      DistributionConfig: options.config
    })
  )
  return res.ETag ?? ''
}

export async function createDistributionWithTags(
  cf: CloudFrontClient,
  options: { config: DistributionConfig; tags: Record<string, string> }
): Promise<DistributionState> {
  const res = await cf.send(
    new CreateDistributionWithTagsCommand({
      DistributionConfigWithTags: {
        DistributionConfig: options.config,
        Tags: { Items: tagItems(options.tags) }
      }
    })
  )
  const d = res.Distribution
  if (d?.Id === undefined) throw new Error('CreateDistributionWithTags returned no distribution')
  return {
    id: d.Id,
    arn: d.ARN ?? '',
    domainName: d.DomainName ?? '',
    status: d.Status ?? '',
    config: d.DistributionConfig ?? options.config,
    etag: res.ETag ?? ''
  }
}

export async function deleteDistribution(
  cf: CloudFrontClient,
  options: { id: string; etag: string }
): Promise<void> {
  await cf.send(new DeleteDistributionCommand({ Id: options.id, IfMatch: options.etag }))
}

export async function listTags(cf: CloudFrontClient, arn: string): Promise<Record<string, string>> {
  const res = await cf.send(new ListTagsForResourceCommand({ Resource: arn }))
  const tags: Record<string, string> = {}
  for (const t of res.Tags?.Items ?? []) {
    if (t.Key !== undefined) tags[t.Key] = t.Value ?? ''
  }
  return tags
}

export async function tagResource(
  cf: CloudFrontClient,
  arn: string,
  tags: Record<string, string>
): Promise<void> {
  await cf.send(new TagResourceCommand({ Resource: arn, Tags: { Items: tagItems(tags) } }))
}

function tagItems(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
}

/**
 * The SDK waiter for `Deployed`, for at most `maxWaitSeconds`. Returns false on timeout (so the
 * caller can report progress and go on waiting); throws on any other failure.
 */
export async function waitDeployed(
  cf: CloudFrontClient,
  id: string,
  options: WaitTiming & { maxWaitSeconds: number }
): Promise<boolean> {
  return waitWithin(cf, options, (config) => waitUntilDistributionDeployed(config, { Id: id }))
}
