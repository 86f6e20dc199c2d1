import type { CloudFrontRequestEvent, CloudFrontResultResponse } from 'aws-lambda'
import fc from 'fast-check'
import {
  chooseColour,
  createHandler,
  generatedResponseBytes,
  MAX_GENERATED_RESPONSE_BYTES,
  route,
  stickyCookie
} from '../../edge/decide.js'
import { CONFIG, viewerEvent, viewerRequest, withWeights } from './fixtures.js'

const never = (): number => {
  throw new Error('random() must not be called')
}
const none = { override: undefined, sticky: undefined }

describe('chooseColour', () => {
  test('a new viewer is green iff random() * (blue + green) < green', () => {
    const weights = { blue: 2, green: 9 }
    expect(chooseColour(weights, none, () => 8.999 / 11).colour).toBe('green')
    expect(chooseColour(weights, none, () => 9 / 11).colour).toBe('blue')
    expect(chooseColour(weights, none, () => 0)).toEqual({ colour: 'green', reason: 'weighted' })
  })

  test('a colour of weight 0 is never drawn, even by a random() that returns 1', () => {
    expect(chooseColour({ blue: 0, green: 5 }, none, () => 1).colour).toBe('green')
    expect(chooseColour({ blue: 5, green: 0 }, none, () => 0).colour).toBe('blue')
  })

  test('a returning viewer keeps its colour while its weight is above 0', () => {
    expect(chooseColour({ blue: 1, green: 99 }, { ...none, sticky: 'blue' }, never)).toEqual({
      colour: 'blue',
      reason: 'sticky'
    })
  })

  test('a returning viewer moves when its colour drops to 0', () => {
    expect(chooseColour({ blue: 0, green: 1 }, { ...none, sticky: 'blue' }, () => 0.5)).toEqual({
      colour: 'green',
      reason: 'weighted'
    })
  })

  test('the override beats the cookie and the weights, even a weight of 0', () => {
    const signals = { override: 'green', sticky: 'blue' } as const
    expect(chooseColour({ blue: 1, green: 0 }, signals, never)).toEqual({
      colour: 'green',
      reason: 'override'
    })
  })
})

describe('route', () => {
  test('sends the viewer to the configured host with the same path and query', () => {
    const r = route(CONFIG, viewerRequest('/shop/item', 'id=7&q=a%20b'), () => 0.99)
    expect(r).toEqual({
      colour: 'blue',
      reason: 'weighted',
      location: 'https://www1.deep.mg/shop/item?id=7&q=a%20b'
    })
  })

  test('query override wins over the header and is removed from the Location', () => {
    const request = viewerRequest('/', 'bluegreen=green', [
      ['X-Bluegreen', 'blue'],
      ['Cookie', 'bluegreen=blue']
    ])
    expect(route(CONFIG, request, never)).toEqual({
      colour: 'green',
      reason: 'override',
      location: 'https://www2.deep.mg/'
    })
  })

  test('header override', () => {
    const request = viewerRequest('/a', 'x=1', [['X-Bluegreen', 'green']])
    expect(route(CONFIG, request, never).location).toBe('https://www2.deep.mg/a?x=1')
  })

  test('the sticky cookie is read under the configured name', () => {
    const request = viewerRequest('/', '', [['Cookie', 'other=blue; bluegreen=green']])
    expect(route(CONFIG, request, never)).toMatchObject({ colour: 'green', reason: 'sticky' })
  })

  test('the Host header never reaches the Location', () => {
    const request = viewerRequest('//evil.example/x', '', [['Host', 'evil.example']])
    expect(route(CONFIG, request, () => 0.99).location).toBe('https://www1.deep.mg/evil.example/x')
  })
})

describe('createHandler', () => {
  test('answers a 302 with Location, Cache-Control: no-store and the sticky cookie', async () => {
    const handler = createHandler(CONFIG, { random: () => 0.01 })
    const result = await handler(viewerEvent(viewerRequest('/p', 'a=1')))
    const expected: CloudFrontResultResponse = {
      status: '302',
      statusDescription: 'Found',
      headers: {
        location: [{ key: 'Location', value: 'https://www2.deep.mg/p?a=1' }],
        'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
        'set-cookie': [
          {
            key: 'Set-Cookie',
            value: 'bluegreen=green; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax'
          }
        ]
      }
    }
    expect(result).toEqual(expected)
  })

  test.each([
    ['HEAD', '302'],
    ['POST', '307'],
    ['PUT', '307'],
    ['DELETE', '307']
  ])(
    'a %s request is redirected with %s (307 keeps the method and body)',
    async (method, status) => {
      const handler = createHandler(CONFIG, { random: () => 0.01 })
      const result = await handler(viewerEvent({ ...viewerRequest('/form'), method }))
      expect(result).toMatchObject({
        status,
        headers: { location: [{ value: 'https://www2.deep.mg/form' }] }
      })
    }
  )

  test('a CORS preflight (OPTIONS) goes to the origin: it cannot follow a redirect', async () => {
    const request = { ...viewerRequest('/api'), method: 'OPTIONS' }
    await expect(createHandler(CONFIG)(viewerEvent(request))).resolves.toBe(request)
  })

  test('the cookie records the colour chosen by an override', () => {
    expect(stickyCookie(withWeights(1, 0), 'green')).toMatch(/^bluegreen=green; /)
  })

  test('without a config it passes the request to the origin unchanged', async () => {
    const request = viewerRequest('/p', 'a=1')
    const before = structuredClone(request)
    const result = await createHandler(undefined)(viewerEvent(request))
    expect(result).toBe(request)
    expect(request).toEqual(before)
  })

  test('an exception passes the request on unchanged and is reported', async () => {
    const errors: unknown[] = []
    const request = viewerRequest('/p')
    const handler = createHandler(CONFIG, {
      random: () => {
        throw new Error('boom')
      },
      onError: (error) => errors.push(error)
    })
    await expect(handler(viewerEvent(request))).resolves.toBe(request)
    expect(errors).toEqual([new Error('boom')])
  })

  test('a failing error reporter does not break the fallback', async () => {
    const request = viewerRequest('/p')
    const handler = createHandler(CONFIG, {
      random: () => {
        throw new Error('boom')
      },
      onError: () => {
        throw new Error('logger down')
      }
    })
    await expect(handler(viewerEvent(request))).resolves.toBe(request)
  })

  test('a header value that is not a string is ignored, not fatal', async () => {
    const request = viewerRequest('/p')
    Object.assign(request.headers, { cookie: [{ key: 'Cookie', value: {} }] })
    const result = await createHandler(CONFIG, { random: () => 0.99 })(viewerEvent(request))
    expect(result).toMatchObject({ status: '302' })
  })

  test('an event without a request resolves to undefined instead of throwing', async () => {
    const handler = createHandler(CONFIG)
    const empty: CloudFrontRequestEvent = { Records: [] }
    await expect(handler(empty)).resolves.toBeUndefined()
    await expect(handler(JSON.parse('null') as CloudFrontRequestEvent)).resolves.toBeUndefined()
  })
})

describe("CloudFront's 40 KB limit on a generated response (AWS: Quotas on Lambda@Edge)", () => {
  /** What CloudFront does with a viewer-request function's generated response. */
  const cloudFront = (response: CloudFrontResultResponse): 'sent' | '502' =>
    generatedResponseBytes(response) > MAX_GENERATED_RESPONSE_BYTES ? '502' : 'sent'

  test('the rule: a response over 40 KB, headers and body counted, becomes a 502', () => {
    const response = (location: string): CloudFrontResultResponse => ({
      status: '302',
      statusDescription: 'Found',
      headers: { location: [{ key: 'Location', value: location }] }
    })
    const overhead = generatedResponseBytes(response(''))
    expect(cloudFront(response('x'.repeat(MAX_GENERATED_RESPONSE_BYTES - overhead)))).toBe('sent')
    expect(cloudFront(response('x'.repeat(MAX_GENERATED_RESPONSE_BYTES - overhead + 1)))).toBe(
      '502'
    )
  })

  test('a long non-ASCII URL (six-fold when percent-encoded) goes to the origin, not into a 502', async () => {
    // CloudFront allows URI + query up to 8,192 characters; 'é' is 2 bytes, 6 characters encoded.
    const uri = `/${'é'.repeat(8000)}`
    const event = viewerEvent(viewerRequest(uri, ''))
    const handler = createHandler(CONFIG, { random: () => 0 })
    const out = await handler(event)
    expect(out).toBe(event.Records[0]?.cf.request)
  })

  test('every request CloudFront can send yields a response CloudFront accepts, or the origin', async () => {
    const handler = createHandler(CONFIG, { random: () => 0.5 })
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 4000 }),
        fc.string({ unit: 'grapheme', maxLength: 4000 }),
        async (path, query) => {
          const event = viewerEvent(viewerRequest(`/${path}`, query))
          const out = await handler(event)
          if (out && 'status' in out) expect(cloudFront(out)).toBe('sent')
        }
      ),
      { numRuns: 200, seed: 40 }
    )
  })
})
