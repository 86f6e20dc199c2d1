/** Bucket replication's pure parts: ignore rules, pairing, key order and encodings, event decoding, comparison, parts, preflight. */
import fc from 'fast-check'
import {
  planParts,
  withEventBridge,
  MAX_PARTS,
  MIN_PART_BYTES,
  type ObjectHead
} from '../../../src/aws/s3.js'
import { patternMatchesBucket, s3EventPattern } from '../../../src/aws/eventbridge.js'
import { eventQueuePolicy } from '../../../src/aws/sqs.js'
import { compareHeads, compareListed, mergeListings } from '../../../src/replicate/s3/compare.js'
import {
  checkPair,
  deliveryNames,
  eventsCompleteFrom,
  ignoresEverythingWarning,
  type BucketInfo
} from '../../../src/replicate/s3/delivery.js'
import { decodeS3Event } from '../../../src/replicate/s3/events.js'
import {
  ignoreRules,
  parseIgnoreFile,
  resolveIgnoreInput
} from '../../../src/replicate/s3/ignore.js'
import {
  compareKeys,
  decodeNotificationKey,
  eventKeyCandidates
} from '../../../src/replicate/s3/keys.js'
import {
  deepBucketName,
  pairBuckets,
  parseBucketSpec,
  parseDeepBucket
} from '../../../src/replicate/s3/pairing.js'
import { parseBucketMap } from '../../../src/replicate/s3/apply.js'
import { eventBridgeEvent, notificationRecord } from './fixtures.js'

const deep = (env: string, hash: string) => ({ kind: 'deep' as const, env, hash })

describe('ignore rules (gitignore semantics, DEEP defaults)', () => {
  test('the private default ignores temp at any depth, and nothing else', () => {
    const rules = ignoreRules('private')
    expect(rules.isDefault).toBe(true)
    for (const key of ['temp', 'temp/', 'temp/a.txt', 'a/temp/b.txt'])
      expect(rules.ignores(key)).toBe(true)
    for (const key of ['temporary/x', 'Temp/x', 'data/file.txt', 'tempo'])
      expect(rules.ignores(key)).toBe(false)
  })

  test('the public default keeps shared/ and everything under it, ignores the rest', () => {
    const rules = ignoreRules('public')
    for (const key of ['shared/', 'shared/app.js', 'shared/a/b/c.css'])
      expect(rules.ignores(key)).toBe(false)
    for (const key of ['index.html', 'js/app.js', 'a/shared/x.js', 'sharedx/y', 'Shared/x'])
      expect(rules.ignores(key)).toBe(true)
  })

  test("DEEP's literal '*', '!shared' would still ignore shared/app.js (why the default differs)", () => {
    expect(ignoreRules('public', ['*', '!shared']).ignores('shared/app.js')).toBe(true)
  })

  test('given patterns replace the default; negation, anchors and globs work as in git', () => {
    const rules = ignoreRules('private', ['*.log', '/cache/', '!keep.log'])
    expect(rules.isDefault).toBe(false)
    expect(rules.ignores('a/b.log')).toBe(true)
    expect(rules.ignores('keep.log')).toBe(false)
    expect(rules.ignores('cache/x')).toBe(true)
    expect(rules.ignores('a/cache/x')).toBe(false)
    expect(rules.ignores('temp/x')).toBe(false)
  })

  test('keys that are not relative paths (leading slash, ./) are matched, never thrown on', () => {
    const rules = ignoreRules('private')
    expect(() => rules.ignores('/temp/x')).not.toThrow()
    expect(() => rules.ignores('./x')).not.toThrow()
    expect(rules.ignores('./temp/x')).toBe(true)
  })

  test('an ignore file: comments and blank lines skipped', () => {
    expect(parseIgnoreFile('# private\ntemp\n\n*.tmp  \r\n!keep.tmp\n')).toEqual([
      'temp',
      '*.tmp',
      '!keep.tmp'
    ])
  })
})

describe('ignore inputs: patterns or a file in the repository', () => {
  const files: Record<string, string> = {
    '/repo/.github/private.ignore': 'temp\ncache/\n',
    '/repo/patterns': '*.bak\n'
  }
  const deps = {
    workspace: '/repo',
    readFile: (file: string) =>
      files[file] === undefined
        ? Promise.reject(new Error(`ENOENT: no such file, open '${file}'`))
        : Promise.resolve(files[file])
  }

  test('unset: the default', async () => {
    await expect(resolveIgnoreInput('private-ignore', [], deps)).resolves.toEqual({
      patterns: [],
      source: { kind: 'default' }
    })
  })

  test('one value naming a file in the repository is read as the list', async () => {
    await expect(
      resolveIgnoreInput('private-ignore', ['.github/private.ignore'], deps)
    ).resolves.toEqual({
      patterns: ['temp', 'cache/'],
      source: { kind: 'file', path: '.github/private.ignore' }
    })
    await expect(resolveIgnoreInput('public-ignore', ['patterns'], deps)).resolves.toMatchObject({
      patterns: ['*.bak']
    })
  })

  test('patterns stay patterns', async () => {
    await expect(
      resolveIgnoreInput('public-ignore', ['*', '!shared/', '!shared/**'], deps)
    ).resolves.toEqual({
      patterns: ['*', '!shared/', '!shared/**'],
      source: { kind: 'input' }
    })
    await expect(resolveIgnoreInput('private-ignore', ['temp'], deps)).resolves.toMatchObject({
      source: { kind: 'input' }
    })
  })

  test('an unreadable ignore file is an error naming the input, the value and the fix', async () => {
    await expect(
      resolveIgnoreInput('private-ignore', ['.github/missing.ignore'], deps)
    ).rejects.toThrow(
      /input 'private-ignore' = ".github\/missing.ignore": cannot read the ignore file .*relative to the repository root/
    )
    await expect(resolveIgnoreInput('public-ignore', ['./nope.txt'], deps)).rejects.toThrow(
      /input 'public-ignore'/
    )
    await expect(resolveIgnoreInput('public-ignore', ['../outside.ignore'], deps)).rejects.toThrow(
      /outside the repository/
    )
  })
})

describe('bucket pairing', () => {
  const existing = new Set([
    'deep.stage.private.abcd1234',
    'deep.stage.public.abcd1234',
    'deep.prod.private.wxyz0987',
    'deep.prod.public.wxyz0987',
    'deep.dev.private.abcd1234'
  ])

  test('DEEP names from env:hash: both kinds, where both sides exist', () => {
    expect(
      pairBuckets({
        blue: deep('stage', 'abcd1234'),
        green: deep('prod', 'wxyz0987'),
        buckets: [],
        existing
      })
    ).toEqual([
      { blue: 'deep.stage.private.abcd1234', green: 'deep.prod.private.wxyz0987', kind: 'private' },
      { blue: 'deep.stage.public.abcd1234', green: 'deep.prod.public.wxyz0987', kind: 'public' }
    ])
    expect(
      pairBuckets({
        blue: deep('dev', 'abcd1234'),
        green: deep('prod', 'wxyz0987'),
        buckets: [],
        existing
      })
    ).toEqual([
      { blue: 'deep.dev.private.abcd1234', green: 'deep.prod.private.wxyz0987', kind: 'private' }
    ])
  })

  test('without env:hash and without buckets: an error that says how to name them', () => {
    expect(() =>
      pairBuckets({
        blue: { kind: 'distribution', id: 'E1' },
        green: deep('prod', 'wxyz0987'),
        buckets: [],
        existing
      })
    ).toThrow(/buckets/)
  })

  test('explicit pairs: the kind marked, or inferred from a DEEP name', () => {
    const specs = [
      'private:blue-data=green-data',
      'public:blue-web=green-web',
      'deep.stage.public.abcd1234=my-green-site',
      'deep.stage.private.abcd1234'
    ].map((s) => {
      const r = parseBucketSpec(s)
      if (!r.ok) throw new Error(r.error)
      return r.value
    })
    expect(
      pairBuckets({
        blue: deep('stage', 'abcd1234'),
        green: deep('prod', 'wxyz0987'),
        buckets: specs,
        existing
      })
    ).toEqual([
      { blue: 'blue-data', green: 'green-data', kind: 'private' },
      { blue: 'blue-web', green: 'green-web', kind: 'public' },
      { blue: 'deep.stage.public.abcd1234', green: 'my-green-site', kind: 'public' },
      { blue: 'deep.stage.private.abcd1234', green: 'deep.prod.private.wxyz0987', kind: 'private' }
    ])
  })

  test('an unmarked pair of non-DEEP names must be marked; a bucket twice is refused', () => {
    const spec = parseBucketSpec('blue-data=green-data')
    expect(spec.ok).toBe(true)
    if (!spec.ok) return
    expect(() =>
      pairBuckets({
        blue: deep('stage', 'abcd1234'),
        green: deep('prod', 'wxyz0987'),
        buckets: [spec.value],
        existing
      })
    ).toThrow(/private:blue-data=green-data or public:blue-data=green-data/)
    expect(() =>
      pairBuckets({
        blue: deep('stage', 'abcd1234'),
        green: deep('prod', 'wxyz0987'),
        buckets: [
          { blue: 'a-bucket', green: 'b-bucket', kind: 'private' },
          { blue: 'c-bucket', green: 'b-bucket', kind: 'public' }
        ],
        existing
      })
    ).toThrow(/appears twice/)
  })

  test.each([
    ['x', /not an S3 bucket name/],
    ['Upper=green-bucket', /not an S3 bucket name/],
    ['blue..x=green-x', /two dots/],
    ['same-b=same-b', /itself/],
    ['a-b=c-d=e-f', /blue-bucket=green-bucket/],
    ['plain-bucket', /not a DEEP bucket name .* plain-bucket=<green-bucket>/],
    ['secret:a-bucket=b-bucket', /mark the kind/]
  ])('a bad buckets entry %s is refused with the rule', (item, rule) => {
    const r = parseBucketSpec(item)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatch(rule)
  })

  test('DEEP bucket names round-trip', () => {
    expect(deepBucketName({ env: 'stage', hash: 'abcd1234' }, 'private')).toBe(
      'deep.stage.private.abcd1234'
    )
    expect(parseDeepBucket('deep.prod.public.wxyz0987')).toEqual({
      env: 'prod',
      kind: 'public',
      hash: 'wxyz0987'
    })
    expect(parseDeepBucket('deep.prod.other.wxyz0987')).toBeUndefined()
  })
})

describe('keys: S3 order and event encodings', () => {
  test('S3 order is UTF-8 byte order: emoji after U+FFFD, unlike JavaScript string order', () => {
    const keys = ['😀', '\uFFFD', 'a', 'B', '~', 'é']
    expect([...keys].sort(compareKeys)).toEqual(['B', 'a', '~', 'é', '\uFFFD', '😀'])
    expect(['\uFFFD', '😀'].sort()).toEqual(['😀', '\uFFFD']) // JavaScript's order: why compareKeys exists
  })

  test('compareKeys agrees with comparing UTF-8 bytes (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
        expect(Math.sign(compareKeys(a, b))).toBe(bytes)
      })
    )
  })

  test('notification keys are form-encoded: + is a space, %2B a plus, unicode percent-encoded', () => {
    expect(decodeNotificationKey('red+flower.jpg')).toBe('red flower.jpg')
    expect(decodeNotificationKey('e+%2B+f%2Fg+h%2Bi.txt')).toBe('e + f/g h+i.txt')
    expect(decodeNotificationKey('%C3%BCn%C3%AF+caf%C3%A9.txt')).toBe('ünï café.txt')
    expect(decodeNotificationKey('100%25+sure.txt')).toBe('100% sure.txt')
    expect(decodeNotificationKey('bad%ZZ')).toBeUndefined()
  })

  test('an EventBridge key is applied under both readings when they differ', () => {
    expect(eventKeyCandidates('plain/key.txt')).toEqual(['plain/key.txt'])
    expect(eventKeyCandidates('a+b c.txt')).toEqual(['a+b c.txt', 'a b c.txt'])
    expect(eventKeyCandidates('100% sure.txt')).toEqual(['100% sure.txt'])
  })
})

// Shapes from the S3 user guide ("Event message structure", "EventBridge event message structure").
const notification = (eventName: string, key: string) =>
  notificationRecord(eventName, 'deep.stage.private.abcd1234', key)
const eventBridge = (detailType: string, key: string, extra: Record<string, unknown> = {}) =>
  eventBridgeEvent(detailType, 'deep.stage.public.abcd1234', key, extra)
const sqs = (bodies: unknown[]) => ({
  Records: bodies.map((b, i) => ({
    messageId: `m${i}`,
    receiptHandle: 'h',
    body: typeof b === 'string' ? b : JSON.stringify(b),
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:1:q',
    awsRegion: 'us-east-1'
  }))
})

describe('decoding S3 events', () => {
  test('notification records: created and removed, keys decoded', () => {
    const d = decodeS3Event({
      Records: [
        notification('ObjectCreated:Put', 'a+b%2Bc.txt'),
        notification('ObjectRemoved:Delete', 'x%2Fy+z'),
        notification('ObjectRemoved:DeleteMarkerCreated', 'm')
      ]
    })
    expect(d.changes.map((c) => [c.kind, c.keys])).toEqual([
      ['created', ['a b+c.txt']],
      ['removed', ['x/y z']],
      ['removed', ['m']]
    ])
    expect(d.invalid).toEqual([])
  })

  test('EventBridge events (Object Created / Object Deleted) inside SQS messages, by message id', () => {
    const d = decodeS3Event(
      sqs([
        eventBridge('Object Created', 'shared/app.js'),
        eventBridge('Object Deleted', 'old file.txt', {
          reason: 'DeleteObject',
          'deletion-type': 'Permanently Deleted'
        }),
        eventBridge('Object Tags Added', 'x')
      ])
    )
    expect(d.changes).toEqual([
      {
        source: 'm0',
        bucket: 'deep.stage.public.abcd1234',
        keys: ['shared/app.js'],
        kind: 'created',
        time: '2021-11-12T00:00:00Z'
      },
      {
        source: 'm1',
        bucket: 'deep.stage.public.abcd1234',
        keys: ['old file.txt'],
        kind: 'removed',
        time: '2021-11-12T00:00:00Z'
      }
    ])
    expect(d.skipped).toEqual(['m2'])
  })

  test('notifications inside SQS (and SNS) messages; test events skipped; garbage reported, never dropped', () => {
    const d = decodeS3Event(
      sqs([
        {
          Records: [
            notification('ObjectCreated:Copy', 'k1'),
            notification('ObjectCreated:CompleteMultipartUpload', 'k2')
          ]
        },
        {
          Type: 'Notification',
          Message: JSON.stringify({ Records: [notification('ObjectRemoved:Delete', 'k3')] })
        },
        {
          Service: 'Amazon S3',
          Event: 's3:TestEvent',
          Time: '2026-01-01T00:00:00.000Z',
          Bucket: 'b'
        },
        'not json',
        { hello: 'world' }
      ])
    )
    expect(d.changes.map((c) => `${c.source}:${c.kind}:${c.keys.join('|')}`)).toEqual([
      'm0:created:k1',
      'm0:created:k2',
      'm1:removed:k3'
    ])
    expect(d.skipped).toEqual(['m2'])
    expect(d.invalid.map((i) => i.source)).toEqual(['m3', 'm4'])
  })

  test('a notification key that is not valid percent-encoding is invalid', () => {
    expect(
      decodeS3Event({ Records: [notification('ObjectCreated:Put', 'bad%ZZ')] }).invalid
    ).toHaveLength(1)
  })

  test('the function configuration (BLUEGREEN_BUCKET_MAP) gives each blue bucket its green and ignore list', () => {
    const map = parseBucketMap(
      JSON.stringify({
        'b-pub': { green: 'g-pub', kind: 'public' },
        'b-priv': { green: 'g-priv', kind: 'private', ignore: ['*.tmp'], region: 'eu-west-1' },
        'b-all': { green: 'g-all', kind: 'public', ignore: [] }
      })
    )
    // No list: DEEP's default for the kind; an empty list ignores nothing.
    expect(map.get('b-pub')?.ignore.ignores('index.html')).toBe(true)
    expect(map.get('b-all')?.ignore.ignores('index.html')).toBe(false)
    expect(map.get('b-priv')?.ignore.ignores('x.tmp')).toBe(true)
    expect(map.get('b-priv')?.ignore.ignores('temp/x')).toBe(false)
    expect(map.get('b-priv')?.region).toBe('eu-west-1')
    expect(() => parseBucketMap(JSON.stringify({ b: { green: 'g' } }))).toThrow(/kind/)
  })
})

describe('comparing objects', () => {
  const o = (size: number, etag: string) => ({ key: 'k', size, etag, storageClass: 'STANDARD' })
  const h = (size: number, etag: string, checksums: Record<string, string>): ObjectHead => ({
    ...o(size, etag),
    contentType: undefined,
    cacheControl: undefined,
    contentDisposition: undefined,
    contentEncoding: undefined,
    contentLanguage: undefined,
    expires: undefined,
    metadata: {},
    websiteRedirectLocation: undefined,
    checksums,
    tagCount: 0
  })

  test('listing verdicts', () => {
    expect(compareListed(o(1, 'a'), o(1, 'a'), undefined)).toBe('equal')
    expect(compareListed(o(1, 'a'), o(2, 'a'), undefined)).toBe('differs')
    expect(compareListed(o(1, 'a'), undefined, undefined)).toBe('missing-on-green')
    expect(compareListed(undefined, o(1, 'a'), undefined)).toBe('extra-on-green')
    expect(compareListed(o(1, 'a-2'), o(1, 'b'), undefined)).toBe('check-checksums')
    expect(
      compareListed(o(1, 'a-2'), o(1, 'b'), { key: 'k', blueEtag: 'a-2', greenEtag: 'b' })
    ).toBe('equal')
    expect(
      compareListed(o(1, 'a-3'), o(1, 'b'), { key: 'k', blueEtag: 'a-2', greenEtag: 'b' })
    ).toBe('check-checksums')
  })

  test('checksum verdicts: a shared full-object checksum decides; none shared is unverifiable', () => {
    expect(compareHeads(h(1, 'a', { CRC64NVME: 'x' }), h(1, 'b', { CRC64NVME: 'x' }))).toBe('equal')
    expect(compareHeads(h(1, 'a', { CRC64NVME: 'x' }), h(1, 'b', { CRC64NVME: 'y' }))).toBe(
      'differs'
    )
    expect(compareHeads(h(1, 'a', { CRC32: 'x' }), h(1, 'b', { CRC64NVME: 'x' }))).toBe(
      'unverifiable'
    )
  })

  test('merging listings yields every key once, in S3 order', async () => {
    async function* pages(keys: string[][]) {
      for (const p of keys) {
        await Promise.resolve()
        yield p.map((key) => ({ ...o(1, 'e'), key }))
      }
    }
    const merged: string[] = []
    for await (const m of mergeListings(
      pages([
        ['a', 'c'],
        ['e', '😀']
      ]),
      pages([['b', 'c', '\uFFFD']])
    )) {
      merged.push(`${m.key}:${m.blue === undefined ? '' : 'B'}${m.green === undefined ? '' : 'G'}`)
    }
    expect(merged).toEqual(['a:B', 'b:G', 'c:BG', 'e:B', '\uFFFD:G', '😀:B'])
  })
})

describe('multipart copy parts', () => {
  test('parts cover the object exactly, within S3 limits (5 MiB..5 GiB, at most 10,000)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 * 1024 ** 4 }), (size) => {
        const parts = planParts(size)
        let contiguous = parts[0]?.first === 0 && parts.at(-1)?.last === size - 1
        let sized = true
        parts.forEach((p, i) => {
          if (p.partNumber !== i + 1 || (i > 0 && p.first !== (parts[i - 1]?.last ?? 0) + 1))
            contiguous = false
          const bytes = p.last - p.first + 1
          if (bytes > 5 * 1024 ** 3 || (i < parts.length - 1 && bytes < MIN_PART_BYTES))
            sized = false
        })
        expect({ count: parts.length <= MAX_PARTS, contiguous, sized }).toEqual({
          count: true,
          contiguous: true,
          sized: true
        })
      })
    )
    expect(planParts(5 * 1024 ** 4)).toHaveLength(10_000)
  })
})

describe('delivery and preflight', () => {
  const pair = {
    blue: 'deep.stage.private.abcd1234',
    green: 'deep.prod.private.wxyz0987',
    kind: 'private' as const
  }
  const facts = (name: string, over: Partial<BucketInfo> = {}): BucketInfo => ({
    name,
    access: 'ok',
    region: 'us-east-1',
    versioning: 'Off',
    objectLock: false,
    eventBridge: false,
    ...over
  })

  test('readable buckets in the region pass', () => {
    expect(checkPair(pair, facts(pair.blue), facts(pair.green), 'us-east-1')).toEqual({
      errors: [],
      warnings: []
    })
  })

  test('a missing or unreadable bucket, or blue in another region, is an error with the fix', () => {
    const r = checkPair(
      pair,
      facts(pair.blue, { region: 'eu-west-1' }),
      facts(pair.green, { access: 'missing' }),
      'us-east-1'
    )
    expect(r.errors).toHaveLength(2)
    expect(r.errors.join('\n')).toMatch(/region: eu-west-1/)
    expect(r.errors.join('\n')).toMatch(
      /green bucket deep.prod.private.wxyz0987 \(private\) does not exist/
    )
    expect(
      checkPair(pair, facts(pair.blue, { access: 'forbidden' }), facts(pair.green), 'us-east-1')
        .errors[0]
    ).toMatch(/s3:ListBucket/)
  })

  test('green versioned, locked or elsewhere: warnings', () => {
    const r = checkPair(
      pair,
      facts(pair.blue),
      facts(pair.green, { versioning: 'Enabled', objectLock: true, region: 'eu-west-2' }),
      'us-east-1'
    )
    expect(r.errors).toEqual([])
    expect(r.warnings).toHaveLength(3)
  })

  test('an ignore list that ignores every object of a non-empty bucket warns', () => {
    expect(ignoresEverythingWarning(pair, 10, 10, ['*'])).toMatch(/ignores all 10 objects/)
    expect(ignoresEverythingWarning(pair, 10, 9, ['*'])).toBeUndefined()
    expect(ignoresEverythingWarning(pair, 0, 0, ['*'])).toBeUndefined()
  })

  test('names, T0, the rule pattern and the queue policy', () => {
    expect(deliveryNames('bluegreen-replication-x')).toEqual({
      rule: 'bluegreen-replication-x-s3',
      targetId: 'bluegreen-replication-queue',
      queue: 'bluegreen-replication-x-s3-events'
    })
    expect(eventsCompleteFrom(new Date('2026-01-01T00:00:00Z')).toISOString()).toBe(
      '2026-01-01T00:05:00.000Z'
    )
    expect(JSON.parse(s3EventPattern(['b2', 'b1']))).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created', 'Object Deleted'],
      detail: { bucket: { name: ['b1', 'b2'] } }
    })
    const policy = JSON.parse(
      eventQueuePolicy('arn:aws:sqs:us-east-1:1:q', 'arn:aws:events:us-east-1:1:rule/r')
    ) as { Statement: { Principal: unknown; Condition: unknown }[] }
    expect(policy.Statement[0]).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:events:us-east-1:1:rule/r' } }
    })
  })

  test("which rules could want a bucket's events (terminate keeps EventBridge on for them)", () => {
    expect(patternMatchesBucket(s3EventPattern(['b1']), 'b1')).toBe(true)
    expect(patternMatchesBucket(s3EventPattern(['b1']), 'b2')).toBe(false)
    expect(patternMatchesBucket(JSON.stringify({ source: ['aws.s3'] }), 'b2')).toBe(true)
    expect(patternMatchesBucket(JSON.stringify({ source: ['aws.ec2'] }), 'b2')).toBe(false)
    expect(patternMatchesBucket(JSON.stringify({ source: [{ prefix: 'aws.' }] }), 'b2')).toBe(true)
    expect(patternMatchesBucket('not json', 'b2')).toBe(true)
    expect(patternMatchesBucket(undefined, 'b2')).toBe(false)
  })

  test('EventBridge is switched on or off without touching the other destinations', () => {
    const theirs = {
      QueueConfigurations: [
        { Id: 'q', QueueArn: 'arn:aws:sqs:us-east-1:1:q', Events: ['s3:ObjectCreated:*' as const] }
      ]
    }
    expect(withEventBridge(theirs, true)).toEqual({ ...theirs, EventBridgeConfiguration: {} })
    expect(withEventBridge(withEventBridge(theirs, true), false)).toEqual(theirs)
  })
})
