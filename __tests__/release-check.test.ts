/** The release workflow's own checks (scripts/release.mjs) and the changelog it reads. */
import { readFileSync } from 'node:fs'
import { changelogSection, compareVersions, releaseProblems } from '../scripts/release.mjs'

const changelog = [
  '# Changelog',
  '',
  '## [Unreleased]',
  '',
  '## [1.2.0] - 2027-01-10',
  '',
  '### Added',
  '- ramps',
  '',
  '## [1.1.0] - 2026-12-20',
  '',
  '- first',
  '',
  '[1.2.0]: https://example.invalid/compare/v1.1.0...v1.2.0'
].join('\n')

describe('release checks', () => {
  it('orders versions numerically', () => {
    expect(compareVersions('1.10.0', '1.9.3')).toBeGreaterThan(0)
    expect(compareVersions('2.0.0', '2.0.0')).toBe(0)
    expect(compareVersions('1.0.9', '1.1.0')).toBeLessThan(0)
  })

  it('reads one section of the changelog, without link references', () => {
    expect(changelogSection(changelog, '1.2.0')).toBe('### Added\n- ramps')
    expect(changelogSection(changelog, '1.1.0')).toBe('- first')
    expect(changelogSection(changelog, '1.3.0')).toBeUndefined()
  })

  const facts = { packageVersion: '1.3.0', changelog: `${changelog}\n## [1.3.0]\n- x\n`, tags: [] }

  it('accepts a new version that package.json and the changelog name', () => {
    expect(releaseProblems('1.3.0', { ...facts, tags: ['v1.2.0', 'v1', 'v0.9.0'] })).toEqual([])
  })

  it.each([
    ['a tag name for a version', 'v1.3.0', facts, /is not a version X\.Y\.Z/],
    ['package.json behind', '1.3.0', { ...facts, packageVersion: '1.2.0' }, /package\.json says/],
    ['no changelog section', '1.3.0', { ...facts, changelog }, /rename '## \[Unreleased\]'/],
    ['a tag that exists', '1.3.0', { ...facts, tags: ['v1.3.0'] }, /v1\.3\.0 exists already/],
    ['an older version', '1.3.0', { ...facts, tags: ['v1.4.0'] }, /v1 would move back: v1\.4\.0/]
  ])('refuses %s', (_name, version, given, problem) => {
    expect(releaseProblems(version, given).join('\n')).toMatch(problem)
  })

  it("this repository's changelog has an Unreleased section with entries", () => {
    const own = readFileSync('CHANGELOG.md', 'utf8')
    expect(own).toContain('## [Unreleased]')
    expect(changelogSection(own, 'Unreleased')).toMatch(/### Added/)
  })
})
