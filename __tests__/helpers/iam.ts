/**
 * What the IAM test (iam.emulator.test.ts) needs: the policies of docs/iam/, the IAM actions and
 * resources an API call needs (the API operation is not always the IAM action), and the check of
 * recorded journeys against the policies.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { AwsCall } from './recording-proxy.js'

/** moto's account; the policies say ACCOUNT_ID. */
export const ACCOUNT = '123456789012'
export const POLICY_DIR = path.join(process.cwd(), 'docs', 'iam')
/** docs/iam/ files that are not a command's permissions. */
export const TRUST_POLICY = 'trust-policy.json'

export type PolicyName =
  | 'publish'
  | 'replicate-prepare'
  | 'replicate-start'
  | 'replicate-status'
  | 'replicate-stop'
  | 'replicate-terminate'
  | 'replicate-verify'
  | 'replicate-repair'

export const POLICY_NAMES: readonly PolicyName[] = [
  'publish',
  'replicate-prepare',
  'replicate-start',
  'replicate-status',
  'replicate-stop',
  'replicate-terminate',
  'replicate-verify',
  'replicate-repair'
]

interface Statement {
  Sid?: string
  Effect: 'Allow' | 'Deny'
  Action: string | string[]
  Resource: string | string[]
  Condition?: Record<string, Record<string, string | string[]>>
}

export interface PolicyDocument {
  Version: string
  Statement: Statement[]
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v])

/** IAM's wildcard match (`*` any run of characters, `?` one), whole string. */
export function wildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's').test(value)
}

export interface Policy {
  name: PolicyName
  document: PolicyDocument
  /** The Action entries as written (`lambda:EnableReplication*` stays a pattern). */
  actions(): string[]
  /** Statements that allow `action` (IAM action names are case-insensitive). */
  statementsFor(action: string): Statement[]
}

export function policy(name: PolicyName, document: PolicyDocument): Policy {
  const allows = document.Statement.filter((s) => s.Effect === 'Allow')
  return {
    name,
    document,
    actions: () => [...new Set(allows.flatMap((s) => list(s.Action)))].sort(),
    statementsFor: (action) =>
      allows.filter((s) => list(s.Action).some((a) => wildcard(a, action, true)))
  }
}

/** The policy files of docs/iam/, ACCOUNT_ID replaced by the emulator's account. */
export function loadPolicies(dir = POLICY_DIR): Map<PolicyName, Policy> {
  const out = new Map<PolicyName, Policy>()
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json') || file === TRUST_POLICY) continue
    const name = file.replace(/\.json$/, '')
    if (!(POLICY_NAMES as readonly string[]).includes(name)) {
      throw new Error(`docs/iam/${file}: not the policy of a command (${POLICY_NAMES.join(', ')})`)
    }
    const text = readFileSync(path.join(dir, file), 'utf8').replaceAll('ACCOUNT_ID', ACCOUNT)
    out.set(name as PolicyName, policy(name as PolicyName, JSON.parse(text) as PolicyDocument))
  }
  return out
}

/** An IAM action a call needs, with the resource ARNs it is checked on (when the call names them). */
export interface Need {
  action: string
  resources: string[]
}

/**
 * API operation → the IAM actions it needs, where they differ (the rest need the action of the
 * same name). Each row cites where AWS says so.
 */
export const OPERATION_ACTIONS: Record<string, string[]> = {
  // CloudFront's Service Authorization Reference, "API operations defined by Amazon CloudFront":
  // CreateDistributionWithTags is authorized by CreateDistribution and TagResource.
  'cloudfront:CreateDistributionWithTags': [
    'cloudfront:CreateDistribution',
    'cloudfront:TagResource'
  ],
  // S3 API Reference, ListObjectsV2 and HeadBucket "Permissions": s3:ListBucket on the bucket.
  's3:ListObjectsV2': ['s3:ListBucket'],
  's3:HeadBucket': ['s3:ListBucket'],
  // S3 API Reference, HeadObject: "you must have the s3:GetObject permission".
  's3:HeadObject': ['s3:GetObject'],
  // S3's Service Authorization Reference: the notification configuration's actions.
  's3:GetBucketNotificationConfiguration': ['s3:GetBucketNotification'],
  's3:PutBucketNotificationConfiguration': ['s3:PutBucketNotification'],
  // S3's Service Authorization Reference: GetObjectLockConfiguration is authorized by
  // s3:GetBucketObjectLockConfiguration.
  's3:GetObjectLockConfiguration': ['s3:GetBucketObjectLockConfiguration'],
  // S3 API Reference, DeleteObjects: s3:DeleteObject for each key; ListObjectVersions:
  // s3:ListBucketVersions.
  's3:DeleteObjects': ['s3:DeleteObject'],
  's3:ListObjectVersions': ['s3:ListBucketVersions'],
  // S3 API Reference, multipart upload "Permissions": s3:PutObject for create, part, complete.
  's3:CreateMultipartUpload': ['s3:PutObject'],
  's3:CompleteMultipartUpload': ['s3:PutObject'],
  // SQS Developer Guide, "Amazon SQS API permissions": a batch needs the action of one entry.
  'sqs:DeleteMessageBatch': ['sqs:DeleteMessage'],
  'sqs:SendMessageBatch': ['sqs:SendMessage'],
  'sqs:ChangeMessageVisibilityBatch': ['sqs:ChangeMessageVisibility'],
  // STS API Reference, GetCallerIdentity: "No permissions are required to perform this operation."
  'sts:GetCallerIdentity': []
}

/**
 * Actions no journey on the emulator can call or show, each granted for a reason AWS documents.
 * The test fails if one of them is no longer in its policy (the list stays honest).
 */
export const UNREACHABLE: readonly { policy: PolicyName; action: string; reason: string }[] = [
  {
    policy: 'publish',
    action: 'lambda:DisableReplication*',
    reason:
      "CloudFront calls it with the caller's permissions when a distribution drops a Lambda@Edge " +
      'association (the router turns its edge off at 0:1 and 1:0); the request names no function, ' +
      'so the record cannot show it (CloudFront Developer Guide, "Set up IAM permissions and roles ' +
      'for Lambda@Edge")'
  },
  {
    policy: 'publish',
    action: 'iam:GetServerCertificate',
    reason:
      "read only when blue's or green's certificate is an IAM server certificate (its names come " +
      "from the PEM); the journeys' sites use ACM certificates"
  },
  {
    policy: 'publish',
    action: 'iam:ListServerCertificates',
    reason: 'as iam:GetServerCertificate: finds the IAM server certificate by its id'
  },
  {
    policy: 'replicate-repair',
    action: 'sqs:ChangeMessageVisibility',
    reason:
      'repair hands a message back to the failure queue at once only when applying its keys ' +
      "fails (green still rejects them); the journeys' repair succeeds"
  },
  {
    policy: 'replicate-prepare',
    action: 's3:AbortMultipartUpload',
    reason:
      'only a multipart copy of an object over 5 GB that fails midway aborts its upload; the ' +
      'emulator journeys copy small objects'
  }
]

function json(call: AwsCall): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(call.body)
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function form(call: AwsCall): URLSearchParams {
  return new URLSearchParams(call.body)
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

function header(call: AwsCall, name: string): string | undefined {
  const v = call.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** `/bucket/key…` of a path-style S3 request. */
function s3Parts(p: string): { bucket: string; key: string } {
  const [, bucket = '', ...key] = decodeURIComponent(p).split('/')
  return { bucket, key: key.join('/') }
}

const S3_BUCKET_ACTIONS = new Set([
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:GetBucketNotification',
  's3:PutBucketNotification',
  's3:GetBucketVersioning',
  's3:GetBucketWebsite',
  's3:GetBucketLocation',
  's3:GetBucketObjectLockConfiguration',
  's3:GetBucketPolicy'
])

function queueArn(call: AwsCall, body: Record<string, unknown>): string[] {
  const name = str(body.QueueName) ?? str(body.QueueUrl)?.split('/').pop()
  return name === undefined ? [] : [`arn:aws:sqs:${call.region}:${ACCOUNT}:${name}`]
}

function functionArn(call: AwsCall, nameOrArn: string): string {
  if (nameOrArn.startsWith('arn:')) return nameOrArn
  return `arn:aws:lambda:${call.region}:${ACCOUNT}:function:${nameOrArn}`
}

/** The resources a call names, for the IAM action it needs (empty when it names none we know). */
function resourcesOf(call: AwsCall, action: string): string[] {
  const [service] = action.split(':')
  const body = json(call)
  switch (service) {
    case 'dynamodb': {
      const table = (name: string) => `arn:aws:dynamodb:${call.region}:${ACCOUNT}:table/${name}`
      const stream = str(body.StreamArn)
      if (stream !== undefined) return [stream]
      const name = str(body.TableName)
      if (name !== undefined) return [table(name)]
      const items = body.RequestItems
      if (typeof items === 'object' && items !== null) return Object.keys(items).map(table)
      return []
    }
    case 'iam': {
      const role = form(call).get('RoleName')
      return role === null ? [] : [`arn:aws:iam::${ACCOUNT}:role/${role}`]
    }
    case 'lambda': {
      const m = /^\/\d{4}-\d{2}-\d{2}\/functions\/([^/]+)/.exec(call.path)
      const name = m?.[1] === undefined ? str(body.FunctionName) : decodeURIComponent(m[1])
      if (name === undefined || /event-source-mappings/.test(call.path)) return []
      return [functionArn(call, name)]
    }
    case 'sqs':
      return queueArn(call, body)
    case 'events': {
      const arn = str(body.ResourceARN)
      if (arn !== undefined) return [arn]
      const rule = str(body.Name) ?? str(body.Rule)
      return rule === undefined || action === 'events:ListRules'
        ? []
        : [`arn:aws:events:${call.region}:${ACCOUNT}:rule/${rule}`]
    }
    case 's3': {
      const { bucket, key } = s3Parts(call.path)
      if (bucket === '') return []
      return S3_BUCKET_ACTIONS.has(action)
        ? [`arn:aws:s3:::${bucket}`]
        : [`arn:aws:s3:::${bucket}/${key}`]
    }
    case 'cloudfront': {
      const m = /\/distribution\/([^/]+)/.exec(call.path)
      const tagged = new URLSearchParams(call.query).get('Resource')
      if (tagged !== null) return [tagged]
      return m?.[1] === undefined ? [] : [`arn:aws:cloudfront::${ACCOUNT}:distribution/${m[1]}`]
    }
    case 'route53': {
      const m = /\/(hostedzone|change)\/([^/]+)/.exec(call.path)
      return m === null ? [] : [`arn:aws:route53:::${m[1] ?? ''}/${m[2] ?? ''}`]
    }
    case 'acm': {
      const arn = str(body.CertificateArn)
      return arn === undefined ? [] : [arn]
    }
    default:
      return []
  }
}

/** The IAM actions (and their resources) one recorded call needs. */
export function needsOf(call: AwsCall): Need[] {
  const actions = OPERATION_ACTIONS[call.action] ?? [call.action]
  const needs: Need[] = actions.map((action) => ({ action, resources: resourcesOf(call, action) }))
  const body = json(call)
  if (call.action === 's3:CopyObject' || call.action === 's3:UploadPartCopy') {
    // S3 API Reference, CopyObject "Permissions": read on the source (s3:GetObject), write on the
    // destination (s3:PutObject); tags set on the copy (x-amz-tagging) need s3:PutObjectTagging.
    const { bucket, key } = s3Parts(call.path)
    const source = decodeURIComponent(header(call, 'x-amz-copy-source') ?? '').replace(/^\//, '')
    const plain = source.split('?')[0] ?? source
    needs.splice(0, needs.length, {
      action: 's3:PutObject',
      resources: [`arn:aws:s3:::${bucket}/${key}`]
    })
    if (plain !== '') needs.push({ action: 's3:GetObject', resources: [`arn:aws:s3:::${plain}`] })
    // S3 User Guide, "Copying objects": copying the source's tags (x-amz-tagging-directive COPY,
    // the default) needs s3:GetObjectTagging on the source and s3:PutObjectTagging on the copy.
    const directive = header(call, 'x-amz-tagging-directive') ?? 'COPY'
    if (call.action === 's3:CopyObject' && directive === 'COPY' && plain !== '') {
      needs.push({ action: 's3:GetObjectTagging', resources: [`arn:aws:s3:::${plain}`] })
      needs.push({ action: 's3:PutObjectTagging', resources: [`arn:aws:s3:::${bucket}/${key}`] })
    }
    if (header(call, 'x-amz-tagging') !== undefined) {
      needs.push({ action: 's3:PutObjectTagging', resources: [`arn:aws:s3:::${bucket}/${key}`] })
    }
  }
  if (call.action === 's3:PutObject' && header(call, 'x-amz-tagging') !== undefined) {
    // S3 API Reference, PutObject: tags in x-amz-tagging need s3:PutObjectTagging.
    const { bucket, key } = s3Parts(call.path)
    needs.push({ action: 's3:PutObjectTagging', resources: [`arn:aws:s3:::${bucket}/${key}`] })
  }
  if (
    call.action === 'lambda:CreateFunction' ||
    call.action === 'lambda:UpdateFunctionConfiguration'
  ) {
    // Lambda Developer Guide, "Lambda execution role": creating or reconfiguring a function with a
    // role needs iam:PassRole on it.
    const role = str(body.Role)
    if (role !== undefined) needs.push({ action: 'iam:PassRole', resources: [role] })
  }
  if (
    call.action === 'lambda:CreateFunction' ||
    call.action === 'sqs:CreateQueue' ||
    call.action === 'dynamodb:CreateTable' ||
    call.action === 'events:PutRule'
  ) {
    // Tags given on create need the service's tagging action too (Lambda: lambda:TagResource;
    // SQS: sqs:TagQueue; DynamoDB and EventBridge: TagResource), each service's Service
    // Authorization Reference, "Dependent actions" of the create action.
    const tags = body.Tags ?? body.tags
    const has = Array.isArray(tags) ? tags.length > 0 : typeof tags === 'object' && tags !== null
    const tagAction: Record<string, string> = {
      'lambda:CreateFunction': 'lambda:TagResource',
      'sqs:CreateQueue': 'sqs:TagQueue',
      'dynamodb:CreateTable': 'dynamodb:TagResource',
      'events:PutRule': 'events:TagResource'
    }
    const tagging = tagAction[call.action]
    if (has && tagging !== undefined) {
      needs.push({ action: tagging, resources: needs[0]?.resources ?? [] })
    }
  }
  if (
    call.action === 'cloudfront:CreateDistributionWithTags' ||
    call.action === 'cloudfront:CreateDistribution' ||
    call.action === 'cloudfront:UpdateDistribution'
  ) {
    // CloudFront Developer Guide, "IAM permissions required to associate Lambda@Edge functions
    // with CloudFront distributions": lambda:GetFunction and lambda:EnableReplication* on the
    // function version, and iam:CreateServiceLinkedRole for Lambda's replicator the first time.
    for (const m of call.body.matchAll(/<LambdaFunctionARN>([^<]+)<\/LambdaFunctionARN>/g)) {
      const version = m[1] ?? ''
      needs.push({ action: 'lambda:GetFunction', resources: [version] })
      needs.push({ action: 'lambda:EnableReplication', resources: [version] })
      needs.push({
        action: 'iam:CreateServiceLinkedRole',
        resources: EDGE_SERVICE_LINKED_ROLES.map(
          (r) => `arn:aws:iam::${ACCOUNT}:role/aws-service-role/${r}`
        )
      })
    }
  }
  return needs
}

/**
 * The service-linked roles of Lambda@Edge (CloudFront Developer Guide, "Service-linked roles for
 * Lambda@Edge"): CloudFront creates them, with the caller's permission, the first time a
 * function is associated in the account.
 */
const EDGE_SERVICE_LINKED_ROLES = [
  'replicator.lambda.amazonaws.com/AWSServiceRoleForLambdaReplicator',
  'logger.cloudfront.amazonaws.com/AWSServiceRoleForCloudFrontLogger'
]

/** One recorded run of a command. */
export interface Journey {
  name: string
  /** The policy of the command the journey runs. */
  policy: PolicyName
  /** Policies the user combines with it for this run (publish with data-replicate). */
  also: PolicyName[]
  calls: AwsCall[]
}

export interface CheckResult {
  /** `policy: action (journey)` for each action called that the policies do not grant. */
  missing: string[]
  /** `policy: action` for each action granted that no journey of that policy called. */
  unused: string[]
  /** `policy: action on resource (journey)` for each named resource no statement's Resource fits. */
  resources: string[]
  /** The IAM actions each policy's journeys called, for the log. */
  called: Map<PolicyName, string[]>
  report: string
}

/** Checks recorded journeys against the policies (see the test's header). */
export function checkJourneys(journeys: Journey[], policies: Map<PolicyName, Policy>): CheckResult {
  const missing = new Set<string>()
  const resources = new Set<string>()
  const called = new Map<PolicyName, Set<string>>()
  for (const j of journeys) {
    const own = called.get(j.policy) ?? new Set<string>()
    called.set(j.policy, own)
    const granting = [j.policy, ...j.also].flatMap((n) => {
      const p = policies.get(n)
      return p === undefined ? [] : [p]
    })
    for (const call of j.calls) {
      for (const need of needsOf(call)) {
        // Actions of the journey's own command count towards its policy; those another policy
        // of the combination grants count there.
        const grantedBy = granting.filter((p) => p.statementsFor(need.action).length > 0)
        if (grantedBy.length === 0) {
          missing.add(`${j.policy}: ${need.action} (${j.name})`)
          own.add(need.action)
          continue
        }
        if (grantedBy.some((p) => p.name === j.policy) || j.also.length === 0) own.add(need.action)
        for (const resource of need.resources) {
          const fits = grantedBy.some((p) =>
            p
              .statementsFor(need.action)
              .some((s) => list(s.Resource).some((pattern) => wildcard(pattern, resource)))
          )
          if (!fits) resources.add(`${j.policy}: ${need.action} on ${resource} (${j.name})`)
        }
      }
    }
  }
  const unused: string[] = []
  for (const [name, p] of policies) {
    const actions = called.get(name) ?? new Set<string>()
    for (const granted of p.actions()) {
      const used = [...actions].some((a) => wildcard(granted, a, true))
      const allowed = UNREACHABLE.some((u) => u.policy === name && u.action === granted)
      if (!used && !allowed) unused.push(`${name}: ${granted}`)
    }
  }
  const calledSorted = new Map(
    [...called].map(([k, v]) => [k, [...v].sort()] as [PolicyName, string[]])
  )
  const report = POLICY_NAMES.filter((n) => calledSorted.has(n))
    .map(
      (n) =>
        `${n} (${calledSorted.get(n)?.length ?? 0}):\n  ${(calledSorted.get(n) ?? []).join('\n  ')}`
    )
    .join('\n')
  return {
    missing: [...missing].sort(),
    unused: unused.sort(),
    resources: [...resources].sort(),
    called: calledSorted,
    report: `IAM actions each command's journeys called:\n${report}`
  }
}
