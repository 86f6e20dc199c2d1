import type { Context } from './context.js'
import type { Request } from './inputs.js'
import { publish } from './publish/index.js'
import { replicate } from './replicate/index.js'

/** Runs the requested command; its results go into ctx.report. */
export async function runCommand(request: Request, ctx: Context): Promise<void> {
  if (request.command === 'publish') await publish(request, ctx)
  else await replicate(request, ctx)
}
