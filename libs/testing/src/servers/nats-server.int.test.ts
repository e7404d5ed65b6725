import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./nats-server.js";

/** The INFO line a NATS server greets a client with. */
function info(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString();
      const line = text.split("\r\n")[0];
      if (text.includes("\r\n")) {
        socket.destroy();
        resolve(JSON.parse(line.replace(/^INFO /, "")));
      }
    });
    socket.on("error", reject);
  });
}

describe.each(["container", "process"] as const)("nats-server harness (%s)", (mode) => {
  let server: NatsServer;
  afterAll(() => server?.stop());

  it("starts JetStream on a free loopback port, survives SIGKILL and restarts on the same store", async () => {
    server = await startNatsServer({ mode });
    expect(server.mode).toBe(mode);
    const greeting = await info(server.port);
    expect(greeting.jetstream).toBe(true);
    expect(greeting.version).toBe("2.9.10");
    await server.kill();
    await expect(info(server.port)).rejects.toThrow();
    await server.restart();
    expect((await info(server.port)).jetstream).toBe(true);
  });
});
