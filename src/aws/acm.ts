/**
 * ACM certificates CloudFront distributions carry, narrowly: which names one (us-east-1) covers.
 * IAM server certificates, the other kind a distribution can carry, are read in iam.ts.
 */
import { type ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm'

/** Every name on the certificate (its domain name and subject alternative names), lower case. */
export async function certificateNames(acm: ACMClient, arn: string): Promise<string[]> {
  const res = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))
  const cert = res.Certificate
  const names = [cert?.DomainName, ...(cert?.SubjectAlternativeNames ?? [])]
  return [...new Set(names.filter((n): n is string => n !== undefined).map((n) => n.toLowerCase()))]
}
