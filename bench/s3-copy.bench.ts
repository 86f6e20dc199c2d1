/**
 * Bucket copy benchmark on the emulator (not part of `npm test`). Run: `npm run bench:s3-copy`
 * (BENCH_OBJECTS=2000 for a quicker run). On one emulator, in one run, it prints:
 *   - a raw loop: list blue, CopyObject every key into an empty bucket, as many in flight as the
 *     engine uses;
 *   - the engine (copyBucket): both listings merged, ignore rules, equality checks, conditional
 *     copies and a checkpoint in a DynamoDB control table, into another empty bucket;
 *   - objects/s of each, interleaved and twice each (the machine is shared), and their ratio;
 *     then the engine's re-run over a copied bucket (a new pass that finds everything equal: the
 *     cost of resuming or catching up).
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { CopyObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { copySource, listObjects } from '../src/aws/s3.js'
import { mapLimit } from '../src/concurrency.js'
import { controlTableCopyStore } from '../src/replicate/s3/checkpoint.js'
import { copyBucket } from '../src/replicate/s3/copy.js'
import { ignoreRules } from '../src/replicate/s3/ignore.js'
import { clients, copyDeps, createBucket, snapshot } from '../__tests__/replicate/s3/helpers.js'

const N = Number(process.env.BENCH_OBJECTS ?? 10_000)
const CONCURRENCY = 16

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}

const rate = (n: number, ms: number): number => Math.round((n / ms) * 1000)

test(`bucket copy throughput against a raw CopyObject loop (${N} objects)`, async () => {
  const s3 = clients().s3
  const blue = 'bench-blue'
  await createBucket(blue)
  await createBucket('bench-green-raw')
  await createBucket('bench-green-engine')
  await mapLimit(
    Array.from({ length: N }, (_, i) => i),
    32,
    (i) =>
      s3.send(
        new PutObjectCommand({
          Bucket: blue,
          Key: `objects/${String(i % 100).padStart(2, '0')}/item ${i}.json`,
          Body: JSON.stringify({ i, pad: 'x'.repeat(200) }),
          ContentType: 'application/json'
        })
      )
  )
  out(`[bench] ${N} objects of ~220 bytes in ${blue}`)

  // The engine keeps its checkpoint in a DynamoDB control table on the same emulator.
  const dynamodb = new DynamoDBClient({ region: 'us-east-1' })
  const table = 'bench-s3-control'
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' }
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' }
      ]
    })
  )

  /** Raw loop: list blue, then CopyObject each key, CONCURRENCY in flight. */
  const raw = async (green: string): Promise<number> => {
    await createBucket(green)
    const start = performance.now()
    const keys: string[] = []
    for await (const page of listObjects(s3, blue)) keys.push(...page.map((o) => o.key))
    await mapLimit(keys, CONCURRENCY, (key) =>
      s3.send(new CopyObjectCommand({ Bucket: green, Key: key, CopySource: copySource(blue, key) }))
    )
    return performance.now() - start
  }
  const engine = async (green: string) => {
    await createBucket(green)
    const store = controlTableCopyStore(dynamodb, table, `${blue}-${green}`, {
      sleep: () => Promise.resolve()
    })
    const job = {
      pair: { blue, green, kind: 'private' as const },
      ignore: ignoreRules('private'),
      store,
      deleteExtra: false,
      keepRedirects: false
    }
    const start = performance.now()
    const copied = await copyBucket(job, copyDeps(), { concurrency: CONCURRENCY })
    const ms = performance.now() - start
    expect(copied.run.copied).toBe(N)
    return { ms, job }
  }

  // Interleaved, twice each, so that the machine's load drifts over both alike.
  const rawMs = [await raw('bench-green-raw-1')]
  const first = await engine('bench-green-engine-1')
  rawMs.push(await raw('bench-green-raw-2'))
  const second = await engine('bench-green-engine-2')
  const engineMs = [first.ms, second.ms]

  const rerunStart = performance.now()
  const rerun = await copyBucket(
    { ...first.job, freshAfter: new Date(Date.now() + 1000) },
    copyDeps(),
    { concurrency: CONCURRENCY }
  )
  const rerunMs = performance.now() - rerunStart
  expect(rerun.run).toMatchObject({ skipped: N, copied: 0 })
  expect(await snapshot(s3, 'bench-green-engine-1')).toEqual(
    await snapshot(s3, 'bench-green-raw-1')
  )

  const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
  rawMs.forEach((ms, i) => {
    out(
      `[bench] raw CopyObject loop, run ${i + 1}: ${N} objects in ${Math.round(ms)} ms = ${rate(N, ms)} objects/s`
    )
  })
  engineMs.forEach((ms, i) => {
    out(
      `[bench] copy engine, run ${i + 1}:      ${N} objects in ${Math.round(ms)} ms = ${rate(N, ms)} objects/s (checkpoints in DynamoDB)`
    )
  })
  const pairs = rawMs.map((r, i) => (r / (engineMs[i] ?? r)).toFixed(2)).join(', ')
  out(
    `[bench] ratio engine/raw, objects/s over both runs: ${(total(rawMs) / total(engineMs)).toFixed(2)} (per pair: ${pairs})`
  )
  out(
    `[bench] engine re-run, all equal: ${N} objects in ${Math.round(rerunMs)} ms = ${rate(N, rerunMs)} objects/s (${(total(rawMs) / 2 / rerunMs).toFixed(2)}x the raw copy loop)`
  )
})
