import { MAX_COOKIE_AGE_SECONDS, validateConfig } from '../../edge/config.js'
import { CONFIG } from './fixtures.js'

describe('validateConfig', () => {
  test('accepts a complete config and returns exactly its fields', () => {
    expect(validateConfig({ ...CONFIG, extra: 'ignored' })).toEqual(CONFIG)
  })

  test('lower-cases hostnames so the Location host is canonical', () => {
    expect(validateConfig({ ...CONFIG, blueHost: 'WWW1.Deep.MG' })?.blueHost).toBe('www1.deep.mg')
  })

  test('accepts a weight of 0 on one side (the sticky colour then moves)', () => {
    expect(validateConfig({ ...CONFIG, weights: { blue: 0, green: 1 } })?.weights).toEqual({
      blue: 0,
      green: 1
    })
  })

  test.each([
    ['not an object', 'config'],
    ['null', null],
    ['an array', [CONFIG]],
    ['no version', { ...CONFIG, version: undefined }],
    ['an empty version', { ...CONFIG, version: '' }],
    ['a version with a newline', { ...CONFIG, version: 'v1\n' }],
    ['a host with a path', { ...CONFIG, blueHost: 'www1.deep.mg/evil' }],
    ['a host with a port', { ...CONFIG, greenHost: 'www2.deep.mg:8443' }],
    ['a host with userinfo', { ...CONFIG, greenHost: 'evil@www2.deep.mg' }],
    ['a host with CR/LF', { ...CONFIG, greenHost: 'www2.deep.mg\r\nX-Evil: 1' }],
    ['a URL as host', { ...CONFIG, blueHost: 'https://www1.deep.mg' }],
    ['an empty host label', { ...CONFIG, blueHost: 'www1..deep.mg' }],
    ['a trailing dot', { ...CONFIG, blueHost: 'www1.deep.mg.' }],
    ['a label starting with a hyphen', { ...CONFIG, blueHost: '-www1.deep.mg' }],
    ['a label of 64 characters', { ...CONFIG, blueHost: `${'a'.repeat(64)}.deep.mg` }],
    ['the same host twice', { ...CONFIG, greenHost: 'WWW1.deep.mg' }],
    ['both weights 0', { ...CONFIG, weights: { blue: 0, green: 0 } }],
    ['a negative weight', { ...CONFIG, weights: { blue: -1, green: 2 } }],
    ['a fractional weight', { ...CONFIG, weights: { blue: 0.5, green: 1 } }],
    ['a weight as a string', { ...CONFIG, weights: { blue: '1', green: 1 } }],
    ['an infinite weight', { ...CONFIG, weights: { blue: Infinity, green: 1 } }],
    ['weights over 2^32 in total', { ...CONFIG, weights: { blue: 2 ** 32, green: 1 } }],
    ['no weights', { ...CONFIG, weights: undefined }],
    ['a cookie name with a space', { ...CONFIG, cookieName: 'blue green' }],
    ['a cookie name with =', { ...CONFIG, cookieName: 'a=b' }],
    ['a cookie name with ;', { ...CONFIG, cookieName: 'a;b' }],
    ['an empty cookie name', { ...CONFIG, cookieName: '' }],
    ['a cookie lifetime of 0', { ...CONFIG, cookieMaxAgeSeconds: 0 }],
    ['a fractional cookie lifetime', { ...CONFIG, cookieMaxAgeSeconds: 1.5 }],
    [
      'a cookie lifetime over 400 days',
      { ...CONFIG, cookieMaxAgeSeconds: MAX_COOKIE_AGE_SECONDS + 1 }
    ]
  ])('rejects %s', (_name, value) => {
    expect(validateConfig(value)).toBeUndefined()
  })
})
