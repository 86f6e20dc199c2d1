import pkg from '../package.json' with { type: 'json' }

/** The action's version, sent in the user agent of every AWS call. */
export const VERSION: string = pkg.version
