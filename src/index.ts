// The runner calls `node dist/index.js` with no flags: turn source maps on here, before the rest
// of the bundle loads, so a stack trace names src/ files and lines instead of minified chunks;
// and keep enough frames to get past the AWS SDK's middleware to our own code.
process.setSourceMapsEnabled(true)
Error.stackTraceLimit = Math.max(Error.stackTraceLimit, 50)
const { run } = await import('./main.js')
await run()
export {}
