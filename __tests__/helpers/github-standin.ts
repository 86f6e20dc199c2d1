/**
 * A local stand-in for the GitHub REST API on 127.0.0.1 (what the action reaches through the
 * runner's GITHUB_API_URL): it records every request and answers deployments and statuses the
 * way GitHub does (201 with an id), unless a test sets another answer.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  path: string
  authorization: string | undefined
  body: Record<string, unknown>
}

export interface GitHubStandIn {
  /** http://127.0.0.1:PORT, for GITHUB_API_URL. */
  url: string
  readonly requests: RecordedRequest[]
  /** How the next requests are answered: [status, JSON body]. */
  answer: (r: RecordedRequest) => [number, unknown]
  /** The id the last created deployment got. */
  lastId(): number
  /** The states of the statuses posted, in order. */
  states(): unknown[]
  /** Forgets the requests and answers as GitHub does again. */
  reset(): void
  close(): Promise<void>
}

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
}

export async function startGitHubStandIn(): Promise<GitHubStandIn> {
  let nextId = 1000
  const asGitHub = (r: RecordedRequest): [number, unknown] =>
    r.path.endsWith('/deployments')
      ? [201, { id: ++nextId, environment: r.body.environment }]
      : [201, { id: 1, state: r.body.state }]
  const requests: RecordedRequest[] = []
  const server: Server = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      const r: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body
      }
      requests.push(r)
      const [status, json] = standIn.answer(r)
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(json))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const standIn: GitHubStandIn = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer: asGitHub,
    lastId: () => nextId,
    states: () => requests.filter((r) => r.path.endsWith('/statuses')).map((r) => r.body.state),
    reset: () => {
      requests.length = 0
      standIn.answer = asGitHub
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      })
  }
  return standIn
}
