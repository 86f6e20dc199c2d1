/**
 * IAM roles for the action's Lambda functions (the replication function, the edge router): a
 * role trusted by given service principals, with inline and managed policies. Reads return
 * undefined for what does not exist; creates adopt what a parallel run created first; deletes
 * accept what is already gone. Also the IAM server certificates a CloudFront distribution may
 * carry (named by their id), read for the names they cover.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetServerCertificateCommand,
  PutRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListServerCertificates,
  type IAMClient
} from '@aws-sdk/client-iam'
import { isEntityAlreadyExists, isNoSuchEntity } from './errors.js'
import type { ChangeListener } from './retry.js'

/** The trust policy that lets `services` (such as lambda.amazonaws.com) assume the role. */
export function trustPolicy(services: readonly string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: services.length === 1 ? services[0] : [...services] },
        Action: 'sts:AssumeRole'
      }
    ]
  })
}

/** IAM returns policy documents URL-encoded. */
function decodePolicy(document: string | undefined): string | undefined {
  return document === undefined ? undefined : decodeURIComponent(document)
}

/** Two policy documents say the same (key order and whitespace aside). */
export function samePolicy(a: string, b: string): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, canonical((value as Record<string, unknown>)[k])])
          )
        : value
  try {
    return JSON.stringify(canonical(JSON.parse(a))) === JSON.stringify(canonical(JSON.parse(b)))
  } catch {
    return false
  }
}

export interface RoleState {
  arn: string
  /** The trust policy (decoded JSON text). */
  trust: string | undefined
  /** The inline policy asked for (decoded JSON text), when the role has it. */
  inlinePolicy: string | undefined
}

/** The role, and its inline policy `inlinePolicyName` when given; undefined when it is absent. */
export async function getRole(
  iam: IAMClient,
  roleName: string,
  options: { inlinePolicyName?: string } = {}
): Promise<RoleState | undefined> {
  let role
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined
    throw error
  }
  if (role?.Arn === undefined) return undefined
  const state: RoleState = {
    arn: role.Arn,
    trust: decodePolicy(role.AssumeRolePolicyDocument),
    inlinePolicy: undefined
  }
  if (options.inlinePolicyName === undefined) return state
  try {
    const out = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: options.inlinePolicyName })
    )
    return { ...state, inlinePolicy: decodePolicy(out.PolicyDocument) }
  } catch (error) {
    if (isNoSuchEntity(error)) return state
    throw error
  }
}

export interface RoleSpec {
  name: string
  /** Service principals allowed to assume it (lambda.amazonaws.com, edgelambda.amazonaws.com). */
  trustedServices: readonly string[]
  description: string
}

/** Creates the role and returns its ARN; a role of that name that exists already is adopted. */
export async function createRole(
  iam: IAMClient,
  spec: RoleSpec,
  listener: ChangeListener = {}
): Promise<string> {
  let how: 'made' | 'adopted' = 'made'
  try {
    const out = await iam.send(
      new CreateRoleCommand({
        RoleName: spec.name,
        AssumeRolePolicyDocument: trustPolicy(spec.trustedServices),
        Description: spec.description
      })
    )
    if (out.Role?.Arn !== undefined) {
      listener.onChange?.('made')
      return out.Role.Arn
    }
  } catch (error) {
    if (!isEntityAlreadyExists(error)) throw error
    how = 'adopted'
  }
  const existing = await getRole(iam, spec.name)
  if (existing === undefined) throw new Error(`Role ${spec.name} was created but cannot be read`)
  listener.onChange?.(how)
  return existing.arn
}

/** Writes (creates or replaces) an inline policy of the role. */
export async function putInlinePolicy(
  iam: IAMClient,
  roleName: string,
  policyName: string,
  document: string
): Promise<void> {
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: policyName,
      PolicyDocument: document
    })
  )
}

/** Attaches a managed policy (idempotent in IAM). */
export async function attachManagedPolicy(
  iam: IAMClient,
  roleName: string,
  policyArn: string
): Promise<void> {
  await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }))
}

/** Is the managed policy attached to the role? False when the role does not exist. */
export async function hasManagedPolicy(
  iam: IAMClient,
  roleName: string,
  policyArn: string
): Promise<boolean> {
  try {
    for await (const page of paginateListAttachedRolePolicies(
      { client: iam },
      { RoleName: roleName }
    )) {
      if ((page.AttachedPolicies ?? []).some((p) => p.PolicyArn === policyArn)) return true
    }
    return false
  } catch (error) {
    if (isNoSuchEntity(error)) return false
    throw error
  }
}

/**
 * Deletes the role after what IAM requires gone first: its inline policies and managed policy
 * attachments. Absent ones are fine.
 */
export async function deleteRole(
  iam: IAMClient,
  roleName: string,
  attached: { inlinePolicies?: readonly string[]; managedPolicies?: readonly string[] } = {}
): Promise<void> {
  const ignoreMissing = (error: unknown): void => {
    if (!isNoSuchEntity(error)) throw error
  }
  for (const policyName of attached.inlinePolicies ?? []) {
    await iam
      .send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))
      .catch(ignoreMissing)
  }
  for (const policyArn of attached.managedPolicies ?? []) {
    await iam
      .send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }))
      .catch(ignoreMissing)
  }
  await iam.send(new DeleteRoleCommand({ RoleName: roleName })).catch(ignoreMissing)
}

// ---------------------------------------------------------------------------------------------
// Server certificates

/** The name of the IAM server certificate with this id (CloudFront's IAMCertificateId). */
export async function serverCertificateName(
  iam: IAMClient,
  id: string
): Promise<string | undefined> {
  for await (const page of paginateListServerCertificates({ client: iam }, {})) {
    const found = page.ServerCertificateMetadataList?.find((m) => m.ServerCertificateId === id)
    if (found?.ServerCertificateName !== undefined) return found.ServerCertificateName
  }
  return undefined
}

/** The PEM body of an IAM server certificate. */
export async function serverCertificateBody(iam: IAMClient, name: string): Promise<string> {
  const res = await iam.send(new GetServerCertificateCommand({ ServerCertificateName: name }))
  const body = res.ServerCertificate?.CertificateBody
  if (body === undefined) throw new Error(`GetServerCertificate ${name} returned no body`)
  return body
}
