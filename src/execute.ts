/**
 * Runs a parsed request. Loaded on demand by main.ts and cli.ts after the inputs have parsed,
 * so a bad input fails before the AWS SDK is even loaded.
 */
import { createClients } from './aws/clients.js'
import type { Context } from './context.js'
import { BlueGreenError } from './errors.js'
import type { PublishRequest, Request } from './inputs.js'
import { publish } from './publish/index.js'
import { replicate } from './replicate/index.js'

/** Runs the requested command with fresh clients; its results go into ctx.report. */
export async function execute(request: Request, ctx: Omit<Context, 'clients'>): Promise<void> {
  const full: Context = { ...ctx, clients: createClients({ region: request.region }) }
  if (request.command === 'publish') {
    refuseUnwiredRollout(request)
    await publish(request, full)
  } else await replicate(request, full)
}

/**
 * ramp, rollback-alarms and github-token parse, but publish does not act on them yet: refuse
 * rather than publish the ratio default (all green) or skip the alarm gate.
 */
function refuseUnwiredRollout(request: PublishRequest): void {
  const given = [
    request.ramp === undefined ? '' : 'ramp',
    request.alarms === undefined ? '' : 'rollback-alarms',
    request.deployment === undefined ? '' : 'github-token'
  ].filter((name) => name !== '')
  if (given.length > 0) {
    throw new BlueGreenError(
      `${given.join(', ')}: not available in this build of the action yet; nothing was changed. Remove ${given.length === 1 ? 'it' : 'them'}, or use a release that supports rollouts.`
    )
  }
}
