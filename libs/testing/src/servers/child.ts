import type { ChildProcess } from "node:child_process";

/** Sends a signal to a child process (when it still runs) and resolves once it has exited. */
export function signalChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals,
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}
