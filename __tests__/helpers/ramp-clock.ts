/**
 * Time for a ramp on the emulator. The action's clock is the runner's; what it knows of the past
 * is the times in the router's `bluegreen:ramp*` tags. Moving those back by an hour is what an
 * hour passing does to a ramp, so a test or a benchmark can drive a daily ramp in seconds
 * without any clock setting in the action.
 */
import {
  type CloudFrontClient,
  ListDistributionsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand
} from '@aws-sdk/client-cloudfront'
import { ROLLOUT_TAGS } from '../../src/rollout/tags.js'

export interface RouterTags {
  id: string
  arn: string
  tags: Record<string, string>
}

/** The router of `domain` (the distribution tagged bluegreen:domain), with its tags. */
export async function routerOf(cf: CloudFrontClient, domain: string): Promise<RouterTags> {
  const list = await cf.send(new ListDistributionsCommand({}))
  for (const d of list.DistributionList?.Items ?? []) {
    const tags = await cf.send(new ListTagsForResourceCommand({ Resource: d.ARN }))
    const map: Record<string, string> = Object.fromEntries(
      (tags.Tags?.Items ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])
    )
    if (map['bluegreen:domain'] === domain) return { id: d.Id ?? '', arn: d.ARN ?? '', tags: map }
  }
  throw new Error(`no router for ${domain}`)
}

/** Moves the ramp's recorded times `hours` into the past: `hours` pass for the ramp. */
export async function passTime(cf: CloudFrontClient, domain: string, hours: number): Promise<void> {
  const r = await routerOf(cf, domain)
  const items = [ROLLOUT_TAGS.stepAt, ROLLOUT_TAGS.startedAt, ROLLOUT_TAGS.markAt].flatMap(
    (key) => {
      const value = r.tags[key] ?? ''
      return value === ''
        ? []
        : [{ Key: key, Value: new Date(Date.parse(value) - hours * 3_600_000).toISOString() }]
    }
  )
  await cf.send(new TagResourceCommand({ Resource: r.arn, Tags: { Items: items } }))
}
