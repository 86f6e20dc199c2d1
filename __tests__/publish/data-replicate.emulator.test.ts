/**
 * publish with data-replicate: true, the built action on the emulator. Traffic must not move
 * until replication has caught up: the first run prepares (backfill) and starts replication,
 * then refuses to shift traffic and leaves every distribution as it was.
 */
import { CloudFrontClient, ListDistributionsCommand } from '@aws-sdk/client-cloudfront'
import { runAction } from '../helpers/action.js'
import { createSite, type Site } from '../helpers/site.js'
import { countItems, createTable, hashKey, makeCtx, seed } from '../replicate/helpers.js'

const cf = new CloudFrontClient({ region: 'us-east-1' })

async function aliases(): Promise<Record<string, string[]>> {
  const res = await cf.send(new ListDistributionsCommand({}))
  return Object.fromEntries(
    (res.DistributionList?.Items ?? []).map((d) => [
      d.Id ?? '',
      [...(d.Aliases?.Items ?? [])].sort()
    ])
  )
}

let site: Site
const ctx = makeCtx()

beforeAll(async () => {
  site = await createSite()
  const db = ctx.clients.dynamodb
  await createTable(db, 'DeepStageTodoabcd1234', { hash: ['id', 'S'] })
  await createTable(db, 'DeepProdTodowxyz0987', { hash: ['id', 'S'] })
  await seed(db, 'DeepStageTodoabcd1234', hashKey, 40)
})

const inputs = {
  blue: 'stage:abcd1234',
  green: 'prod:wxyz0987',
  'domain-name': 'www.deep.mg',
  ratio: '9:1',
  'data-replicate': 'true',
  tables: 'Todo',
  segments: '2'
}

test('a dry run plans the replication and the traffic shift and changes nothing', async () => {
  const before = await aliases()
  const run = await runAction({ ...inputs, 'dry-run': 'true' })
  expect(run.stdout).not.toMatch(/::error::/)
  expect(run.code).toBe(0)
  expect(run.outputs.changed).toBe('false')
  expect(run.summary).toMatch(/DeepProdTodowxyz0987/)
  expect(run.summary).toMatch(/Router/)
  expect(await aliases()).toEqual(before)
  expect(await countItems(ctx.clients.dynamodb, 'DeepProdTodowxyz0987')).toBe(0)
})

test('the first run replicates the data, then refuses to move traffic while replication catches up', async () => {
  const before = await aliases()
  const run = await runAction(inputs)
  expect(run.code).toBe(1)
  expect(run.stdout).toMatch(/::error::data-replicate: replication from blue to green is at \d+ %/)
  // The backfill copied every item to green; no distribution changed.
  expect(await countItems(ctx.clients.dynamodb, 'DeepProdTodowxyz0987')).toBe(40)
  expect(await aliases()).toEqual(before)
  expect(before[site.blueId]).toEqual([site.domain])
  expect(run.summary).toMatch(/### Replication/)
})
