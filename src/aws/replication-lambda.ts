/**
 * Lambda + IAM adapter for the replication function: its role (inline policy), the function,
 * and its event source mappings on DynamoDB streams. Every function is idempotent: it describes
 * first and skips what is already true.
 */
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  type IAMClient
} from '@aws-sdk/client-iam'
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type EventSourceMappingConfiguration,
  type LambdaClient
} from '@aws-sdk/client-lambda'

function named(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name)
}

// ---------------------------------------------------------------------------------------------
// IAM

export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'lambda.amazonaws.com' },
      Action: 'sts:AssumeRole'
    }
  ]
})

export interface RoleState {
  arn: string
  /** The inline policy document (decoded JSON text), when present. */
  policy: string | undefined
}

export async function getRole(
  iam: IAMClient,
  roleName: string,
  policyName: string
): Promise<RoleState | undefined> {
  let arn: string
  try {
    const out = await iam.send(new GetRoleCommand({ RoleName: roleName }))
    arn = out.Role?.Arn ?? ''
  } catch (error) {
    if (named(error, 'NoSuchEntity', 'NoSuchEntityException')) return undefined
    throw error
  }
  try {
    const out = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })
    )
    const doc = out.PolicyDocument
    return { arn, policy: doc === undefined ? undefined : decodeURIComponent(doc) }
  } catch (error) {
    if (named(error, 'NoSuchEntity', 'NoSuchEntityException')) return { arn, policy: undefined }
    throw error
  }
}

/** Creates the role trusted by Lambda (or finds it when a parallel job created it first). */
export async function createRole(
  iam: IAMClient,
  roleName: string,
  description: string
): Promise<string> {
  try {
    const out = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY,
        Description: description
      })
    )
    return out.Role?.Arn ?? ''
  } catch (error) {
    if (!named(error, 'EntityAlreadyExists', 'EntityAlreadyExistsException')) throw error
    const out = await iam.send(new GetRoleCommand({ RoleName: roleName }))
    return out.Role?.Arn ?? ''
  }
}

export async function putRolePolicy(
  iam: IAMClient,
  roleName: string,
  policyName: string,
  policy: string
): Promise<void> {
  await iam.send(
    new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: policy })
  )
}

/** Deletes the inline policy and the role; absent ones are fine. */
export async function deleteRole(
  iam: IAMClient,
  roleName: string,
  policyName: string
): Promise<void> {
  try {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))
  } catch (error) {
    if (!named(error, 'NoSuchEntity', 'NoSuchEntityException')) throw error
  }
  try {
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }))
  } catch (error) {
    if (!named(error, 'NoSuchEntity', 'NoSuchEntityException')) throw error
  }
}

// ---------------------------------------------------------------------------------------------
// Lambda function

export interface FunctionState {
  arn: string
  codeSha256: string
  role: string
  environment: Record<string, string>
}

export async function getFunction(
  lambda: LambdaClient,
  name: string
): Promise<FunctionState | undefined> {
  try {
    const out = await lambda.send(new GetFunctionCommand({ FunctionName: name }))
    const c = out.Configuration
    return {
      arn: c?.FunctionArn ?? '',
      codeSha256: c?.CodeSha256 ?? '',
      role: c?.Role ?? '',
      environment: c?.Environment?.Variables ?? {}
    }
  } catch (error) {
    if (named(error, 'ResourceNotFoundException')) return undefined
    throw error
  }
}

export interface FunctionSpec {
  name: string
  roleArn: string
  zip: Uint8Array
  environment: Record<string, string>
  description: string
}

export const FUNCTION_RUNTIME = 'nodejs22.x'

export interface DeployOptions {
  sleep: (ms: number) => Promise<void>
  /** Seconds between waiter polls (the SDK waiter's minDelay). */
  minDelay?: number
}

/**
 * Creates the function. A role created seconds ago may not be assumable yet (IAM is eventually
 * consistent): Lambda then answers InvalidParameterValueException, retried for about a minute.
 */
export async function createFunction(
  lambda: LambdaClient,
  spec: FunctionSpec,
  options: DeployOptions
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await lambda.send(
        new CreateFunctionCommand({
          FunctionName: spec.name,
          Runtime: FUNCTION_RUNTIME,
          Handler: 'index.handler',
          Role: spec.roleArn,
          Code: { ZipFile: spec.zip },
          Description: spec.description,
          Timeout: 60,
          MemorySize: 256,
          Environment: { Variables: spec.environment }
        })
      )
      await waitUntilFunctionActiveV2(
        { client: lambda, maxWaitTime: 300, minDelay: options.minDelay ?? 2 },
        { FunctionName: spec.name }
      )
      return out.FunctionArn ?? ''
    } catch (error) {
      if (named(error, 'ResourceConflictException')) {
        const existing = await getFunction(lambda, spec.name)
        if (existing !== undefined) return existing.arn
      }
      const roleNotReady =
        named(error, 'InvalidParameterValueException') &&
        error instanceof Error &&
        /role|assume/i.test(error.message)
      if (!roleNotReady || attempt >= 12) throw error
      await options.sleep(5000)
    }
  }
}

export async function updateFunctionCode(
  lambda: LambdaClient,
  name: string,
  zip: Uint8Array,
  options: DeployOptions
): Promise<void> {
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip }))
  await waitUntilFunctionUpdatedV2(
    { client: lambda, maxWaitTime: 300, minDelay: options.minDelay ?? 2 },
    { FunctionName: name }
  )
}

export async function updateFunctionConfiguration(
  lambda: LambdaClient,
  spec: Omit<FunctionSpec, 'zip'>,
  options: DeployOptions
): Promise<void> {
  await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: spec.name,
      Role: spec.roleArn,
      Environment: { Variables: spec.environment }
    })
  )
  await waitUntilFunctionUpdatedV2(
    { client: lambda, maxWaitTime: 300, minDelay: options.minDelay ?? 2 },
    { FunctionName: spec.name }
  )
}

export async function deleteFunction(lambda: LambdaClient, name: string): Promise<void> {
  try {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }))
  } catch (error) {
    if (!named(error, 'ResourceNotFoundException')) throw error
  }
}

// ---------------------------------------------------------------------------------------------
// Event source mappings

export interface Mapping {
  uuid: string
  functionArn: string
  eventSourceArn: string
  state: string
  lastProcessingResult: string | undefined
  lastModified: Date | undefined
  /** ARN of the on-failure destination (the failure queue), when the mapping has one. */
  onFailure: string | undefined
}

function toMapping(m: EventSourceMappingConfiguration): Mapping {
  return {
    uuid: m.UUID ?? '',
    functionArn: m.FunctionArn ?? '',
    eventSourceArn: m.EventSourceArn ?? '',
    state: m.State ?? 'Unknown',
    lastProcessingResult: m.LastProcessingResult,
    lastModified: m.LastModified,
    onFailure: m.DestinationConfig?.OnFailure?.Destination
  }
}

/** Mappings on a stream (every reader), or of a function. */
export async function listMappings(
  lambda: LambdaClient,
  filter: { eventSourceArn: string } | { functionName: string }
): Promise<Mapping[]> {
  const mappings: Mapping[] = []
  let marker: string | undefined
  do {
    const out = await lambda.send(
      new ListEventSourceMappingsCommand({
        ...('eventSourceArn' in filter
          ? { EventSourceArn: filter.eventSourceArn }
          : { FunctionName: filter.functionName }),
        ...(marker === undefined ? {} : { Marker: marker })
      })
    )
    mappings.push(...(out.EventSourceMappings ?? []).map(toMapping))
    marker = out.NextMarker
  } while (marker !== undefined)
  return mappings
}

export const MAPPING_SETTINGS = {
  StartingPosition: 'TRIM_HORIZON',
  BatchSize: 100,
  BisectBatchOnFunctionError: true,
  FunctionResponseTypes: ['ReportBatchItemFailures'],
  MaximumRetryAttempts: 10
} as const

/**
 * Lambda checks that the function's role may send to the on-failure queue when a mapping is
 * created or changed; a policy written seconds ago (prepare) may not be visible yet (IAM is
 * eventually consistent). Such an InvalidParameterValueException is retried for about a minute.
 */
async function whilePolicyPropagates<T>(
  sleep: (ms: number) => Promise<void>,
  fn: () => Promise<T>
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      const notYet =
        named(error, 'InvalidParameterValueException') &&
        error instanceof Error &&
        /permission|sendmessage|sqs|role/i.test(error.message)
      if (!notYet || attempt >= 12) throw error
      await sleep(5000)
    }
  }
}

/**
 * Attaches the function to the stream. After MaximumRetryAttempts Lambda discards a batch; with
 * `onFailureArn` (an SQS queue) it first sends a record of the batch there, so no failure is
 * silent.
 */
export async function createMapping(
  lambda: LambdaClient,
  functionName: string,
  streamArn: string,
  onFailureArn: string,
  sleep: (ms: number) => Promise<void>
): Promise<Mapping> {
  const out = await whilePolicyPropagates(sleep, () =>
    lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: functionName,
        EventSourceArn: streamArn,
        Enabled: true,
        StartingPosition: MAPPING_SETTINGS.StartingPosition,
        BatchSize: MAPPING_SETTINGS.BatchSize,
        BisectBatchOnFunctionError: MAPPING_SETTINGS.BisectBatchOnFunctionError,
        FunctionResponseTypes: [...MAPPING_SETTINGS.FunctionResponseTypes],
        MaximumRetryAttempts: MAPPING_SETTINGS.MaximumRetryAttempts,
        DestinationConfig: { OnFailure: { Destination: onFailureArn } }
      })
    )
  )
  return toMapping(out)
}

/** Sets the on-failure destination of an existing mapping (the rest is left as it is). */
export async function setMappingOnFailure(
  lambda: LambdaClient,
  uuid: string,
  onFailureArn: string,
  sleep: (ms: number) => Promise<void>
): Promise<Mapping> {
  const out = await whilePolicyPropagates(sleep, () =>
    lambda.send(
      new UpdateEventSourceMappingCommand({
        UUID: uuid,
        DestinationConfig: { OnFailure: { Destination: onFailureArn } }
      })
    )
  )
  return toMapping(out)
}

export async function deleteMapping(lambda: LambdaClient, uuid: string): Promise<void> {
  try {
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
  } catch (error) {
    if (!named(error, 'ResourceNotFoundException')) throw error
  }
}
