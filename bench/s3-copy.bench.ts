/**
 * Bucket copy benchmark on the emulator (not part of `npm test`). Run: `npm run bench:s3-copy`
 * (BENCH_OBJECTS=2000 for a quicker run). On one emulator, in one run, it prints:
 *   - a raw loop: list blue, CopyObject every key into an empty bucket, as many in flight as the
 *     engine uses;
 *   - the engine (copyBucket): both listings merged, ignore rules, equality checks, conditional
 *     copies and a checkpoint in a DynamoDB control table, into another empty bucket;
 *   - `replicate prepare` of the pair as a user runs it (the wired path: discover, the control
 *     table, the function, the rule, the queue, EventBridge on blue, T0, then the copy step),
 *     into a third empty bucket: the copy step's own time and the whole command's;
 *   - objects/s of each, interleaved and twice each (the machine is shared), and their ratios;
 *     then the engine's re-run over a copied bucket (a new pass that finds everything equal: the
 *     cost of resuming, or of prepare's catch-up pass after T0).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { CopyObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { copySource, listObjects } from '../src/aws/s3.js'
import { mapLimit } from '../src/concurrency.js'
import { createControlTable } from '../src/replicate/control.js'
import { controlTableCopyStore } from '../src/replicate/s3/checkpoint.js'
import { copyBucket } from '../src/replicate/s3/copy.js'
import { ignoreRules } from '../src/replicate/s3/ignore.js'
import { replicate } from '../src/replicate/index.js'
import { clients, copyDeps, createBucket, snapshot } from '../__tests__/replicate/s3/helpers.js'
import { deep, makeCtx, request } from '../__tests__/replicate/helpers.js'

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
  await createControlTable(dynamodb, table)

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

  /** `replicate prepare` of blue into `green` (a pair of its own): the copy step and the whole. */
  const prepare = async (green: string, run: number) => {
    await createBucket(green)
    const ctx = makeCtx()
    let copyMs = 0
    const group = ctx.log.group.bind(ctx.log)
    ctx.log.group = async (title, fn) => {
      const start = performance.now()
      try {
        return await group(title, fn)
      } finally {
        if (title.startsWith('Copy ')) copyMs += performance.now() - start
      }
    }
    const req = request('prepare', {
      blue: deep('bench', `b1ue000${run}`),
      green: deep('prod', `9ree000${run}`),
      buckets: [{ blue, green, kind: 'private' }],
      resources: { tables: false, buckets: true }
    })
    const start = performance.now()
    // T0 at once (S3 on AWS takes about five minutes): the pass begins after it, no catch-up.
    await replicate(req, ctx, {
      waiterMinDelay: 1,
      notificationPropagationMs: 0,
      copyTuning: { concurrency: CONCURRENCY }
    })
    const ms = performance.now() - start
    expect((await snapshot(s3, green)).size).toBe(N)
    return { ms, copyMs }
  }

  // Interleaved, twice each, so that the machine's load drifts over all alike.
  const rawMs = [await raw('bench-green-raw-1')]
  const first = await engine('bench-green-engine-1')
  const prepared = [await prepare('bench-green-prepare-1', 1)]
  rawMs.push(await raw('bench-green-raw-2'))
  const second = await engine('bench-green-engine-2')
  prepared.push(await prepare('bench-green-prepare-2', 2))
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
  prepared.forEach((p, i) => {
    out(
      `[bench] replicate prepare, run ${i + 1}:  copy step ${N} objects in ${Math.round(p.copyMs)} ms = ${rate(N, p.copyMs)} objects/s; whole command ${Math.round(p.ms)} ms`
    )
  })
  const copyTotal = total(prepared.map((p) => p.copyMs))
  const wholeTotal = total(prepared.map((p) => p.ms))
  out(
    `[bench] ratio prepare/raw, objects/s over both runs: copy step ${(total(rawMs) / copyTotal).toFixed(2)}, whole command ${(total(rawMs) / wholeTotal).toFixed(2)}`
  )
  out(
    `[bench] engine re-run, all equal: ${N} objects in ${Math.round(rerunMs)} ms = ${rate(N, rerunMs)} objects/s (${(total(rawMs) / 2 / rerunMs).toFixed(2)}x the raw copy loop)`
  )
})
