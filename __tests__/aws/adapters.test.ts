/**
 * The shared Lambda and IAM adapters as the edge router and the replication function use them,
 * with aws-sdk-client-mock: a create tells its caller that something changed (made, or adopted
 * after a lost answer) before it waits, so a failed wait still counts the change; the pauses
 * while IAM propagates are told; a managed policy is found on any page of the role's list.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  NoSuchEntityException
} from '@aws-sdk/client-iam'
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  InvalidParameterValueException,
  LambdaClient,
  ResourceConflictException,
  UpdateFunctionCodeCommand
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { createRole, hasManagedPolicy, trustPolicy } from '../../src/aws/iam.js'
import { createFunction, updateFunctionCode } from '../../src/aws/lambda.js'
import { EDGE_FUNCTION, EDGE_ROLE } from '../../src/publish/edge-package.js'

const ROLE_ARN = 'arn:aws:iam::123456789012:role/bluegreen-edge-router'
const ROLE = {
  Arn: ROLE_ARN,
  RoleName: 'bluegreen-edge-router',
  RoleId: 'AROAEXAMPLE',
  Path: '/',
  CreateDate: new Date('2026-06-01T12:00:00Z')
}
const sleep = (): Promise<void> => Promise.resolve()
const spec = {
  name: 'bluegreen-router-www-deep-mg',
  roleArn: ROLE_ARN,
  zip: new Uint8Array([1]),
  ...EDGE_FUNCTION
}

describe('IAM roles', () => {
  const iam = new IAMClient({ region: 'us-east-1' })
  const mock = mockClient(iam)
  afterEach(() => mock.reset())

  test('a role created is told as made; one that exists already (EntityAlreadyExists) is read back and told as adopted', async () => {
    const told: string[] = []
    const onChange = (how: string): void => {
      told.push(how)
    }
    mock.on(CreateRoleCommand).resolves({ Role: ROLE })
    expect(await createRole(iam, EDGE_ROLE, { onChange })).toBe(ROLE_ARN)
    expect(mock.commandCalls(GetRoleCommand)).toHaveLength(0)
    mock.reset()
    mock.on(CreateRoleCommand).rejects(
      Object.assign(new Error('Role with name bluegreen-edge-router already exists.'), {
        name: 'EntityAlreadyExists'
      })
    )
    mock.on(GetRoleCommand).resolves({ Role: ROLE })
    expect(await createRole(iam, EDGE_ROLE, { onChange })).toBe(ROLE_ARN)
    expect(told).toEqual(['made', 'adopted'])
  })

  test('the edge role is trusted by Lambda and Lambda@Edge', async () => {
    mock.on(CreateRoleCommand).resolves({ Role: ROLE })
    await createRole(iam, EDGE_ROLE)
    const document = mock.commandCalls(CreateRoleCommand)[0]?.args[0].input.AssumeRolePolicyDocument
    expect(JSON.parse(document ?? '{}')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] },
          Action: 'sts:AssumeRole'
        }
      ]
    })
    expect(document).toBe(trustPolicy(EDGE_ROLE.trustedServices))
  })

  test('a managed policy on a later page is found; a role that does not exist has none', async () => {
    mock
      .on(ListAttachedRolePoliciesCommand)
      .resolvesOnce({
        AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/Other' }],
        IsTruncated: true,
        Marker: 'page-2'
      })
      .resolves({ AttachedPolicies: [{ PolicyArn: EDGE_ROLE.policyArn }], IsTruncated: false })
    expect(await hasManagedPolicy(iam, EDGE_ROLE.name, EDGE_ROLE.policyArn)).toBe(true)
    expect(mock.commandCalls(ListAttachedRolePoliciesCommand)[1]?.args[0].input.Marker).toBe(
      'page-2'
    )
    mock.reset()
    mock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [], IsTruncated: false })
    expect(await hasManagedPolicy(iam, EDGE_ROLE.name, EDGE_ROLE.policyArn)).toBe(false)
    mock.reset()
    mock
      .on(ListAttachedRolePoliciesCommand)
      .rejects(new NoSuchEntityException({ message: 'no role', $metadata: {} }))
    expect(await hasManagedPolicy(iam, EDGE_ROLE.name, EDGE_ROLE.policyArn)).toBe(false)
    mock.reset()
    mock
      .on(ListAttachedRolePoliciesCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }))
    await expect(hasManagedPolicy(iam, EDGE_ROLE.name, EDGE_ROLE.policyArn)).rejects.toThrow(
      'denied'
    )
    expect(mock.commandCalls(AttachRolePolicyCommand)).toHaveLength(0)
  })
})

describe('Lambda functions', () => {
  const lambda = new LambdaClient({ region: 'us-east-1' })
  const mock = mockClient(lambda)
  afterEach(() => mock.reset())
  /** createFunction, with what it told (made / adopted) and its ARN or the error it threw. */
  const create = async (): Promise<{ told: string[]; outcome: string }> => {
    const told: string[] = []
    const outcome = await createFunction(lambda, spec, {
      sleep,
      minDelay: 1,
      onChange: (how) => told.push(how)
    }).catch((error: unknown) => `threw ${error instanceof Error ? error.message : 'a non-Error'}`)
    return { told, outcome }
  }

  test('a create is told before its wait, so a function that then fails still counts as a change', async () => {
    mock.on(CreateFunctionCommand).resolves({ FunctionArn: 'arn:fn' })
    mock.on(GetFunctionCommand).resolves({ Configuration: { State: 'Failed' } })
    const { told, outcome } = await create()
    expect(outcome).toMatch(/^threw /)
    expect(told).toEqual(['made'])
  })

  test('a lost create answer (the retry meets ResourceConflict) adopts the function and tells so', async () => {
    mock
      .on(CreateFunctionCommand)
      .rejects(new ResourceConflictException({ message: 'Function already exist', $metadata: {} }))
    mock
      .on(GetFunctionCommand)
      .resolves({ Configuration: { FunctionArn: 'arn:fn', State: 'Active' } })
    expect(await create()).toEqual({ told: ['adopted'], outcome: 'arn:fn' })
  })

  test('a conflict with no function behind it is not adopted', async () => {
    mock
      .on(CreateFunctionCommand)
      .rejects(new ResourceConflictException({ message: 'in progress', $metadata: {} }))
    mock
      .on(GetFunctionCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }))
    expect(await create()).toEqual({ told: [], outcome: 'threw in progress' })
  })

  test('each pause while the new role is not assumable yet is told, with its length', async () => {
    const notYet = new InvalidParameterValueException({
      message: 'The role defined for the function cannot be assumed by Lambda.',
      $metadata: {}
    })
    mock
      .on(CreateFunctionCommand)
      .rejectsOnce(notYet)
      .rejectsOnce(notYet)
      .resolves({ FunctionArn: 'arn:fn' })
    mock.on(GetFunctionCommand).resolves({ Configuration: { State: 'Active' } })
    const pauses: number[] = []
    await createFunction(lambda, spec, {
      sleep,
      minDelay: 1,
      onRetry: (_error, ms) => pauses.push(ms)
    })
    expect(pauses).toEqual([5000, 5000])
    expect(mock.commandCalls(CreateFunctionCommand)).toHaveLength(3)
  })

  test('a code update is told before its wait, so an update that then fails still counts', async () => {
    let told = 0
    mock.on(UpdateFunctionCodeCommand).resolves({})
    mock.on(GetFunctionCommand).resolves({
      Configuration: { State: 'Active', LastUpdateStatus: 'Failed' }
    })
    await expect(
      updateFunctionCode(lambda, spec.name, spec.zip, { minDelay: 1, onChange: () => told++ })
    ).rejects.toThrow()
    expect(told).toBe(1)
  })
})
