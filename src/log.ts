/**
 * Domain code reports progress through this interface, never through @actions/core: main.ts
 * maps it onto the runner's log (groups, annotations), the CLI onto the terminal, tests onto
 * an array.
 */
export interface Logger {
  info(message: string): void
  warn(message: string): void
  debug(message: string): void
  /** Runs `fn` inside a collapsible group of log lines. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
}

/** A logger that keeps every line, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    debug: () => undefined,
    group: async (title, fn) => {
      lines.push(`## ${title}`)
      return fn()
    }
  }
}
