/**
 * Plugs the model in under the real AWS SDK v3 clients (aws-sdk-client-mock on the client
 * classes, so every instance createClients() builds is served by the model), builds a Context
 * for publish, and runs publish with the invariant checked after every mutating call.
 *
 * SDK waiters sleep with real setTimeout between polls; a run is driven under jest's fake
 * timers so a waiter's minutes pass instantly (and the model's poll counts decide when a
 * distribution reports Deployed).
 */
import { jest } from '@jest/globals'
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm'
import {
  CloudFrontClient,
  CreateDistributionWithTagsCommand,
  DeleteDistributionCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateDistributionCommand
} from '@aws-sdk/client-cloudfront'
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetServerCertificateCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListServerCertificatesCommand
} from '@aws-sdk/client-iam'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand
} from '@aws-sdk/client-cloudwatch'
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client
} from '@aws-sdk/client-route-53'
import { mockClient } from 'aws-sdk-client-mock'
import { createClients } from '../../../src/aws/clients.js'
import type { Context } from '../../../src/context.js'
import { parseInputs, type PublishRequest, type RawInputs } from '../../../src/inputs.js'
import { memoryLogger } from '../../../src/log.js'
import { publish } from '../../../src/publish/index.js'
import { publishRamp } from '../../../src/publish/ramp.js'
import { newReport, type Report } from '../../../src/report.js'
import type { AlarmBoard } from './alarms.js'
import type { FaultKind } from './faults.js'
import { GLOBAL_REGION, type AwsModel, type CallRecord } from './model.js'
import { checkInvariant, formatViolation, type InvariantSpec, type Violation } from './serving.js'

/** Commands the model implements (the publish engineer was told to use exactly these). */
export const IMPLEMENTED = new Set([
  'ListDistributionsCommand',
  'GetDistributionCommand',
  'GetDistributionConfigCommand',
  'CreateDistributionWithTagsCommand',
  'UpdateDistributionCommand',
  'DeleteDistributionCommand',
  'ListTagsForResourceCommand',
  'TagResourceCommand',
  'UntagResourceCommand',
  'ListHostedZonesByNameCommand',
  'ListResourceRecordSetsCommand',
  'ChangeResourceRecordSetsCommand',
  'GetChangeCommand',
  'DescribeCertificateCommand',
  'GetFunctionCommand',
  'GetFunctionConfigurationCommand',
  'CreateFunctionCommand',
  'UpdateFunctionCodeCommand',
  'UpdateFunctionConfigurationCommand',
  'PublishVersionCommand',
  'ListVersionsByFunctionCommand',
  'DeleteFunctionCommand',
  'GetRoleCommand',
  'CreateRoleCommand',
  'AttachRolePolicyCommand',
  'ListAttachedRolePoliciesCommand',
  'ListServerCertificatesCommand',
  'GetServerCertificateCommand',
  'DescribeAlarmsCommand',
  'DescribeAlarmHistoryCommand'
])

/**
 * A response held back: the call has been applied, but its caller does not hear back until
 * `released` (a run that stalls mid-way, e.g. in a slow network call, while another runs).
 */
interface Held {
  released: Promise<void>
  onHeld: () => void
}
let holding: Held | undefined

/** Holds the response of the mutating call being applied right now (call from onMutation). */
export function holdCurrentCall(held: Held): void {
  holding = held
}

/** Answers on the next microtask, like a network call (and turns throws into rejections). */
async function later<T>(fn: () => T): Promise<T> {
  await Promise.resolve()
  const result = fn()
  const held = holding
  if (held !== undefined) {
    holding = undefined
    held.onHeld()
    await held.released
  }
  return result
}

function commandName(call: { args: unknown[] }): string {
  const command = call.args[0]
  return typeof command === 'object' && command !== null ? command.constructor.name : '?'
}

export interface Mocks {
  /** Commands publish sent that the model does not implement (the test must fail on these). */
  unimplemented(): string[]
  /** Every command sent since the last reset (reads too), by client, in order per client. */
  commands(): string[]
  /** Lambda@Edge / ACM commands sent from a client in a region other than us-east-1. */
  wrongRegion: string[]
  reset(): void
  restore(): void
}

/**
 * Mocks every client class; the handlers ask `model()` so a test can swap the world, and
 * `alarms()` (when given) for CloudWatch alarms.
 */
export function installMocks(model: () => AwsModel, alarms?: () => AlarmBoard): Mocks {
  const notImplemented = (): never => {
    throw new Error('model does not implement this command (see Mocks.unimplemented())')
  }
  const wrongRegion: string[] = []

  const cf = mockClient(CloudFrontClient)
  cf.onAnyCommand().callsFake(notImplemented)
  cf.on(ListDistributionsCommand).callsFake((i: ListDistributionsCommand['input']) =>
    later(() => model().listDistributions(i))
  )
  cf.on(GetDistributionCommand).callsFake((i: GetDistributionCommand['input']) =>
    later(() => model().getDistribution(i))
  )
  cf.on(GetDistributionConfigCommand).callsFake((i: GetDistributionConfigCommand['input']) =>
    later(() => model().getDistributionConfig(i))
  )
  cf.on(CreateDistributionWithTagsCommand).callsFake(
    (i: CreateDistributionWithTagsCommand['input']) =>
      later(() => model().createDistributionWithTags(i))
  )
  cf.on(UpdateDistributionCommand).callsFake((i: UpdateDistributionCommand['input']) =>
    later(() => model().updateDistribution(i))
  )
  cf.on(DeleteDistributionCommand).callsFake((i: DeleteDistributionCommand['input']) =>
    later(() => model().deleteDistribution(i))
  )
  cf.on(ListTagsForResourceCommand).callsFake((i: ListTagsForResourceCommand['input']) =>
    later(() => model().listTagsForResource(i))
  )
  cf.on(TagResourceCommand).callsFake((i: TagResourceCommand['input']) =>
    later(() => model().tagResource(i))
  )
  cf.on(UntagResourceCommand).callsFake((i: UntagResourceCommand['input']) =>
    later(() => model().untagResource(i))
  )

  const r53 = mockClient(Route53Client)
  r53.onAnyCommand().callsFake(notImplemented)
  r53
    .on(ListHostedZonesByNameCommand)
    .callsFake((i: ListHostedZonesByNameCommand['input']) =>
      later(() => model().listHostedZonesByName(i))
    )
  r53
    .on(ListResourceRecordSetsCommand)
    .callsFake((i: ListResourceRecordSetsCommand['input']) =>
      later(() => model().listResourceRecordSets(i))
    )
  r53
    .on(ChangeResourceRecordSetsCommand)
    .callsFake((i: ChangeResourceRecordSetsCommand['input']) =>
      later(() => model().changeResourceRecordSets(i))
    )
  r53
    .on(GetChangeCommand)
    .callsFake((i: GetChangeCommand['input']) => later(() => model().getChange(i)))

  // Lambda@Edge and CloudFront's certificates live in us-east-1: a call from a regional
  // client is a bug, recorded.
  const edge =
    <I, O>(name: string, fn: (input: I) => O) =>
    async (
      input: I,
      getClient: () => { config: { region: () => Promise<string> } }
    ): Promise<O> => {
      const region = await getClient().config.region()
      if (region !== GLOBAL_REGION) wrongRegion.push(`${name} in ${region}`)
      return later(() => fn(input))
    }
  const acm = mockClient(ACMClient)
  acm.onAnyCommand().callsFake(notImplemented)
  acm
    .on(DescribeCertificateCommand)
    .callsFake(
      edge('DescribeCertificate', (i: DescribeCertificateCommand['input']) =>
        model().describeCertificate(i)
      )
    )

  const lambda = mockClient(LambdaClient)
  lambda.onAnyCommand().callsFake(notImplemented)
  lambda
    .on(GetFunctionCommand)
    .callsFake(edge('GetFunction', (i: GetFunctionCommand['input']) => model().getFunction(i)))
  lambda
    .on(GetFunctionConfigurationCommand)
    .callsFake(
      edge('GetFunctionConfiguration', (i: GetFunctionConfigurationCommand['input']) =>
        model().getFunctionConfiguration(i)
      )
    )
  lambda
    .on(CreateFunctionCommand)
    .callsFake(
      edge('CreateFunction', (i: CreateFunctionCommand['input']) => model().createFunction(i))
    )
  lambda
    .on(UpdateFunctionCodeCommand)
    .callsFake(
      edge('UpdateFunctionCode', (i: UpdateFunctionCodeCommand['input']) =>
        model().updateFunctionCode(i)
      )
    )
  lambda
    .on(UpdateFunctionConfigurationCommand)
    .callsFake(
      edge('UpdateFunctionConfiguration', (i: UpdateFunctionConfigurationCommand['input']) =>
        model().updateFunctionConfiguration(i)
      )
    )
  lambda
    .on(PublishVersionCommand)
    .callsFake(
      edge('PublishVersion', (i: PublishVersionCommand['input']) => model().publishVersion(i))
    )
  lambda
    .on(ListVersionsByFunctionCommand)
    .callsFake(
      edge('ListVersionsByFunction', (i: ListVersionsByFunctionCommand['input']) =>
        model().listVersionsByFunction(i)
      )
    )
  lambda
    .on(DeleteFunctionCommand)
    .callsFake(
      edge('DeleteFunction', (i: DeleteFunctionCommand['input']) => model().deleteFunction(i))
    )

  const iam = mockClient(IAMClient)
  iam.onAnyCommand().callsFake(notImplemented)
  iam.on(GetRoleCommand).callsFake((i: GetRoleCommand['input']) => later(() => model().getRole(i)))
  iam
    .on(CreateRoleCommand)
    .callsFake((i: CreateRoleCommand['input']) => later(() => model().createRole(i)))
  iam
    .on(AttachRolePolicyCommand)
    .callsFake((i: AttachRolePolicyCommand['input']) => later(() => model().attachRolePolicy(i)))
  iam
    .on(ListAttachedRolePoliciesCommand)
    .callsFake((i: ListAttachedRolePoliciesCommand['input']) =>
      later(() => model().listAttachedRolePolicies(i))
    )
  iam
    .on(ListServerCertificatesCommand)
    .callsFake((i: ListServerCertificatesCommand['input']) =>
      later(() => model().listServerCertificates(i))
    )
  iam
    .on(GetServerCertificateCommand)
    .callsFake((i: GetServerCertificateCommand['input']) =>
      later(() => model().getServerCertificate(i))
    )

  const cw = mockClient(CloudWatchClient)
  cw.onAnyCommand().callsFake(notImplemented)
  if (alarms !== undefined) {
    cw.on(DescribeAlarmsCommand).callsFake((i: DescribeAlarmsCommand['input']) =>
      later(() => alarms().describeAlarms(i))
    )
    cw.on(DescribeAlarmHistoryCommand).callsFake((i: DescribeAlarmHistoryCommand['input']) =>
      later(() => alarms().describeAlarmHistory(i))
    )
  }

  const stubs = [cf, r53, acm, lambda, iam, cw]
  return {
    wrongRegion,
    unimplemented: () =>
      [...new Set(stubs.flatMap((s) => s.calls().map(commandName)))].filter(
        (n) => !IMPLEMENTED.has(n)
      ),
    commands: () => stubs.flatMap((s) => s.calls().map(commandName)),
    reset: () => {
      for (const s of stubs) s.resetHistory()
      wrongRegion.length = 0
    },
    restore: () => {
      for (const s of stubs) s.restore()
    }
  }
}

export const RUN_URL = 'https://github.com/deep/app/actions/runs/4242'

export interface ModelContext extends Context {
  log: Context['log'] & { lines: string[] }
}

/** The run's facts the model runs pass (the actor and commit a rollout records). */
export const GITHUB_RUN = {
  actor: 'octocat',
  sha: '0123456789abcdef0123456789abcdef01234567',
  repository: 'deep/site'
}

/** A Context whose clients are the mocked SDK clients, clock and sleep driven by the model. */
export function modelContext(
  model: AwsModel,
  request: PublishRequest,
  runUrl = RUN_URL
): ModelContext {
  return {
    clients: createClients({ region: request.region, maxAttempts: 1 }),
    log: memoryLogger(),
    report: newReport('publish', request.dryRun),
    confirm: undefined,
    now: () => new Date(model.state.clock),
    sleep: async (ms: number) => {
      await Promise.resolve()
      model.advance(ms)
    },
    runUrl,
    github: GITHUB_RUN
  }
}

/** publish, or a ramp run when the request has a ramp (as the action dispatches them). */
export function runCommand(request: PublishRequest, ctx: Context): Promise<void> {
  return request.ramp === undefined ? publish(request, ctx) : publishRamp(request, ctx)
}

/**
 * Runs `start()` to completion under fake timers, firing each pending timer as it comes;
 * `elapsed` hears how much fake time each jump took (the model's clock follows it, so a waiter's
 * minutes pass for the model too).
 */
export async function drive<T>(
  start: () => Promise<T>,
  elapsed: (ms: number) => void = () => undefined,
  seed = 1
): Promise<T> {
  // The SDK waiters jitter their delays with Math.random: seeded, a run (and the interleaving
  // of two runs) is the same every time.
  let state = seed
  const random = jest.spyOn(Math, 'random').mockImplementation(() => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  })
  jest.useFakeTimers({
    doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'hrtime', 'performance']
  })
  try {
    // Settle into a value at once, so a rejection is never left unhandled while we spin.
    const run: { outcome?: { ok: true; value: T } | { ok: false; error: unknown } } = {}
    void start().then(
      (value) => (run.outcome = { ok: true, value }),
      (error: unknown) => (run.outcome = { ok: false, error })
    )
    let spins = 0
    for (;;) {
      // Let real I/O (the edge bundle read from disk) finish before fake time moves on, so
      // how two runs interleave does not depend on the disk.
      do await new Promise<void>((resolve) => setImmediate(resolve))
      while (
        process
          .getActiveResourcesInfo()
          .some((r) => r.startsWith('FSReq') || r === 'QueryReqWrap' || r === 'GetAddrInfoReqWrap')
      )
      const { outcome } = run
      if (outcome !== undefined) {
        if (outcome.ok) return outcome.value
        throw outcome.error
      }
      const before = jest.now()
      await jest.advanceTimersToNextTimerAsync()
      elapsed(jest.now() - before)
      spins += 1
      if (spins > 100_000) throw new Error('drive: the run does not settle (a waiter never ends?)')
    }
  } finally {
    jest.useRealTimers()
    random.mockRestore()
  }
}

/**
 * Nothing listens on 127.0.0.1:9: a manual-DNS check that no test pointed at its own DNS server
 * finds nothing, and never asks a resolver off this machine.
 */
export const NO_RESOLVER = '127.0.0.1:9'

export function publishRequest(raw: RawInputs): PublishRequest {
  const request = parseInputs({ region: 'eu-west-1', 'dns-resolvers': NO_RESOLVER, ...raw })
  if (request.command !== 'publish') throw new Error('not a publish request')
  return request
}

export interface RunOptions {
  /** The invariant to hold after every mutating call; none: not checked. */
  spec?: InvariantSpec | undefined
  /** Mutating call k (1-based within this run) fails with the given fault. */
  faults?: [number, FaultKind][]
  /** The workflow run's URL (default RUN_URL). */
  runUrl?: string
}

export interface RunResult {
  error: unknown
  /** Mutating calls made by this run, in order. */
  calls: CallRecord[]
  violations: Violation[]
  report: Report
  log: string[]
  unimplemented: string[]
  wrongRegion: string[]
}

export async function runPublish(
  model: AwsModel,
  mocks: Mocks,
  raw: RawInputs,
  options: RunOptions = {}
): Promise<RunResult> {
  const request = publishRequest(raw)
  const ctx = modelContext(model, request, options.runUrl)
  const violations: Violation[] = []
  const { spec } = options
  mocks.reset()
  model.beginRun()
  for (const [k, kind] of options.faults ?? []) model.failOn(k, kind)
  const stop = model.onMutation((call) => {
    if (spec !== undefined) violations.push(...checkInvariant(model, spec, call))
  })
  let error: unknown = undefined
  try {
    await drive(
      () => runCommand(request, ctx),
      (ms) => {
        model.advance(ms)
      }
    )
  } catch (e) {
    error = e
  } finally {
    stop()
  }
  return {
    error,
    calls: model.runCalls(),
    violations,
    report: ctx.report,
    log: ctx.log.lines,
    unimplemented: mocks.unimplemented(),
    wrongRegion: [...mocks.wrongRegion]
  }
}

/**
 * Two runs of publish interleaved deterministically, as when a workflow is triggered twice:
 * the first run's k-th mutating call is applied but its response held; the second run then runs
 * to the end; then the first run hears back and carries on (with what it read before).
 */
export async function runPublishInterleaved(
  model: AwsModel,
  mocks: Mocks,
  first: RawInputs,
  second: RawInputs,
  options: { holdAfter: number; spec: InvariantSpec }
): Promise<{
  errors: [unknown, unknown]
  calls: CallRecord[]
  violations: Violation[]
  unimplemented: string[]
  reports: [Report, Report] | undefined
}> {
  let reports: [Report, Report] | undefined
  const a = publishRequest(first)
  const b = publishRequest(second)
  const violations: Violation[] = []
  mocks.reset()
  model.beginRun()
  let release = (): void => undefined
  let held = (): void => undefined
  const released = new Promise<void>((resolve) => (release = resolve))
  const heldSignal = new Promise<void>((resolve) => (held = resolve))
  let seen = 0
  const stop = model.onMutation((call) => {
    violations.push(...checkInvariant(model, options.spec, call))
    seen += 1
    if (seen === options.holdAfter && call.outcome === 'ok')
      holdCurrentCall({ released, onHeld: held })
  })
  const settle = (p: Promise<void>): Promise<unknown> =>
    p.then(
      () => undefined,
      (error: unknown) => error ?? new Error('rejected without a reason')
    )
  try {
    const errors = await drive(
      async (): Promise<[unknown, unknown]> => {
        const ctxA = modelContext(model, a)
        const ctxB = modelContext(model, b)
        reports = [ctxA.report, ctxB.report]
        const runA = settle(runCommand(a, ctxA))
        // The second run starts once the first is held (or has finished without being held).
        await Promise.race([heldSignal, runA])
        const errorB = await settle(runCommand(b, ctxB))
        release()
        const errorA = await runA
        return [errorA, errorB]
      },
      (ms) => {
        model.advance(ms)
      }
    )
    return {
      errors,
      calls: model.runCalls(),
      violations,
      unimplemented: mocks.unimplemented(),
      reports
    }
  } finally {
    stop()
    release()
  }
}

/** A readable account of a run, for failure messages. */
export function describeRun(result: RunResult, max = 12): string {
  const calls = result.calls.map(
    (c, i) =>
      `  ${i + 1}. ${c.command} ${c.target} ${c.detail}${c.outcome === 'ok' ? '' : ` → ${c.outcome}: ${c.error ?? ''}`}`
  )
  const unique = [
    ...new Map(
      result.violations.map((v) => [`${v.kind}|${v.host}|${v.call}|${v.problem}`, v])
    ).values()
  ]
  const violations = unique.slice(0, max).map((v) => `  ${formatViolation(v)}`)
  const error =
    result.error === undefined
      ? 'none'
      : result.error instanceof Error
        ? `${result.error.name}: ${result.error.message}`
        : JSON.stringify(result.error)
  return [
    `error: ${error}`,
    `mutating calls (${result.calls.length}):`,
    ...calls,
    `violations (${result.violations.length}, ${unique.length} distinct):`,
    ...violations,
    ...(result.unimplemented.length > 0
      ? [`unimplemented commands: ${result.unimplemented.join(', ')}`]
      : []),
    ...(result.wrongRegion.length > 0
      ? [`edge Lambda calls outside us-east-1: ${result.wrongRegion.join(', ')}`]
      : [])
  ].join('\n')
}
