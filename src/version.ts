// Set by the bundler (scripts/build.mjs) from package.json: only the version goes into dist/,
// not the whole package.json (which would make dist/ stale whenever a script changes).
declare const __BLUEGREEN_VERSION__: string | undefined

/** The action's version, sent in the user agent of every AWS call ('dev' when unbundled). */
export const VERSION: string =
  typeof __BLUEGREEN_VERSION__ === 'string' ? __BLUEGREEN_VERSION__ : 'dev'
