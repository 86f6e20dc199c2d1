// The `bluegreen` bin. Its shebang passes --enable-source-maps; `node dist/cli.js` (no flag)
// gets them from this call, made before the rest of the bundle loads (see src/index.ts).
process.setSourceMapsEnabled(true)
Error.stackTraceLimit = Math.max(Error.stackTraceLimit, 50)
const { main } = await import('../cli.js')
process.exitCode = await main(process.argv.slice(2))
export {}
