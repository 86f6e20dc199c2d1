/**
 * Files shipped next to the bundle (dist/edge/router.js and friends). From the bundle
 * (dist/index.js, dist/cli.js) they sit beside it, from a chunk (dist/chunks/*.js) one level up,
 * and from the sources (src/, under jest) in ../dist/.
 */
import { readFile } from 'node:fs/promises'

/** The text of `name` (e.g. 'edge/router.js'); throws naming every place it looked. */
export async function readAsset(name: string): Promise<string> {
  const places = [`./${name}`, `../${name}`, `../dist/${name}`].map(
    (relative) => new URL(relative, import.meta.url)
  )
  for (const place of places) {
    try {
      return await readFile(place, 'utf8')
    } catch (error) {
      if (!isNotFound(error)) throw error
    }
  }
  throw new Error(
    `${name} is missing (looked in ${places.map((p) => p.pathname).join(', ')}); run \`npm run bundle\``
  )
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT'
}
