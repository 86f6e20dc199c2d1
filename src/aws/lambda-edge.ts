/**
 * The router's Lambda@Edge function (us-east-1) and its execution role, narrowly: ensure the
 * role, create or update the code, publish a numbered version, read versions, delete.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  type IAMClient
} from '@aws-sdk/client-iam'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  type LambdaClient,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2
} from '@aws-sdk/client-lambda'
import { errorName, type WaitTiming } from './cloudfront.js'

/** Node.js 20 is past Lambda's deprecation (function create and update blocked in 2026). */
export const EDGE_RUNTIME = 'nodejs22.x'
export const EDGE_HANDLER = 'index.handler'
export const EDGE_MEMORY_MB = 128
export const EDGE_TIMEOUT_SECONDS = 5
export const BASIC_EXECUTION_POLICY_ARN =
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'

const TRUST_POLICY = JSON.stringify({
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

/** The role's ARN; creates it (trusted by Lambda and Lambda@Edge, basic logging) when missing. */
export async function ensureEdgeRole(
  iam: IAMClient,
  roleName: string
): Promise<{ arn: string; created: boolean }> {
  try {
    const res = await iam.send(new GetRoleCommand({ RoleName: roleName }))
    if (res.Role?.Arn !== undefined) return { arn: res.Role.Arn, created: false }
  } catch (error) {
    if (errorName(error) !== 'NoSuchEntity' && errorName(error) !== 'NoSuchEntityException') {
      throw error
    }
  }
  const res = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: TRUST_POLICY,
      Description: 'bluegreen-action: execution role of the Lambda@Edge router'
    })
  )
  await iam.send(
    new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: BASIC_EXECUTION_POLICY_ARN })
  )
  const arn = res.Role?.Arn
  if (arn === undefined) throw new Error(`CreateRole ${roleName} returned no ARN`)
  return { arn, created: true }
}

/** What GetFunction tells about $LATEST: enough to skip a needless code update. */
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
    if (errorName(error) === 'ResourceNotFoundException') return undefined
    throw error
  }
}

/** Does the function exist? */
export async function functionExists(lambda: LambdaClient, name: string): Promise<boolean> {
  return (await getFunctionState(lambda, name)) !== undefined
}

/** The description of one published version (qualified GetFunction); undefined if gone. */
export async function versionDescription(
  lambda: LambdaClient,
  versionArn: string
): Promise<string | undefined> {
  try {
    const res = await lambda.send(new GetFunctionCommand({ FunctionName: versionArn }))
    return res.Configuration?.Description ?? ''
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined
    throw error
  }
}

/** Numbered versions of the function (never $LATEST). */
export async function listVersions(lambda: LambdaClient, name: string): Promise<FunctionVersion[]> {
  const out: FunctionVersion[] = []
  let marker: string | undefined
  for (let page = 0; page < 100; page++) {
    const res = await lambda.send(
      new ListVersionsByFunctionCommand(
        marker === undefined ? { FunctionName: name } : { FunctionName: name, Marker: marker }
      )
    )
    for (const v of res.Versions ?? []) {
      if (v.Version === undefined || v.Version === '$LATEST' || v.FunctionArn === undefined) {
        continue
      }
      out.push({ version: v.Version, arn: v.FunctionArn, description: v.Description ?? '' })
    }
    if (res.NextMarker === undefined || res.NextMarker === marker) break
    marker = res.NextMarker
  }
  return out
}

export async function createFunction(
  lambda: LambdaClient,
  options: { name: string; roleArn: string; zip: Uint8Array; description: string }
): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: options.name,
      Role: options.roleArn,
      Runtime: EDGE_RUNTIME,
      Handler: EDGE_HANDLER,
      MemorySize: EDGE_MEMORY_MB,
      Timeout: EDGE_TIMEOUT_SECONDS,
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

/** Moves a function made by an older release onto EDGE_RUNTIME (its code can then be updated). */
export async function updateFunctionRuntime(lambda: LambdaClient, name: string): Promise<void> {
  await lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: name, Runtime: EDGE_RUNTIME })
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

/** Deletes the function (every version) or one version (`qualifier`). */
export async function deleteFunction(
  lambda: LambdaClient,
  name: string,
  qualifier?: string
): Promise<void> {
  await lambda.send(
    new DeleteFunctionCommand(
      qualifier === undefined
        ? { FunctionName: name }
        : { FunctionName: name, Qualifier: qualifier }
    )
  )
}
