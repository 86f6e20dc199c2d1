/**
 * Hostname rules shared by the model's services: alias matching (exact beats wildcard, a
 * wildcard matches exactly one label) and certificate coverage (a SAN `*.a.b` covers `x.a.b`
 * only). Everything is compared in lower case without a trailing dot.
 */

export function normalise(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\\052/, '*')
}

/** Does the pattern (an exact name or `*.suffix`) match the host? One label for a wildcard. */
export function matches(pattern: string, host: string): boolean {
  const p = normalise(pattern)
  const h = normalise(host)
  if (!p.startsWith('*.')) return p === h
  const suffix = p.slice(1)
  if (!h.endsWith(suffix)) return false
  const label = h.slice(0, -suffix.length)
  return label.length > 0 && !label.includes('.')
}

/**
 * How specific a matching alias is: an exact name beats every wildcard, a longer wildcard beats
 * a shorter one. Undefined when the alias does not match.
 */
export function specificity(pattern: string, host: string): number | undefined {
  if (!matches(pattern, host)) return undefined
  const p = normalise(pattern)
  return p.startsWith('*.') ? p.length : 10_000
}

/** Is `name` (an alias, possibly a wildcard) covered by one of the certificate's SANs? */
export function covered(sans: readonly string[], name: string): boolean {
  const n = normalise(name)
  return sans.some((san) => {
    const s = normalise(san)
    if (s === n) return true
    // A wildcard SAN covers one label; it also covers the same wildcard alias.
    return s.startsWith('*.') && !n.startsWith('*.') && matches(s, n)
  })
}

/** Two aliases held by different distributions conflict (CNAMEAlreadyExists) when equal. */
export function conflicts(a: string, b: string): boolean {
  return normalise(a) === normalise(b)
}
