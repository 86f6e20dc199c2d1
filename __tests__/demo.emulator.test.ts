/**
 * What `npm run demo` stands on (scripts/demo/world.ts), on the emulator: its data pairs and
 * replicates through the built action, moving the buckets' recorded T0 back lets the next
 * prepare run the catch-up pass, and the traffic count through the edge stand-in adds up (every
 * viewer served by blue or green, returning viewers on their colour, shares near the ratio).
 */
import { runAction } from './helpers/action.js'
import { emulatorEndpoint } from './helpers/emulator.js'
import {
  createWorld,
  eventDeliverySettled,
  startEdgeStandIn,
  traffic,
  type EdgeStandIn,
  type World
} from '../scripts/demo/world.js'

const PAIR = { blue: 'stage:abcd1234', green: 'prod:wxyz0987' }

let world: World
let edge: EdgeStandIn

beforeAll(async () => {
  emulatorEndpoint()
  world = await createWorld()
  edge = await startEdgeStandIn({ endpoint: emulatorEndpoint() })
})

afterAll(async () => {
  await edge.close()
})

test("the demo's tables and buckets pair and copy; after T0 moves back, prepare's catch-up pass finishes the copy", async () => {
  const first = await runAction({ ...PAIR, command: 'replicate prepare', wait: 'false' })
  expect(first.stdout).not.toMatch(/::error::/)
  expect(first.outputs.progress).toBe('-1')
  for (const t of world.tables) expect(first.summary).toContain(`| ${t.blue} | ${t.green} |`)
  for (const b of world.buckets) expect(first.summary).toContain(`s3://${b.blue}`)
  await eventDeliverySettled(world)
  const second = await runAction({ ...PAIR, command: 'replicate prepare', wait: 'false' })
  expect(second.stdout).not.toMatch(/::error::/)
  expect(second.outputs.progress).toBe('0')
  const verified = await runAction({ ...PAIR, command: 'replicate verify' })
  expect(verified.code).toBe(0)
  expect(verified.outputs.differences).toBe('0')
})

test('the traffic count: all on blue before, about 9:1 after publish 9:1, returning viewers stay', async () => {
  const viewers = { viewers: 60, returns: 2 }
  const before = await traffic(edge, world.site, viewers)
  expect(before).toEqual({ requests: 180, blue: 60, green: 0, none: 0, stayed: 120, moved: 0 })

  const res = await runAction({
    ...PAIR,
    command: 'publish',
    ratio: '9:1',
    'domain-name': world.site.domain
  })
  expect({ code: res.code, log: res.code === 0 ? '' : res.stdout }).toEqual({ code: 0, log: '' })
  const after = await traffic(edge, world.site, viewers)
  expect(after.blue + after.green).toBe(60)
  expect(after.none).toBe(0)
  // 10 % green of 60 viewers: 6 expected; 0 or more than 20 would be a broken split.
  expect(after.green).toBeGreaterThan(0)
  expect(after.green).toBeLessThan(20)
  expect({ stayed: after.stayed, moved: after.moved }).toEqual({ stayed: 120, moved: 0 })
})
