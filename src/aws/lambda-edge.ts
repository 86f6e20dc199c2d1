/**
 * The router's Lambda@Edge function (us-east-1) and its execution role, narrowly: one AWS call
 * per function, each taking its client. publish's plan decides which of them run.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  type IAMClient,
  paginateListAttachedRolePolicies
} from '@aws-sdk/client-iam'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  type LambdaClient,
  paginateListVersionsByFunction,
  PublishVersionCommand,
  Runtime,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2
} from '@aws-sdk/client-lambda'
import type { WaitTiming } from './cloudfront.js'
import { isNoSuchEntity, isResourceNotFound } from './errors.js'

export const BASIC_EXECUTION_POLICY_ARN =
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'

/** Lambda@Edge needs both principals (AWS: Set up IAM permissions and roles for Lambda@Edge). */
export const EDGE_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] },
      Action: 'sts:AssumeRole'
    }
  ]
})

export interface FunctionVersion {
  version: string
  arn: string
  description: string
}

/** What a new function is made of (viewer-request limits: 128 MB, 5 s, no environment). */
export interface FunctionSpec {
  runtime: string
  handler: string
  memoryMb: number
  timeoutSeconds: number
}

function runtimeOf(value: string): Runtime {
  const runtime = Object.values(Runtime).find((r) => r === value)
  if (runtime === undefined) throw new Error(`unknown Lambda runtime ${value}`)
  return runtime
}

const notFound = (error: unknown): boolean => isNoSuchEntity(error) || isResourceNotFound(error)

/** The role's ARN; undefined when it does not exist. */
export async function getRoleArn(iam: IAMClient, roleName: string): Promise<string | undefined> {
  try {
    const res = await iam.send(new GetRoleCommand({ RoleName: roleName }))
    return res.Role?.Arn
  } catch (error) {
    if (notFound(error)) return undefined
    throw error
  }
}

/** Creates the role, trusted by Lambda and Lambda@Edge; returns its ARN. */
export async function createEdgeRole(iam: IAMClient, roleName: string): Promise<string> {
  const res = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: EDGE_TRUST_POLICY,
      Description: 'bluegreen-action: execution role of the Lambda@Edge router'
    })
  )
  const arn = res.Role?.Arn
  if (arn === undefined) throw new Error(`CreateRole ${roleName} returned no ARN`)
  return arn
}

/** Is the managed policy attached to the role (false when the role does not exist)? */
export async function hasAttachedPolicy(
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
    if (notFound(error)) return false
    throw error
  }
}

/** Attaches a managed policy (attaching one already attached succeeds). */
export async function attachPolicy(
  iam: IAMClient,
  roleName: string,
  policyArn: string
): Promise<void> {
  await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }))
}

/** What GetFunction tells about $LATEST: enough to plan its rows. */
export interface FunctionState {
  /** Base64 SHA-256 of the deployment package. */
  codeSha256: string
  /** nodejs22.x, … */
  runtime: string
  /** Pending / Active / Inactive / Failed */
  state: string
  /** InProgress / Successful / Failed */
  lastUpdateStatus: string
}

/** $LATEST of the function, or undefined when it does not exist. */
export async function getFunctionState(
  lambda: LambdaClient,
  name: string
): Promise<FunctionState | undefined> {
  try {
    const res = await lambda.send(new GetFunctionCommand({ FunctionName: name }))
    return {
      codeSha256: res.Configuration?.CodeSha256 ?? '',
      runtime: res.Configuration?.Runtime ?? '',
      state: res.Configuration?.State ?? '',
      lastUpdateStatus: res.Configuration?.LastUpdateStatus ?? ''
    }
  } catch (error) {
    if (notFound(error)) return undefined
    throw error
  }
}

/** Numbered versions of the function (never $LATEST); empty when it does not exist. */
export async function listVersions(lambda: LambdaClient, name: string): Promise<FunctionVersion[]> {
  const out: FunctionVersion[] = []
  try {
    for await (const page of paginateListVersionsByFunction(
      { client: lambda },
      { FunctionName: name }
    )) {
      for (const v of page.Versions ?? []) {
        if (v.Version === undefined || v.Version === '$LATEST' || v.FunctionArn === undefined) {
          continue
        }
        out.push({ version: v.Version, arn: v.FunctionArn, description: v.Description ?? '' })
      }
    }
  } catch (error) {
    if (notFound(error)) return []
    throw error
  }
  return out
}

export async function createFunction(
  lambda: LambdaClient,
  options: {
    name: string
    roleArn: string
    zip: Uint8Array
    description: string
    spec: FunctionSpec
  }
): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: options.name,
      Role: options.roleArn,
      Runtime: runtimeOf(options.spec.runtime),
      Handler: options.spec.handler,
      MemorySize: options.spec.memoryMb,
      Timeout: options.spec.timeoutSeconds,
      Code: { ZipFile: options.zip },
      Description: options.description,
      Publish: false
    })
  )
}

export async function updateFunctionCode(
  lambda: LambdaClient,
  options: { name: string; zip: Uint8Array }
): Promise<void> {
  await lambda.send(
    new UpdateFunctionCodeCommand({ FunctionName: options.name, ZipFile: options.zip })
  )
}

/** Moves a function onto `runtime` (one an older release made on a runtime now blocked). */
export async function updateFunctionRuntime(
  lambda: LambdaClient,
  name: string,
  runtime: string
): Promise<void> {
  await lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: name, Runtime: runtimeOf(runtime) })
  )
}

export async function publishVersion(
  lambda: LambdaClient,
  options: { name: string; description: string }
): Promise<FunctionVersion> {
  const res = await lambda.send(
    new PublishVersionCommand({ FunctionName: options.name, Description: options.description })
  )
  if (res.Version === undefined || res.FunctionArn === undefined) {
    throw new Error(`PublishVersion ${options.name} returned no version`)
  }
  return { version: res.Version, arn: res.FunctionArn, description: res.Description ?? '' }
}

/** Waits until the function is Active (after create) or its last update is done. */
export async function waitFunctionReady(
  lambda: LambdaClient,
  name: string,
  options: WaitTiming & { maxWaitSeconds: number; after: 'create' | 'update' }
): Promise<void> {
  const config = {
    client: lambda,
    minDelay: options.minDelaySeconds,
    maxDelay: options.maxDelaySeconds,
    maxWaitTime: options.maxWaitSeconds
  }
  if (options.after === 'create') {
    await waitUntilFunctionActiveV2(config, { FunctionName: name })
  } else {
    await waitUntilFunctionUpdatedV2(config, { FunctionName: name })
  }
}

/** Deletes the function (every version). */
export async function deleteFunction(lambda: LambdaClient, name: string): Promise<void> {
  await lambda.send(new DeleteFunctionCommand({ FunctionName: name }))
}
