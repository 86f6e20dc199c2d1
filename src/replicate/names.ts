/**
 * Names derived from blue and green: the control table, the function, its role and the queue
 * of batches the function failed on.
 */
import { createHash } from 'node:crypto'
import type { EnvRef } from '../inputs.js'

function token(ref: EnvRef): string {
  if (ref.kind === 'deep') return ref.env === undefined ? ref.hash : `${ref.env}-${ref.hash}`
  if (ref.kind === 'distribution') return ref.id
  return ref.alias
}

export interface ReplicationNames {
  controlTable: string
  functionName: string
  roleName: string
  policyName: string
  /** `<functionName>-failures` (at most 73 characters; SQS allows 80). */
  failureQueue: string
}

/**
 * `bluegreen-replication-<blue>-<green>` (DEEP: `<env>-<hash>`); the function and role names
 * are the same when they fit Lambda's and IAM's 64 characters, else a hash of it.
 */
export function replicationNames(blue: EnvRef, green: EnvRef): ReplicationNames {
  const controlTable = `bluegreen-replication-${token(blue)}-${token(green)}`.slice(0, 255)
  const short =
    controlTable.length <= 64 && /^[A-Za-z0-9_-]+$/.test(controlTable)
      ? controlTable
      : `bluegreen-replication-${createHash('sha256').update(controlTable).digest('hex').slice(0, 16)}`
  return {
    controlTable,
    functionName: short,
    roleName: short,
    policyName: 'bluegreen-replication',
    failureQueue: `${short}-failures`
  }
}
