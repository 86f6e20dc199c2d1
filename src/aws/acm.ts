/** ACM (us-east-1, where CloudFront certificates live): which names a certificate covers. */
import { type ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm'

/** Every name on the certificate (its domain name and subject alternative names), lower case. */
export async function certificateNames(acm: ACMClient, arn: string): Promise<string[]> {
  const res = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))
  const cert = res.Certificate
  const names = [cert?.DomainName, ...(cert?.SubjectAlternativeNames ?? [])]
  return [...new Set(names.filter((n): n is string => n !== undefined).map((n) => n.toLowerCase()))]
}

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
