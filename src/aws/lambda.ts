/**
 * The Lambda adapter shared by the action's functions (the replication function, the edge
 * router): functions, versions and event source mappings, as domain types. Reads return
 * undefined for what does not exist; creates adopt what a parallel run created first; deletes
 * accept what is already gone.
 */
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  PublishVersionCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  paginateListEventSourceMappings,
  paginateListVersionsByFunction,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type CreateEventSourceMappingCommandInput,
  type EventSourceMappingConfiguration,
  type UpdateEventSourceMappingCommandInput,
  type LambdaClient,
  type Runtime
} from '@aws-sdk/client-lambda'
import { isNamed, isResourceConflict, isResourceNotFound } from './errors.js'
import {
  pollUntil,
  whileIamPropagates,
  type ChangeListener,
  type PropagationOptions
} from './retry.js'

// ---------------------------------------------------------------------------------------------
// Functions and versions

export interface FunctionState {
  arn: string
  /** Base64 SHA-256 of the deployment package. */
  codeSha256: string
  role: string
  runtime: string
  /** Pending / Active / Inactive / Failed */
  state: string
  /** InProgress / Successful / Failed */
  lastUpdateStatus: string
  description: string
  environment: Record<string, string>
}

/** $LATEST of the function (or the version a qualified ARN names); undefined when absent. */
export async function getFunction(
  lambda: LambdaClient,
  nameOrArn: string
): Promise<FunctionState | undefined> {
  try {
    const c = (await lambda.send(new GetFunctionCommand({ FunctionName: nameOrArn }))).Configuration
    return {
      arn: c?.FunctionArn ?? '',
      codeSha256: c?.CodeSha256 ?? '',
      role: c?.Role ?? '',
      runtime: c?.Runtime ?? '',
      state: c?.State ?? '',
      lastUpdateStatus: c?.LastUpdateStatus ?? '',
      description: c?.Description ?? '',
      environment: c?.Environment?.Variables ?? {}
    }
  } catch (error) {
    if (isResourceNotFound(error)) return undefined
    throw error
  }
}

export interface FunctionSpec {
  name: string
  roleArn: string
  zip: Uint8Array
  runtime: Runtime
  handler: string
  memoryMb: number
  timeoutSeconds: number
  description: string
  /** Lambda@Edge allows none. */
  environment?: Record<string, string>
}

export interface WaitOptions {
  /** Seconds between waiter polls (the SDK waiter's minDelay). */
  minDelay?: number
  maxDelay?: number
  /** Longest wait, seconds. */
  maxWaitSeconds?: number
}

/** A role written seconds ago that Lambda cannot assume yet. */
const ROLE_NOT_READY = /role|assume/i

/** Waits (SDK waiter) until the function is Active (after create) or its last update is done. */
export async function waitFunctionReady(
  lambda: LambdaClient,
  name: string,
  options: WaitOptions & { after: 'create' | 'update' }
): Promise<void> {
  const config = {
    client: lambda,
    minDelay: options.minDelay ?? 2,
    maxWaitTime: options.maxWaitSeconds ?? 300,
    ...(options.maxDelay === undefined ? {} : { maxDelay: options.maxDelay })
  }
  if (options.after === 'create') await waitUntilFunctionActiveV2(config, { FunctionName: name })
  else await waitUntilFunctionUpdatedV2(config, { FunctionName: name })
}

/**
 * Creates the function and waits until it is Active; returns its ARN. A function of that name
 * that exists already (a parallel run, or a lost answer) is adopted. A role created seconds ago
 * is retried while IAM propagates.
 */
export async function createFunction(
  lambda: LambdaClient,
  spec: FunctionSpec,
  options: WaitOptions & PropagationOptions & ChangeListener
): Promise<string> {
  let arn: string
  try {
    const out = await whileIamPropagates(
      () =>
        lambda.send(
          new CreateFunctionCommand({
            FunctionName: spec.name,
            Runtime: spec.runtime,
            Handler: spec.handler,
            Role: spec.roleArn,
            Code: { ZipFile: spec.zip },
            Description: spec.description,
            Timeout: spec.timeoutSeconds,
            MemorySize: spec.memoryMb,
            Publish: false,
            ...(spec.environment === undefined
              ? {}
              : { Environment: { Variables: spec.environment } })
          })
        ),
      ROLE_NOT_READY,
      options
    )
    arn = out.FunctionArn ?? ''
    options.onChange?.('made')
  } catch (error) {
    const existing = isResourceConflict(error) ? await getFunction(lambda, spec.name) : undefined
    if (existing === undefined) throw error
    arn = existing.arn
    options.onChange?.('adopted')
  }
  await waitFunctionReady(lambda, spec.name, { ...options, after: 'create' })
  return arn
}

export async function updateFunctionCode(
  lambda: LambdaClient,
  name: string,
  zip: Uint8Array,
  options: WaitOptions & ChangeListener = {}
): Promise<void> {
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip }))
  options.onChange?.('made')
  await waitFunctionReady(lambda, name, { ...options, after: 'update' })
}

export interface ConfigurationChange {
  roleArn?: string
  runtime?: Runtime
  description?: string
  environment?: Record<string, string>
}

export async function updateFunctionConfiguration(
  lambda: LambdaClient,
  name: string,
  change: ConfigurationChange,
  options: WaitOptions & PropagationOptions & ChangeListener
): Promise<void> {
  await whileIamPropagates(
    () =>
      lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: name,
          ...(change.roleArn === undefined ? {} : { Role: change.roleArn }),
          ...(change.runtime === undefined ? {} : { Runtime: change.runtime }),
          ...(change.description === undefined ? {} : { Description: change.description }),
          ...(change.environment === undefined
            ? {}
            : { Environment: { Variables: change.environment } })
        })
      ),
    ROLE_NOT_READY,
    options
  )
  options.onChange?.('made')
  await waitFunctionReady(lambda, name, { ...options, after: 'update' })
}

export interface FunctionVersion {
  version: string
  arn: string
  description: string
}

export async function publishVersion(
  lambda: LambdaClient,
  name: string,
  description: string
): Promise<FunctionVersion> {
  const out = await lambda.send(
    new PublishVersionCommand({ FunctionName: name, Description: description })
  )
  if (out.Version === undefined || out.FunctionArn === undefined) {
    throw new Error(`PublishVersion ${name} returned no version`)
  }
  return { version: out.Version, arn: out.FunctionArn, description: out.Description ?? '' }
}

/** Numbered versions of the function (never $LATEST); none when the function is absent. */
export async function listVersions(lambda: LambdaClient, name: string): Promise<FunctionVersion[]> {
  const versions: FunctionVersion[] = []
  try {
    for await (const page of paginateListVersionsByFunction(
      { client: lambda },
      { FunctionName: name }
    )) {
      for (const v of page.Versions ?? []) {
        if (v.Version === undefined || v.Version === '$LATEST' || v.FunctionArn === undefined) {
          continue
        }
        versions.push({ version: v.Version, arn: v.FunctionArn, description: v.Description ?? '' })
      }
    }
  } catch (error) {
    if (isResourceNotFound(error)) return []
    throw error
  }
  return versions
}

/** Deletes the function (every version) or one version (`qualifier`); absent is fine. */
export async function deleteFunction(
  lambda: LambdaClient,
  name: string,
  qualifier?: string
): Promise<void> {
  try {
    await lambda.send(
      new DeleteFunctionCommand({
        FunctionName: name,
        ...(qualifier === undefined ? {} : { Qualifier: qualifier })
      })
    )
  } catch (error) {
    if (!isResourceNotFound(error)) throw error
  }
}

// ---------------------------------------------------------------------------------------------
// Event source mappings

/**
 * A mapping's State, as Lambda documents it. Creating, Enabling, Disabling, Updating and
 * Deleting are on their way to another state; a Deleting mapping is not there any more for
 * planning, but still counts as a reader of its stream until it is gone.
 */
export type MappingState =
  'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting'

const MAPPING_STATES: readonly string[] = [
  'Creating',
  'Enabling',
  'Enabled',
  'Disabling',
  'Disabled',
  'Updating',
  'Deleting'
]

export interface Mapping {
  uuid: string
  functionArn: string
  eventSourceArn: string
  /** Unknown states (a newer Lambda) read as Updating: in transition. */
  state: MappingState
  lastProcessingResult: string | undefined
  lastModified: Date | undefined
  /** ARN of the on-failure destination, when the mapping has one. */
  onFailure: string | undefined
  startingPosition: string | undefined
  batchSize: number | undefined
  bisectBatchOnFunctionError: boolean | undefined
  functionResponseTypes: string[]
  maximumRetryAttempts: number | undefined
  maximumRecordAgeInSeconds: number | undefined
  maximumBatchingWindowInSeconds: number | undefined
}

export function toMapping(m: EventSourceMappingConfiguration): Mapping {
  const state = m.State ?? ''
  return {
    uuid: m.UUID ?? '',
    functionArn: m.FunctionArn ?? '',
    eventSourceArn: m.EventSourceArn ?? '',
    state: MAPPING_STATES.includes(state) ? (state as MappingState) : 'Updating',
    lastProcessingResult: m.LastProcessingResult,
    lastModified: m.LastModified,
    onFailure: m.DestinationConfig?.OnFailure?.Destination,
    startingPosition: m.StartingPosition,
    batchSize: m.BatchSize,
    bisectBatchOnFunctionError: m.BisectBatchOnFunctionError,
    functionResponseTypes: [...(m.FunctionResponseTypes ?? [])],
    maximumRetryAttempts: m.MaximumRetryAttempts,
    maximumRecordAgeInSeconds: m.MaximumRecordAgeInSeconds,
    maximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds
  }
}

/** Mappings on a stream (every reader), or of a function (none when the function is absent). */
export async function listMappings(
  lambda: LambdaClient,
  filter: { eventSourceArn: string } | { functionName: string }
): Promise<Mapping[]> {
  const mappings: Mapping[] = []
  const input =
    'eventSourceArn' in filter
      ? { EventSourceArn: filter.eventSourceArn }
      : { FunctionName: filter.functionName }
  try {
    for await (const page of paginateListEventSourceMappings({ client: lambda }, input)) {
      mappings.push(...(page.EventSourceMappings ?? []).map(toMapping))
    }
  } catch (error) {
    if (isResourceNotFound(error)) return []
    throw error
  }
  return mappings
}

export async function getMapping(lambda: LambdaClient, uuid: string): Promise<Mapping | undefined> {
  try {
    return toMapping(await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })))
  } catch (error) {
    if (isResourceNotFound(error)) return undefined
    throw error
  }
}

/** The stream-reading settings of a mapping (DynamoDB Streams, Kinesis). */
export interface StreamMappingSettings {
  batchSize: number
  bisectBatchOnFunctionError: boolean
  reportBatchItemFailures: boolean
  /** -1: retry until the record is older than maximumRecordAgeInSeconds (or expires). */
  maximumRetryAttempts: number
  /** -1, or 60 … 604800. */
  maximumRecordAgeInSeconds: number
  /** ARN of an SQS queue or SNS topic that gets a record of each batch Lambda gives up on. */
  onFailureArn: string
}

function settingsInput(s: StreamMappingSettings) {
  return {
    BatchSize: s.batchSize,
    BisectBatchOnFunctionError: s.bisectBatchOnFunctionError,
    FunctionResponseTypes: s.reportBatchItemFailures ? ['ReportBatchItemFailures' as const] : [],
    MaximumRetryAttempts: s.maximumRetryAttempts,
    MaximumRecordAgeInSeconds: s.maximumRecordAgeInSeconds,
    DestinationConfig: { OnFailure: { Destination: s.onFailureArn } }
  }
}

/** True when the mapping already has these settings. */
export function hasSettings(m: Mapping, s: StreamMappingSettings): boolean {
  return (
    m.batchSize === s.batchSize &&
    m.bisectBatchOnFunctionError === s.bisectBatchOnFunctionError &&
    m.functionResponseTypes.includes('ReportBatchItemFailures') === s.reportBatchItemFailures &&
    m.maximumRetryAttempts === s.maximumRetryAttempts &&
    m.maximumRecordAgeInSeconds === s.maximumRecordAgeInSeconds &&
    m.onFailure === s.onFailureArn
  )
}

/**
 * Lambda checks, when a mapping is created or changed, that the function's role may send to the
 * on-failure destination; a policy written seconds ago may not be visible yet.
 */
const DESTINATION_NOT_READY = /permission|sendmessage|sqs|role/i

/** Attaches `functionName` to a stream from `startingPosition`. */
export async function createStreamMapping(
  lambda: LambdaClient,
  spec: {
    functionName: string
    eventSourceArn: string
    startingPosition: 'TRIM_HORIZON' | 'LATEST'
  },
  settings: StreamMappingSettings,
  propagation: PropagationOptions
): Promise<Mapping> {
  return createMapping(
    lambda,
    {
      FunctionName: spec.functionName,
      EventSourceArn: spec.eventSourceArn,
      StartingPosition: spec.startingPosition,
      ...settingsInput(settings)
    },
    propagation
  )
}

/** Sets the settings of an existing mapping, and enables it when `enable` (a Disabled one). */
export async function updateStreamMapping(
  lambda: LambdaClient,
  uuid: string,
  settings: StreamMappingSettings,
  options: { enable: boolean } & PropagationOptions
): Promise<Mapping> {
  return updateMapping(lambda, uuid, settingsInput(settings), options)
}

/** CreateEventSourceMapping (enabled), retried while the role's new permissions propagate. */
async function createMapping(
  lambda: LambdaClient,
  input: CreateEventSourceMappingCommandInput,
  propagation: PropagationOptions
): Promise<Mapping> {
  const out = await whileIamPropagates(
    () => lambda.send(new CreateEventSourceMappingCommand({ ...input, Enabled: true })),
    DESTINATION_NOT_READY,
    propagation
  )
  return toMapping(out)
}

/** UpdateEventSourceMapping with `settings` (and Enabled when `enable`), retried likewise. */
async function updateMapping(
  lambda: LambdaClient,
  uuid: string,
  settings: Omit<UpdateEventSourceMappingCommandInput, 'UUID' | 'Enabled'>,
  options: { enable: boolean } & PropagationOptions
): Promise<Mapping> {
  const out = await whileIamPropagates(
    () =>
      lambda.send(
        new UpdateEventSourceMappingCommand({
          UUID: uuid,
          ...(options.enable ? { Enabled: true } : {}),
          ...settings
        })
      ),
    DESTINATION_NOT_READY,
    options
  )
  return toMapping(out)
}

export interface MappingWait {
  sleep: (ms: number) => Promise<void>
  intervalMs?: number
  timeoutMs?: number
  now?: () => number
}

const TRANSITIONS: readonly MappingState[] = ['Creating', 'Enabling', 'Disabling', 'Updating']

/** Waits until the mapping is out of Creating / Enabling / Disabling / Updating. */
export async function waitMappingSettled(
  lambda: LambdaClient,
  uuid: string,
  wait: MappingWait
): Promise<Mapping | undefined> {
  const settled = await pollUntil(
    async () => {
      const m = await getMapping(lambda, uuid)
      if (m === undefined) return { mapping: undefined }
      return TRANSITIONS.includes(m.state) ? undefined : { mapping: m }
    },
    {
      sleep: wait.sleep,
      intervalMs: wait.intervalMs ?? 2000,
      timeoutMs: wait.timeoutMs ?? 300_000,
      what: `event source mapping ${uuid} to settle`,
      ...(wait.now === undefined ? {} : { now: wait.now })
    }
  )
  return settled.mapping
}

/**
 * Deletes the mapping and waits until it is gone: Lambda answers with State Deleting and may
 * take some seconds more, during which a batch in flight can still write.
 */
export async function deleteMapping(
  lambda: LambdaClient,
  uuid: string,
  wait: MappingWait
): Promise<void> {
  try {
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))
  } catch (error) {
    // Gone already, or already Deleting (ResourceInUse while Lambda removes it): wait it out.
    if (!isResourceNotFound(error) && !isNamed(error, 'ResourceInUseException')) throw error
  }
  await waitMappingGone(lambda, uuid, wait)
}

export async function waitMappingGone(
  lambda: LambdaClient,
  uuid: string,
  wait: MappingWait
): Promise<void> {
  await pollUntil(async () => ((await getMapping(lambda, uuid)) === undefined ? true : undefined), {
    sleep: wait.sleep,
    intervalMs: wait.intervalMs ?? 2000,
    timeoutMs: wait.timeoutMs ?? 300_000,
    what: `event source mapping ${uuid} to be deleted`
  })
}

/** The settings of a mapping that reads an SQS queue. */
export interface QueueMappingSettings {
  batchSize: number
  /** Seconds Lambda gathers messages before it invokes (0: at once). */
  maximumBatchingWindowInSeconds: number
  reportBatchItemFailures: boolean
}

function queueSettingsInput(s: QueueMappingSettings) {
  return {
    BatchSize: s.batchSize,
    MaximumBatchingWindowInSeconds: s.maximumBatchingWindowInSeconds,
    FunctionResponseTypes: s.reportBatchItemFailures ? ['ReportBatchItemFailures' as const] : []
  }
}

/** True when the queue mapping already has these settings. */
export function hasQueueSettings(m: Mapping, s: QueueMappingSettings): boolean {
  return (
    m.batchSize === s.batchSize &&
    (m.maximumBatchingWindowInSeconds ?? 0) === s.maximumBatchingWindowInSeconds &&
    m.functionResponseTypes.includes('ReportBatchItemFailures') === s.reportBatchItemFailures
  )
}

/**
 * Attaches `functionName` to an SQS queue (no starting position: the mapping reads whatever the
 * queue holds). Lambda checks that the function's role may receive from the queue; a policy
 * written seconds ago may not be visible yet.
 */
export async function createQueueMapping(
  lambda: LambdaClient,
  spec: { functionName: string; queueArn: string },
  settings: QueueMappingSettings,
  propagation: PropagationOptions
): Promise<Mapping> {
  return createMapping(
    lambda,
    {
      FunctionName: spec.functionName,
      EventSourceArn: spec.queueArn,
      ...queueSettingsInput(settings)
    },
    propagation
  )
}

/** Sets the settings of a queue mapping, and enables it when `enable` (a Disabled one). */
export async function updateQueueMapping(
  lambda: LambdaClient,
  uuid: string,
  settings: QueueMappingSettings,
  options: { enable: boolean } & PropagationOptions
): Promise<Mapping> {
  return updateMapping(lambda, uuid, queueSettingsInput(settings), options)
}
