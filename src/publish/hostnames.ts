/**
 * Hostname rules, pure: which names a certificate covers (TLS wildcard rules) and the names an
 * X.509 certificate carries (IAM server certificates are read as PEM).
 */
import { X509Certificate } from 'node:crypto'

/**
 * Does a certificate name cover `host`? An exact name covers itself; `*.a.b` covers one label
 * under `a.b` and the alias `*.a.b` itself (TLS wildcard rules).
 */
export function nameCovers(certName: string, host: string): boolean {
  const name = certName.toLowerCase()
  const h = host.toLowerCase()
  if (name === h) return true
  if (!name.startsWith('*.')) return false
  const parent = name.slice(2)
  if (h.startsWith('*.')) return false
  const dot = h.indexOf('.')
  return dot > 0 && h.slice(dot + 1) === parent
}

export function covers(certNames: readonly string[], host: string): boolean {
  return certNames.some((n) => nameCovers(n, host))
}

/**
 * The DNS names of a PEM certificate: its subject alternative names, or (without any) the
 * subject's common name, lower case. Browsers and CloudFront only look at the SANs when present.
 */
export function pemNames(pem: string): string[] {
  const cert = new X509Certificate(pem)
  const sans = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase())
  if (sans.length > 0) return [...new Set(sans)]
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1]
  return cn === undefined ? [] : [cn.trim().toLowerCase()]
}
