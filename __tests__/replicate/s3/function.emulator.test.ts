/**
 * The replication function's own package (the zip prepare deploys, index.js run as Lambda runs
 * it: CommonJS, configuration from its environment) given a batch of the events queue: blue's
 * object events as EventBridge delivers them copy and delete on green, an ignored key is left
 * alone, and a message it cannot apply is reported by its id (partial batch response).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DeleteObjectCommand } from '@aws-sdk/client-s3'
import { unzipSync } from 'fflate'
import { handlerZip } from '../../../src/replicate/deploy.js'
import { emulatorEndpoint } from '../../helpers/emulator.js'
import { eventBridgeEvent } from './fixtures.js'
import { body, clients, createBucket, put, snapshot } from './helpers.js'

const BLUE = 'deep.stage.private.fn000001'
const GREEN = 'deep.prod.private.fn000001'

let dir: string

beforeAll(async () => {
  const files = unzipSync(await handlerZip())
  dir = mkdtempSync(path.join(tmpdir(), 'bluegreen-function-'))
  writeFileSync(path.join(dir, 'index.js'), files['index.js'] ?? new Uint8Array())
  await createBucket(BLUE)
  await createBucket(GREEN)
})

/** Runs the packaged handler on `event` in a fresh Node process, as Lambda would. */
function invoke(event: unknown): { batchItemFailures: { itemIdentifier: string }[] } {
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>require("./index.js").handler(JSON.parse(s)).then((r)=>process.stdout.write(JSON.stringify(r))))'
    ],
    {
      cwd: dir,
      input: JSON.stringify(event),
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: emulatorEndpoint(),
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BLUEGREEN_TABLE_MAP: '{}',
        BLUEGREEN_BUCKET_MAP: JSON.stringify({
          [BLUE]: { green: GREEN, kind: 'private', ignore: ['temp'] }
        })
      },
      stdio: ['pipe', 'pipe', 'pipe']
    }
  )
  return JSON.parse(out.toString()) as { batchItemFailures: { itemIdentifier: string }[] }
}

const batch = (bodies: unknown[]) => ({
  Records: bodies.map((b, i) => ({
    messageId: `m${i}`,
    receiptHandle: `h${i}`,
    body: JSON.stringify(b),
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bluegreen-replication-x-s3-events',
    awsRegion: 'us-east-1'
  }))
})

test('the deployed package copies what blue has, deletes what blue lost, leaves ignored keys, and names the message it cannot apply', async () => {
  await put(BLUE, 'docs/a b+c.txt', 'blue')
  await put(BLUE, 'temp/x.txt', 'ignored')
  await put(GREEN, 'gone.txt', 'blue deleted this')
  await put(GREEN, 'temp/green.txt', 'green keeps this')
  const answer = invoke(
    batch([
      eventBridgeEvent('Object Created', BLUE, 'docs/a b+c.txt'),
      eventBridgeEvent('Object Created', BLUE, 'temp/x.txt'),
      eventBridgeEvent('Object Deleted', BLUE, 'gone.txt'),
      eventBridgeEvent('Object Deleted', BLUE, 'temp/green.txt'),
      eventBridgeEvent('Object Created', 'not-a-replicated-bucket', 'k')
    ])
  )
  expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm4' }] })
  expect([...(await snapshot(clients().s3, GREEN)).keys()].sort()).toEqual([
    'docs/a b+c.txt',
    'temp/green.txt'
  ])
  expect(await body(GREEN, 'docs/a b+c.txt')).toBe('blue')

  // A late event of an older write: the function reads blue, so green gets blue as it is now.
  await put(BLUE, 'docs/a b+c.txt', 'blue v2')
  await clients().s3.send(new DeleteObjectCommand({ Bucket: BLUE, Key: 'docs/a b+c.txt' }))
  expect(invoke(batch([eventBridgeEvent('Object Created', BLUE, 'docs/a b+c.txt')]))).toEqual({
    batchItemFailures: []
  })
  expect((await snapshot(clients().s3, GREEN)).has('docs/a b+c.txt')).toBe(false)
})
