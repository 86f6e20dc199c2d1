/**
 * Accuracy and stickiness of the split, with the production RNG (Math.random): 1,000,000 new
 * viewers per ratio through the pure decision (`route`, which also parses the request), and
 * returning viewers through the full handler.
 */
import type { CloudFrontRequestResult } from 'aws-lambda'
import { createHandler, route } from '../../edge/decide.js'
import type { Colour } from '../../edge/request.js'
import { viewerEvent, viewerRequest, withWeights } from './fixtures.js'

const VIEWERS = 1_000_000
/** Percentage points. One standard deviation at 1,000,000 draws is at most 0.05 pp. */
const TOLERANCE_PP = 0.5

const figures: string[] = []
afterAll(() => {
  console.log(`green share of ${VIEWERS.toLocaleString('en')} new viewers\n${figures.join('\n')}`)
})

describe('new viewers are split by weight', () => {
  test.each([
    [9, 1],
    [1, 1],
    [1, 9],
    [2, 9]
  ])('blue:green %i:%i is within 0.5 pp of target', (blue, green) => {
    const config = withWeights(blue, green)
    const request = viewerRequest('/index.html', 'utm_source=test', [['Cookie', 'session=abc']])
    let greens = 0
    for (let i = 0; i < VIEWERS; i++) {
      if (route(config, request, Math.random).colour === 'green') greens++
    }
    const observed = (100 * greens) / VIEWERS
    const target = (100 * green) / (blue + green)
    figures.push(
      `  ${blue}:${green}  target ${target.toFixed(3)} %  observed ${observed.toFixed(3)} %  ` +
        `diff ${(observed - target).toFixed(3)} pp`
    )
    expect(Math.abs(observed - target)).toBeLessThan(TOLERANCE_PP)
  })
})

function colourOf(result: CloudFrontRequestResult): { colour: Colour; cookie: string } {
  if (result === null || result === undefined || !('status' in result)) {
    throw new Error('expected a redirect')
  }
  const location = result.headers?.location?.[0]?.value ?? ''
  const cookie = (result.headers?.['set-cookie']?.[0]?.value ?? '').split(';')[0] ?? ''
  return { colour: location.startsWith('https://www2.deep.mg/') ? 'green' : 'blue', cookie }
}

describe('returning viewers', () => {
  const RETURNING = 5_000
  const VISITS = 10

  test.each([
    [9, 1],
    [1, 1],
    [1, 9],
    [2, 9]
  ])('keep their colour on every visit at %i:%i', async (blue, green) => {
    const handler = createHandler(withWeights(blue, green))
    let visits = 0
    let kept = 0
    const seen = new Set<Colour>()
    for (let v = 0; v < RETURNING; v++) {
      const first = colourOf(await handler(viewerEvent(viewerRequest('/'))))
      seen.add(first.colour)
      for (let i = 0; i < VISITS; i++) {
        const request = viewerRequest(`/page/${i}`, '', [['Cookie', `a=1; ${first.cookie}`]])
        visits++
        if (colourOf(await handler(viewerEvent(request))).colour === first.colour) kept++
      }
    }
    expect(seen).toEqual(new Set(['blue', 'green']))
    expect(kept).toBe(visits)
  })

  test('move when their colour drops to 0, while the others stay', async () => {
    const blueCookie = [['Cookie', 'bluegreen=blue']] as const
    const greenCookie = [['Cookie', 'bluegreen=green']] as const
    const toGreen = createHandler(withWeights(0, 1))
    const toBlue = createHandler(withWeights(1, 0))
    for (let i = 0; i < 100; i++) {
      expect(colourOf(await toGreen(viewerEvent(viewerRequest('/', '', blueCookie))))).toEqual({
        colour: 'green',
        cookie: 'bluegreen=green'
      })
      expect(colourOf(await toGreen(viewerEvent(viewerRequest('/', '', greenCookie)))).colour).toBe(
        'green'
      )
      expect(colourOf(await toBlue(viewerEvent(viewerRequest('/', '', greenCookie)))).colour).toBe(
        'blue'
      )
    }
  })
})
