import {
  headerOverride,
  parseColour,
  queryOverride,
  safePath,
  safeQuery,
  stickyColour
} from '../../edge/request.js'
import { headers } from './fixtures.js'

describe('parseColour', () => {
  test.each([
    ['blue', 'blue'],
    ['GREEN', 'green'],
    [' green ', 'green'],
    ['"blue"', 'blue'],
    ['purple', undefined],
    ['', undefined],
    ['bluegreen', undefined]
  ])('%j is %s', (raw, colour) => {
    expect(parseColour(raw)).toBe(colour)
  })
})

describe('stickyColour reads the cookie from the Cookie headers', () => {
  test('among other cookies, with spaces', () => {
    expect(stickyColour(headers([['Cookie', 'a=1;  bg = green ;b=2']]), 'bg')).toBe('green')
  })

  test('in a second Cookie header', () => {
    const h = headers([
      ['Cookie', 'a=1'],
      ['cookie', 'bg=blue']
    ])
    expect(stickyColour(h, 'bg')).toBe('blue')
  })

  test('quoted', () => {
    expect(stickyColour(headers([['Cookie', 'bg="green"']]), 'bg')).toBe('green')
  })

  test('the first cookie of that name holding a colour wins', () => {
    expect(stickyColour(headers([['Cookie', 'bg=junk; bg=green; bg=blue']]), 'bg')).toBe('green')
  })

  test('only the exact, case-sensitive name', () => {
    const h = headers([['Cookie', 'BG=green; xbg=green; bgx=green; bg']])
    expect(stickyColour(h, 'bg')).toBeUndefined()
  })

  test('no Cookie header, or no value, means no colour', () => {
    expect(stickyColour(headers([]), 'bg')).toBeUndefined()
    expect(stickyColour(undefined, 'bg')).toBeUndefined()
    expect(stickyColour(headers([['Cookie', 'bg=']]), 'bg')).toBeUndefined()
  })
})

describe('queryOverride', () => {
  test('takes the colour and removes the parameter, keeping the rest byte for byte', () => {
    expect(queryOverride('a=1&bluegreen=green&b=%2F+x')).toEqual({
      colour: 'green',
      rest: 'a=1&b=%2F+x'
    })
  })

  test('removes every bluegreen parameter; the first valid one decides', () => {
    expect(queryOverride('bluegreen=purple&bluegreen=BLUE&bluegreen=green&bluegreen')).toEqual({
      colour: 'blue',
      rest: ''
    })
  })

  test('recognises a percent-encoded name and value', () => {
    expect(queryOverride('%62luegreen=%67reen&x')).toEqual({ colour: 'green', rest: 'x' })
  })

  test('leaves other parameters that merely contain the word alone', () => {
    expect(queryOverride('xbluegreen=green&bluegreenx=blue')).toEqual({
      colour: undefined,
      rest: 'xbluegreen=green&bluegreenx=blue'
    })
  })

  test('survives malformed percent-encoding', () => {
    expect(queryOverride('%E0%A4%A=1&bluegreen=%ZZ')).toEqual({
      colour: undefined,
      rest: '%E0%A4%A=1'
    })
  })
})

describe('headerOverride', () => {
  test('reads x-bluegreen, first valid value', () => {
    expect(
      headerOverride(
        headers([
          ['X-BlueGreen', 'nope'],
          ['x-bluegreen', 'Green']
        ])
      )
    ).toBe('green')
    expect(headerOverride(headers([['X-Other', 'green']]))).toBeUndefined()
  })
})

describe('safePath', () => {
  test('keeps an ordinary path exactly', () => {
    expect(safePath("/a/b-c_d.e~f/%20/!$&'()*+,;=:@/")).toBe("/a/b-c_d.e~f/%20/!$&'()*+,;=:@/")
  })

  test('collapses leading slashes so the path cannot become a host', () => {
    expect(safePath('//evil.example')).toBe('/evil.example')
    expect(safePath('///evil.example//x')).toBe('/evil.example//x')
    expect(safePath('/\\evil.example')).toBe('/%5Cevil.example')
  })

  test('adds the leading slash when missing', () => {
    expect(safePath('')).toBe('/')
    expect(safePath('evil.example')).toBe('/evil.example')
  })

  test('percent-encodes controls, CR/LF, spaces, delimiters and non-ASCII as UTF-8', () => {
    expect(safePath('/a\r\nSet-Cookie: x=1')).toBe('/a%0D%0ASet-Cookie:%20x=1')
    expect(safePath('/a?b#c"<>^`{|}\u007f')).toBe('/a%3Fb%23c%22%3C%3E%5E%60%7B%7C%7D%7F')
    expect(safePath('/é€😀')).toBe('/%C3%A9%E2%82%AC%F0%9F%98%80')
  })

  test('encodes a stray % but keeps %XX', () => {
    expect(safePath('/100%/%41%4g%')).toBe('/100%25/%41%254g%25')
  })

  test('replaces a lone surrogate instead of throwing', () => {
    expect(safePath('/\ud800')).toBe('/%EF%BF%BD')
  })
})

describe('safeQuery', () => {
  test('keeps a valid query exactly, including ? and /', () => {
    expect(safeQuery('a=1&b=%2F&c=/x?y&d=+')).toBe('a=1&b=%2F&c=/x?y&d=+')
  })

  test('encodes what a query may not hold', () => {
    expect(safeQuery('a=b c#d\r\n')).toBe('a=b%20c%23d%0D%0A')
  })
})
