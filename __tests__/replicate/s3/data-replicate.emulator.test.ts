/**
 * publish with data-replicate: true covers the environment's buckets too, through the built
 * action on the emulator: the first publish prepares (capture, the copy) and leaves traffic where
 * it is while the copy's catch-up pass is due; once it has run and replication is attached, a
 * change of blue still waiting in the events queue holds traffic back; once the function has
 * applied it, traffic moves.
 */
import { CloudFrontClient, ListDistributionsCommand } from '@aws-sdk/client-cloudfront'
import { replicationNames } from '../../../src/replicate/names.js'
import { runAction } from '../../helpers/action.js'
import { createSite, type Site } from '../../helpers/site.js'
import { deep } from '../helpers.js'
import { body, clients, createBucket, deliverEvents, put } from './helpers.js'
import { bucketT0Reached } from '../../helpers/bucket-clock.js'

const BLUE = 'deep.stage.private.abcd1234'
const GREEN = 'deep.prod.private.wxyz0987'
const names = replicationNames(deep('stage', 'abcd1234'), deep('prod', 'wxyz0987'))
const cf = new CloudFrontClient({ region: 'us-east-1' })
const inputs = {
  blue: 'stage:abcd1234',
  green: 'prod:wxyz0987',
  'domain-name': 'www.deep.mg',
  ratio: '9:1',
  'data-replicate': 'true',
  // The catch-up pass is left to the next run instead of waiting for T0 (moved back below).
  wait: 'false'
}

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

beforeAll(async () => {
  site = await createSite()
  await createBucket(BLUE)
  await createBucket(GREEN)
  await put(BLUE, 'report 2026.pdf', 'blue data')
})

test('traffic moves only once the buckets are copied and every event of blue is applied', async () => {
  const before = await aliases()
  const first = await runAction(inputs)
  expect(first.code).toBe(1)
  expect(first.stdout).toMatch(/::error::.*needs its catch-up pass/)
  expect(await aliases()).toEqual(before)
  expect(await body(GREEN, 'report 2026.pdf')).toBe('blue data')

  // T0 has come (moved back to just after the first pass began).
  await bucketT0Reached(clients().dynamodb, names.controlTable, [BLUE])
  await put(BLUE, 'late.txt', 'written after the copy')
  const second = await runAction(inputs)
  expect(second.code).toBe(1)
  expect(second.stdout).toMatch(
    /::error::data-replicate: replication from blue to green is at \d+ %/
  )
  expect(await aliases()).toEqual(before)

  // The function applies what waited in the events queue: replication has caught up.
  expect((await deliverEvents(names)).failed).toEqual([])
  expect(await body(GREEN, 'late.txt')).toBe('written after the copy')
  const third = await runAction(inputs)
  expect(third.stdout).not.toMatch(/::error::/)
  expect(third.code).toBe(0)
  expect(third.outputs).toMatchObject({ state: 'split', ratio: '9:1', progress: '100' })
  expect((await aliases())[site.blueId]).toEqual([site.wildcard])
  expect(third.summary).toContain(`s3://${BLUE}`)
})
