/**
 * EventBridge adapter for bucket replication: the one rule on the default event bus that sends
 * blue's S3 object events to the replication queue, and its removal. Only our rule (by name) and
 * our target (by id) are ever changed or removed. EventBridge has no SDK paginators, so the two
 * listings follow NextToken themselves.
 *
 * AWS facts (EventBridge user guide): S3 sends every event of a bucket with EventBridge enabled to
 * the default bus of the bucket's region, as `source: aws.s3` with `detail-type` `Object Created`
 * / `Object Deleted`; a rule's target is retried for 24 hours and up to 185 times, then goes to
 * the target's dead-letter queue (without one it is dropped). An SQS target is authorised by the
 * queue's policy (no RoleArn on the target).
 */
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type EventBridgeClient
} from '@aws-sdk/client-eventbridge'

export const S3_DETAIL_TYPES = ['Object Created', 'Object Deleted'] as const

/** The event pattern of our rule: object created/deleted events of these buckets only. */
export function s3EventPattern(buckets: readonly string[]): string {
  return JSON.stringify({
    source: ['aws.s3'],
    'detail-type': [...S3_DETAIL_TYPES],
    detail: { bucket: { name: [...buckets].sort() } }
  })
}

export interface Rule {
  name: string
  arn: string
  state: string
  eventPattern: string | undefined
}

export interface Target {
  id: string
  arn: string
  deadLetterArn: string | undefined
}

function notFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException'
}

export async function describeRule(eb: EventBridgeClient, name: string): Promise<Rule | undefined> {
  try {
    const out = await eb.send(new DescribeRuleCommand({ Name: name }))
    return {
      name,
      arn: out.Arn ?? '',
      state: out.State ?? 'ENABLED',
      eventPattern: out.EventPattern
    }
  } catch (error) {
    if (notFound(error)) return undefined
    throw error
  }
}

/** Creates or updates (PutRule is an upsert) our rule; returns its ARN. */
export async function putS3Rule(
  eb: EventBridgeClient,
  rule: { name: string; buckets: readonly string[]; description: string; enabled: boolean }
): Promise<string> {
  const out = await eb.send(
    new PutRuleCommand({
      Name: rule.name,
      EventPattern: s3EventPattern(rule.buckets),
      State: rule.enabled ? 'ENABLED' : 'DISABLED',
      Description: rule.description,
      Tags: [{ Key: 'bluegreen-action', Value: 'replication' }]
    })
  )
  return out.RuleArn ?? ''
}

/**
 * Points our rule at a queue. Delivery failures are retried for the 24 hours and 185 attempts
 * EventBridge allows, then land in `deadLetterArn`.
 */
export async function putQueueTarget(
  eb: EventBridgeClient,
  target: { rule: string; id: string; queueArn: string; deadLetterArn: string }
): Promise<void> {
  const out = await eb.send(
    new PutTargetsCommand({
      Rule: target.rule,
      Targets: [
        {
          Id: target.id,
          Arn: target.queueArn,
          RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
          DeadLetterConfig: { Arn: target.deadLetterArn }
        }
      ]
    })
  )
  const failed = out.FailedEntries ?? []
  if ((out.FailedEntryCount ?? 0) > 0 || failed.length > 0) {
    const first = failed[0]
    throw new Error(
      `EventBridge refused target ${target.id} of rule ${target.rule}: ${first?.ErrorCode ?? ''} ${first?.ErrorMessage ?? ''}`.trim()
    )
  }
}

export async function listTargets(eb: EventBridgeClient, rule: string): Promise<Target[]> {
  const targets: Target[] = []
  let token: string | undefined
  do {
    const out = await eb.send(
      new ListTargetsByRuleCommand({
        Rule: rule,
        ...(token === undefined ? {} : { NextToken: token })
      })
    )
    for (const t of out.Targets ?? [])
      targets.push({ id: t.Id ?? '', arn: t.Arn ?? '', deadLetterArn: t.DeadLetterConfig?.Arn })
    token = out.NextToken
  } while (token !== undefined)
  return targets
}

/**
 * Removes our target from our rule, then the rule itself unless someone added targets of their
 * own to it (then it stays, and the answer says so). A missing rule is already removed.
 */
export async function removeOurRule(
  eb: EventBridgeClient,
  rule: { name: string; targetId: string }
): Promise<{ ruleDeleted: boolean; otherTargets: string[] }> {
  let targets: Target[]
  try {
    targets = await listTargets(eb, rule.name)
  } catch (error) {
    if (notFound(error)) return { ruleDeleted: true, otherTargets: [] }
    throw error
  }
  if (targets.some((t) => t.id === rule.targetId)) {
    await eb.send(new RemoveTargetsCommand({ Rule: rule.name, Ids: [rule.targetId] }))
  }
  const otherTargets = targets.filter((t) => t.id !== rule.targetId).map((t) => t.arn)
  if (otherTargets.length > 0) return { ruleDeleted: false, otherTargets }
  try {
    await eb.send(new DeleteRuleCommand({ Name: rule.name }))
  } catch (error) {
    if (!notFound(error)) throw error
  }
  return { ruleDeleted: true, otherTargets: [] }
}

export async function listRules(eb: EventBridgeClient): Promise<Rule[]> {
  const rules: Rule[] = []
  let token: string | undefined
  do {
    const out = await eb.send(new ListRulesCommand(token === undefined ? {} : { NextToken: token }))
    for (const r of out.Rules ?? []) {
      rules.push({
        name: r.Name ?? '',
        arn: r.Arn ?? '',
        state: r.State ?? 'ENABLED',
        eventPattern: r.EventPattern
      })
    }
    token = out.NextToken
  } while (token !== undefined)
  return rules
}

/**
 * Whether an event pattern could match S3 events of `bucket`: its source admits `aws.s3` (or is
 * not constrained) and its bucket name filter, if any, admits the bucket. Anything this cannot
 * read (prefix or wildcard matchers, unparsable JSON) counts as a match: the caller then keeps
 * EventBridge on for that bucket rather than cut someone off.
 */
export function patternMatchesBucket(pattern: string | undefined, bucket: string): boolean {
  if (pattern === undefined) return false
  let parsed: unknown
  try {
    parsed = JSON.parse(pattern)
  } catch {
    return true
  }
  if (typeof parsed !== 'object' || parsed === null) return true
  const p = parsed as { source?: unknown; detail?: unknown }
  const admits = (values: unknown, value: string): boolean =>
    values === undefined ||
    !Array.isArray(values) ||
    values.some((v) => v === value || typeof v !== 'string')
  if (!admits(p.source, 'aws.s3')) return false
  const detail = p.detail as { bucket?: { name?: unknown } } | undefined
  return admits(detail?.bucket?.name, bucket)
}
