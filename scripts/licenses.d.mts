// Types of scripts/licenses.mjs, for the tests that import it.
import type { Metafile } from 'esbuild'

export function packageDir(input: string): string | undefined

export function thirdPartyNotices(bundles: { name: string; metafile: Metafile }[]): {
  text: string
  packages: { name: string; version: string; license: string; bundles: string[] }[]
}
