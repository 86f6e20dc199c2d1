/**
 * A small DNS server on 127.0.0.1 for the manual-DNS tests (dns-packet for the wire format):
 * it answers the names it has been told (a CNAME chain and/or A/AAAA addresses) and NXDOMAIN
 * for every other, so a test decides whether B1 and G2 "resolve". `dns-resolvers:
 * 127.0.0.1:<port>` points publish at it; nothing leaves this machine.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import dnsPacket, { type Answer } from 'dns-packet'

export interface DnsEntry {
  cname?: string
  a?: string[]
  aaaa?: string[]
}

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for `dns-resolvers`. */
  address: string
  set(name: string, entry: DnsEntry): void
  remove(name: string): void
  has(name: string): boolean
  /** Every entry, to put back with restore() (a test replaying a step). */
  snapshot(): [string, DnsEntry][]
  restore(entries: [string, DnsEntry][]): void
  clear(): void
  /** Names asked so far (lower case), for assertions. */
  asked: string[]
  close(): Promise<void>
}

const norm = (name: string): string => name.toLowerCase().replace(/\.$/, '')

export async function startDnsServer(): Promise<TestDnsServer> {
  const entries = new Map<string, DnsEntry>()
  const asked: string[] = []
  const socket: Socket = createSocket('udp4')

  /** The answers for `name`/`type`, following CNAMEs the server knows (as a recursor would). */
  const answer = (name: string, type: string): Answer[] => {
    const out: Answer[] = []
    let at = norm(name)
    for (let hop = 0; hop < 8; hop++) {
      const e = entries.get(at)
      if (e === undefined) break
      if (e.cname !== undefined) {
        out.push({ type: 'CNAME', name: at, ttl: 60, data: e.cname })
        if (type === 'CNAME') break
        at = norm(e.cname)
        continue
      }
      if (type === 'A')
        for (const ip of e.a ?? []) out.push({ type: 'A', name: at, ttl: 60, data: ip })
      if (type === 'AAAA') {
        for (const ip of e.aaaa ?? []) out.push({ type: 'AAAA', name: at, ttl: 60, data: ip })
      }
      break
    }
    return out
  }

  socket.on('message', (message: Buffer, from: RemoteInfo) => {
    let query: dnsPacket.Packet
    try {
      query = dnsPacket.decode(message)
    } catch {
      return
    }
    const question = query.questions?.[0]
    if (question === undefined) return
    asked.push(norm(question.name))
    const known = entries.has(norm(question.name))
    const answers = answer(question.name, question.type)
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: [question],
      answers
    })
    socket.send(response, from.port, from.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  // A test file may keep it for its whole run: it must not keep the process alive.
  socket.unref()
  const { port } = socket.address()
  return {
    address: `127.0.0.1:${port}`,
    set: (name, entry) => {
      entries.set(norm(name), entry)
    },
    remove: (name) => entries.delete(norm(name)),
    has: (name) => entries.has(norm(name)),
    snapshot: () => structuredClone([...entries]),
    restore: (saved) => {
      entries.clear()
      for (const [k, v] of saved) entries.set(k, structuredClone(v))
    },
    clear: () => {
      entries.clear()
    },
    asked,
    close: () =>
      new Promise<void>((resolve) => {
        socket.close(() => {
          resolve()
        })
      })
  }
}
