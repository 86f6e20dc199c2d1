/**
 * The action's inputs as action.yml declares them (description, default, required), for the
 * CLI's --help. scripts/build.mjs reads action.yml and puts them into the bundle, so action.yml
 * stays the one source of truth (and check:dist fails when the two drift apart).
 */
export interface ActionInput {
  name: string
  description: string
  required: boolean
  default?: string
}

declare const __BLUEGREEN_INPUTS__: ActionInput[] | undefined

/** Every input of action.yml, in its order (empty when running unbundled, from src/). */
export const ACTION_INPUTS: readonly ActionInput[] =
  typeof __BLUEGREEN_INPUTS__ === 'undefined' ? [] : __BLUEGREEN_INPUTS__
