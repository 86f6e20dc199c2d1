/**
 * docs/iam/ as users get it: the README's IAM policy block is generated from it (and fails here
 * when the two differ), every policy file is a valid, attachable IAM policy document, and the
 * trust policy lets only GitHub's OIDC tokens for one repository and environment assume the role.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { POLICY_DIR, POLICY_NAMES, TRUST_POLICY, type PolicyDocument } from './helpers/iam.js'

const read = (file: string): string => readFileSync(path.join(POLICY_DIR, file), 'utf8')

test('the README block is what npm run docs:iam writes from docs/iam/', () => {
  expect(() =>
    execFileSync(process.execPath, ['scripts/docs-iam.mjs', '--check'], { stdio: 'pipe' })
  ).not.toThrow()
})

test.each(POLICY_NAMES)(
  '%s.json is an attachable policy: unique Sids, ARNs or *, under 6,144 characters',
  (name) => {
    const text = read(`${name}.json`)
    const doc = JSON.parse(text) as PolicyDocument
    expect(doc.Version).toBe('2012-10-17')
    const sids = doc.Statement.map((s) => s.Sid)
    expect(new Set(sids).size).toBe(sids.length)
    for (const s of doc.Statement) {
      expect(s.Effect).toBe('Allow')
      for (const r of [s.Resource].flat()) expect(r).toMatch(/^(\*|arn:aws:[a-z0-9-]+:)/)
      for (const a of [s.Action].flat()) expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z*]+$/)
    }
    // A customer-managed policy holds at most 6,144 characters, white space not counted.
    expect(text.replace(/\s/g, '').length).toBeLessThanOrEqual(6144)
  }
)

test('the trust policy: GitHub OIDC only, audience sts.amazonaws.com, sub scoped to a repository and environment', () => {
  const doc = JSON.parse(read(TRUST_POLICY)) as {
    Statement: {
      Principal: { Federated: string }
      Action: string
      Condition: { StringEquals: Record<string, string> }
    }[]
  }
  expect(doc.Statement).toHaveLength(1)
  const [s] = doc.Statement
  expect(s?.Principal.Federated).toBe(
    'arn:aws:iam::ACCOUNT_ID:oidc-provider/token.actions.githubusercontent.com'
  )
  expect(s?.Action).toBe('sts:AssumeRoleWithWebIdentity')
  expect(s?.Condition.StringEquals).toEqual({
    'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
    'token.actions.githubusercontent.com:sub': 'repo:OWNER/REPO:environment:ENVIRONMENT'
  })
})
