/**
 * Runs a parsed request. Loaded on demand by main.ts and cli.ts after the inputs have parsed,
 * so a bad input fails before the AWS SDK is even loaded.
 */
import { createClients } from './aws/clients.js'
import type { Context } from './context.js'
import type { Request } from './inputs.js'
import { publish } from './publish/index.js'
import { publishRamp } from './publish/ramp.js'
import { replicate } from './replicate/index.js'

/** Runs the requested command with fresh clients; its results go into ctx.report. */
export async function execute(request: Request, ctx: Omit<Context, 'clients'>): Promise<void> {
  const full: Context = { ...ctx, clients: createClients({ region: request.region }) }
  if (request.command === 'publish') {
    await (request.ramp === undefined ? publish(request, full) : publishRamp(request, full))
  } else await replicate(request, full)
}
