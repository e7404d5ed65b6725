import { pino, type Logger } from "pino";

export type { Logger };

/** A JSON logger (pino) for one component; QUIVER_LOG_LEVEL sets the level (default info). */
export function createLogger(component: string, options: { level?: string } = {}): Logger {
  return pino({ name: component, level: options.level ?? process.env.QUIVER_LOG_LEVEL ?? "info" });
}

/** A logger that writes nowhere (tests that assert on behaviour, not on log lines). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
