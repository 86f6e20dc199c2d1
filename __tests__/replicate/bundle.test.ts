/**
 * The replication function's package: a deterministic zip holding index.js, which Lambda loads
 * as CommonJS (no package.json beside it) and whose `handler` answers a stream batch.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { unzipSync } from 'fflate'
import { codeSha256, handlerZip } from '../../src/replicate/deploy.js'

test('the zip holds index.js exporting a handler that answers a batch', async () => {
  const zip = await handlerZip()
  expect(codeSha256(await handlerZip())).toBe(codeSha256(zip)) // same bytes every time
  const files = unzipSync(zip)
  expect(Object.keys(files)).toEqual(['index.js'])
  const dir = mkdtempSync(path.join(tmpdir(), 'bluegreen-handler-'))
  writeFileSync(path.join(dir, 'index.js'), files['index.js'] ?? new Uint8Array())
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      "require('./index.js').handler({ Records: [] }).then((r) => process.stdout.write(JSON.stringify(r)))"
    ],
    {
      cwd: dir,
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', BLUEGREEN_TABLE_MAP: '{"a":"b"}' },
      stdio: ['ignore', 'pipe', 'ignore']
    }
  )
  expect(JSON.parse(out.toString())).toEqual({ batchItemFailures: [] })
})
