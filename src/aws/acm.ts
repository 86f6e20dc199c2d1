/**
 * The certificates CloudFront distributions carry, narrowly: which names an ACM certificate
 * (us-east-1) covers, and the PEM body of an IAM server certificate (named by its id).
 */
import { type ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm'
import {
  GetServerCertificateCommand,
  type IAMClient,
  paginateListServerCertificates
} from '@aws-sdk/client-iam'

/** Every name on the certificate (its domain name and subject alternative names), lower case. */
export async function certificateNames(acm: ACMClient, arn: string): Promise<string[]> {
  const res = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))
  const cert = res.Certificate
  const names = [cert?.DomainName, ...(cert?.SubjectAlternativeNames ?? [])]
  return [...new Set(names.filter((n): n is string => n !== undefined).map((n) => n.toLowerCase()))]
}

/** The name of the IAM server certificate with this id (CloudFront's IAMCertificateId). */
export async function serverCertificateName(
  iam: IAMClient,
  id: string
): Promise<string | undefined> {
  for await (const page of paginateListServerCertificates({ client: iam }, {})) {
    const found = page.ServerCertificateMetadataList?.find((m) => m.ServerCertificateId === id)
    if (found?.ServerCertificateName !== undefined) return found.ServerCertificateName
  }
  return undefined
}

/** The PEM body of an IAM server certificate. */
export async function serverCertificateBody(iam: IAMClient, name: string): Promise<string> {
  const res = await iam.send(new GetServerCertificateCommand({ ServerCertificateName: name }))
  const body = res.ServerCertificate?.CertificateBody
  if (body === undefined) throw new Error(`GetServerCertificate ${name} returned no body`)
  return body
}
