// Types of scripts/release.mjs, for its tests.
export function compareVersions(a: string, b: string): number
export function changelogSection(changelog: string, version: string): string | undefined
export function releaseProblems(
  version: string,
  facts: { packageVersion: string; changelog: string; tags: string[] }
): string[]
