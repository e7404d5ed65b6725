import { connect } from "node:net";

/** Resolves once a TCP connection to 127.0.0.1:port succeeds; rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Resolves once GET url answers 200; rejects after timeoutMs, or as soon as `failed` rejects
 * (a process that exits early).
 */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  failed?: Promise<never>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let stop: unknown;
  failed?.catch((error: unknown) => {
    stop = error;
  });
  for (;;) {
    if (stop !== undefined) throw stop;
    const status = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      async (response) => {
        await response.body?.cancel();
        return response.status;
      },
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline)
      throw new Error(`GET ${url} did not answer 200 after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
