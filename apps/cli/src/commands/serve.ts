import { serveConfig } from "../config.js";
import { startEmbedded } from "../embedded.js";

/** `quiver serve`: embedded Quiver until SIGTERM or SIGINT, then a clean stop. */
export async function serve(): Promise<void> {
  const config = serveConfig();
  if (!process.env.QUIVER_ADMIN_KEY) {
    console.warn(
      "quiver: QUIVER_ADMIN_KEY is not set: authentication is off (embedded mode). Do not expose this port.",
    );
  }
  const quiver = await startEmbedded(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`quiver: ${signal}, stopping`);
    quiver.close().then(
      () => process.exit(0),
      (error: unknown) => {
        // process.exit would wait for the threads that did not stop, for ever (a thread ended
        // inside an LMDB transaction deadlocks lmdb-js's clean-up); the log and the store
        // recover from a hard stop as from a crash
        console.error("quiver: stop failed, exiting at once:", error);
        process.kill(process.pid, "SIGKILL");
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
