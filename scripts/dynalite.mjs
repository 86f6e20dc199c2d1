// A second, independent DynamoDB for the tests: dynalite (npm, installed from the lock file),
// stricter than moto in its request validation. One in-memory instance per jest worker on a free
// 127.0.0.1 port, run inside the test command's own process and closed by it.
import dynalite from 'dynalite'

const servers = []

/** Starts `count` dynalite servers and resolves to their endpoints. */
export async function startDynalite(count) {
  const endpoints = []
  for (let i = 0; i < count; i++) {
    // Tables become ACTIVE (and are deleted) after 50 ms instead of dynalite's 500 ms.
    const server = dynalite({ createTableMs: 50, deleteTableMs: 50, updateTableMs: 50 })
    await new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    })
    servers.push(server)
    endpoints.push(`http://127.0.0.1:${server.address().port}`)
  }
  return endpoints
}

/** Closes every server this process started. */
export async function stopDynalite() {
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(() => resolve())))
  )
}
