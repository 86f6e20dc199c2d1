/**
 * The manual-DNS check (phase 2), against a DNS server on 127.0.0.1 that plays the operator's
 * DNS provider: a name resolves to CloudFront through a CNAME chain ending at *.cloudfront.net,
 * or through addresses shared with the distribution's own domain (ALIAS/ANAME, flattening).
 */
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js'
import { checkResolves, createResolver } from '../../src/publish/resolve.js'

let dns: TestDnsServer
beforeAll(async () => {
  dns = await startDnsServer()
})
afterAll(async () => {
  await dns.close()
})
beforeEach(() => {
  dns.clear()
})

const DIST = 'd111111abcdef8.cloudfront.net'
const check = (host: string) => checkResolves(createResolver([dns.address], 500), host, DIST)

test('a CNAME straight to a CloudFront domain resolves', async () => {
  dns.set('www1.deep.mg', { cname: DIST })
  expect(await check('www1.deep.mg')).toEqual({
    host: 'www1.deep.mg',
    resolves: true,
    detail: `CNAME ${DIST}`
  })
})

test('a CNAME chain through another name ends at CloudFront: resolves', async () => {
  dns.set('www1.deep.mg', { cname: 'edge.deep-cdn.net' })
  dns.set('edge.deep-cdn.net', { cname: 'd999.cloudfront.net' })
  expect((await check('www1.deep.mg')).resolves).toBe(true)
})

test("an ALIAS / flattened record: addresses shared with the distribution's domain resolve", async () => {
  dns.set(DIST, { a: ['13.224.1.10', '13.224.1.11'] })
  dns.set('www1.deep.mg', { a: ['13.224.1.11'] })
  expect(await check('www1.deep.mg')).toMatchObject({ resolves: true })
})

test('addresses that are not CloudFront’s for that distribution do not', async () => {
  dns.set(DIST, { a: ['13.224.1.10'] })
  dns.set('www1.deep.mg', { a: ['203.0.113.7'] })
  const r = await check('www1.deep.mg')
  expect(r.resolves).toBe(false)
  expect(r.detail).toContain('203.0.113.7')
})

test('no record: NXDOMAIN, named for the operator', async () => {
  expect(await check('www2.deep.mg')).toEqual({
    host: 'www2.deep.mg',
    resolves: false,
    detail: 'no such name (NXDOMAIN)'
  })
})

test('a resolver that does not answer: not resolving, and said so (never waits on DNS)', async () => {
  const silent = await checkResolves(createResolver(['127.0.0.1:9'], 200), 'www1.deep.mg', DIST)
  expect(silent.resolves).toBe(false)
  expect(silent.detail).toMatch(/did not answer|ECONNREFUSED|error/)
})
