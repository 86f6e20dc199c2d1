/**
 * What `npm run demo` (scripts/demo.mjs) sets up and measures on the emulator, in TypeScript and
 * bundled for it by esbuild: the tests' own site, edge stand-in and ramp clock, plus the demo's
 * data (DynamoDB tables and S3 buckets of DEEP's stage and prod environments) and its traffic
 * sample. Nothing here is part of the action.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { CloudFrontClient } from '@aws-sdk/client-cloudfront'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { replicationNames } from '../../src/replicate/names.js'
import {
  sampleTraffic,
  startEdgeStandIn,
  type EdgeStandIn
} from '../../__tests__/helpers/edge-standin.js'
import { bucketT0Reached } from '../../__tests__/helpers/bucket-clock.js'
import { passTime } from '../../__tests__/helpers/ramp-clock.js'
import { createSite, type Site } from '../../__tests__/helpers/site.js'

export { startEdgeStandIn, type EdgeStandIn }

const REGION = 'us-east-1'
export const BLUE = { env: 'stage', hash: 'abcd1234' }
export const GREEN = { env: 'prod', hash: 'wxyz0987' }
/** DEEP's names: a table per model, a private and a public bucket per environment. */
const tableOf = (e: { env: string; hash: string }, model: string): string =>
  `Deep${e.env[0]?.toUpperCase() ?? ''}${e.env.slice(1)}${model}${e.hash}`
const bucketOf = (e: { env: string; hash: string }, kind: 'private' | 'public'): string =>
  `deep.${e.env}.${kind}.${e.hash}`

export interface World {
  site: Site
  tables: { blue: string; green: string; items: number }[]
  buckets: { blue: string; green: string; objects: number }[]
}

/** The site (certificate, zone, blue and green distributions), tables and buckets with data. */
export async function createWorld(): Promise<World> {
  const site = await createSite('www.deep.mg', REGION)
  const db = new DynamoDBClient({ region: REGION })
  const s3 = new S3Client({ region: REGION, forcePathStyle: true })
  const tables = []
  for (const [model, count] of [
    ['Todo', 12],
    ['User', 5]
  ] as const) {
    const pair = { blue: tableOf(BLUE, model), green: tableOf(GREEN, model), items: count }
    for (const name of [pair.blue, pair.green]) {
      await db.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }]
        })
      )
    }
    for (let i = 0; i < count; i++) {
      await db.send(
        new PutItemCommand({
          TableName: pair.blue,
          Item: { id: { S: `${model.toLowerCase()}-${i}` }, title: { S: `${model} ${i} on blue` } }
        })
      )
    }
    tables.push(pair)
  }
  const files: Record<'private' | 'public', Record<string, string>> = {
    private: {
      'uploads/avatar-1.png': 'png bytes',
      'uploads/report 2026.pdf': 'pdf bytes',
      'exports/todos.csv': 'id,title\n1,first',
      'temp/scratch.txt': 'ignored: temp/ is not replicated'
    },
    public: {
      'index.html': "blue's own page (ignored: each site keeps its own)",
      'shared/app.js': 'console.log(1)',
      'shared/style.css': 'body{}'
    }
  }
  const buckets = []
  for (const kind of ['private', 'public'] as const) {
    const pair = { blue: bucketOf(BLUE, kind), green: bucketOf(GREEN, kind), objects: 0 }
    for (const name of [pair.blue, pair.green]) {
      await s3.send(new CreateBucketCommand({ Bucket: name }))
    }
    for (const [key, body] of Object.entries(files[kind])) {
      await s3.send(new PutObjectCommand({ Bucket: pair.blue, Key: key, Body: body }))
      pair.objects++
    }
    buckets.push(pair)
  }
  db.destroy()
  s3.destroy()
  return { site, tables, buckets }
}

/**
 * Time passing for the buckets' T0 (S3 event delivery takes minutes to settle, so prepare
 * records T0 a few minutes ahead): the recorded T0 of each bucket pair moves back to just after
 * its first copy pass began, as the tests do, so that the next prepare runs the catch-up pass.
 */
export async function eventDeliverySettled(world: World): Promise<void> {
  const names = replicationNames({ kind: 'deep', ...BLUE }, { kind: 'deep', ...GREEN })
  const db = new DynamoDBClient({ region: REGION })
  await bucketT0Reached(
    db,
    names.controlTable,
    world.buckets.map((b) => b.blue)
  )
  db.destroy()
}

/** `hours` pass for a ramp: its recorded times move back (the action's clock is untouched). */
export async function rampTimePasses(hours: number): Promise<void> {
  const cf = new CloudFrontClient({ region: REGION })
  await passTime(cf, 'www.deep.mg', hours)
  cf.destroy()
}

export interface Traffic {
  requests: number
  blue: number
  green: number
  none: number
  stayed: number
  moved: number
}

/**
 * `viewers` new viewers (each a cookie jar) open https://www.deep.mg/ through the edge stand-in,
 * following redirects; each comes back `returns` times. Counts where first visits landed, and
 * how many returns landed where that viewer's first visit did.
 */
export async function traffic(
  edge: EdgeStandIn,
  site: Site,
  options: { viewers: number; returns: number }
): Promise<Traffic> {
  await edge.refresh()
  const sample = await sampleTraffic(edge, `https://${site.domain}/`, options)
  const count = (id: string): number => sample.first[id] ?? 0
  const known = count(site.blueId) + count(site.greenId)
  return {
    requests: options.viewers * (1 + options.returns),
    blue: count(site.blueId),
    green: count(site.greenId),
    none: options.viewers - known,
    stayed: sample.stayed,
    moved: sample.moved
  }
}
