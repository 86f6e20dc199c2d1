/**
 * Ignore lists: gitignore-style patterns (the `ignore` package) per bucket kind. A key that an
 * ignore list matches is never copied, overwritten or deleted on green.
 *
 * DEEP's own defaults apply when a list is not set: the private bucket ignores `temp`; the public
 * bucket ignores everything but `shared/`. DEEP wrote that as `*` then `!shared`, but under
 * gitignore rules `*` also matches `shared/app.js` itself and `!shared` only re-includes the
 * directory, so the default is `*`, `!shared/`, `!shared/**`.
 *
 * Matching is case-sensitive, like S3 keys (git's default outside case-insensitive file systems).
 */
import ignore, { type Ignore } from 'ignore'
import path from 'node:path'

export type BucketKind = 'private' | 'public'

export const DEFAULT_IGNORE: Readonly<Record<BucketKind, readonly string[]>> = {
  private: ['temp'],
  public: ['*', '!shared/', '!shared/**']
}

export interface IgnoreRules {
  readonly kind: BucketKind
  readonly patterns: readonly string[]
  /** True when the list came from the defaults (nothing was set). */
  readonly isDefault: boolean
  ignores(key: string): boolean
}

/** The rules of `patterns`; undefined: DEEP's default for the kind (an empty list ignores nothing). */
export function ignoreRules(kind: BucketKind, patterns?: readonly string[]): IgnoreRules {
  const list = patterns ?? DEFAULT_IGNORE[kind]
  // allowRelativePaths: S3 keys may begin with "/" or "./"; they are matched as they are.
  const matcher: Ignore = ignore({ ignoreCase: false, allowRelativePaths: true }).add([...list])
  return {
    kind,
    patterns: list,
    isDefault: list === DEFAULT_IGNORE[kind],
    ignores: (key) => key !== '' && matcher.ignores(key)
  }
}

/** Lines of an ignore file: gitignore syntax (blank lines and `#` comments skipped). */
export function parseIgnoreFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+$/, ''))
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/** Where a list came from, for the log and errors. */
export type IgnoreSource = { kind: 'default' } | { kind: 'input' } | { kind: 'file'; path: string }

export interface ResolvedIgnore {
  patterns: string[]
  source: IgnoreSource
}

/** A value meant as a file: `./…`, or a name ending in `ignore` (`.s3ignore`, `private.ignore`). */
const LOOKS_LIKE_FILE = /^\.\.?\/|ignore$/

/**
 * The patterns of `private-ignore` / `public-ignore`. One value naming a file in the repository
 * (relative to `workspace`) is read as the list; a value that looks like a file (`./…` or ending
 * in `ignore`) but cannot be read is an error naming the input; anything else is the patterns.
 */
export async function resolveIgnoreInput(
  input: 'private-ignore' | 'public-ignore',
  values: readonly string[],
  deps: { workspace: string; readFile: (file: string) => Promise<string> }
): Promise<ResolvedIgnore> {
  if (values.length === 0) return { patterns: [], source: { kind: 'default' } }
  const only = values.length === 1 ? values[0] : undefined
  if (only !== undefined && !only.startsWith('!')) {
    const file = path.resolve(deps.workspace, only)
    const inside = !path.relative(deps.workspace, file).startsWith('..')
    let text: string | undefined
    let failure: string | undefined
    if (inside) {
      try {
        text = await deps.readFile(file)
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error)
      }
    }
    if (text !== undefined)
      return { patterns: parseIgnoreFile(text), source: { kind: 'file', path: only } }
    if (LOOKS_LIKE_FILE.test(only)) {
      throw new IgnoreFileError(
        input,
        only,
        inside
          ? `cannot read the ignore file ${only} in the repository (${failure ?? 'unreadable'}): check the path (relative to the repository root) and that the workflow checked the repository out`
          : `the ignore file ${only} is outside the repository; give a path inside it`
      )
    }
  }
  return { patterns: [...values], source: { kind: 'input' } }
}

export class IgnoreFileError extends Error {
  constructor(
    readonly input: string,
    readonly value: string,
    detail: string
  ) {
    super(`input '${input}' = ${JSON.stringify(value)}: ${detail}`)
    this.name = 'IgnoreFileError'
  }
}
