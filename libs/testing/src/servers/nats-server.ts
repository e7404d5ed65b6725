import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signalChild } from "./child.js";
import { ensureImage, removeContainer, type ServerMode, serverMode } from "./docker.js";
import { freePort } from "./free-port.js";
import { waitForPort } from "./wait-ready.js";

process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";

export interface NatsServerOptions {
  /** JetStream store directory (a fresh temporary one, removed on stop, when omitted). */
  storeDir?: string;
  mode?: ServerMode;
}

/** A real nats-server with JetStream on a free loopback port, started for a test. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly mode: ServerMode;
  /** SIGKILL: no shutdown; the store stays as a crash leaves it. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and store. */
  restart(): Promise<void>;
  /** Stops the server (and removes a temporary store). */
  stop(): Promise<void>;
}

const READY = /Server is ready/;
const START_TIMEOUT_MS = 30_000;

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const mode = options.mode ?? (await serverMode());
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), "quiver-nats-"));
  const port = await freePort();
  const backend =
    mode === "container"
      ? new ContainerBackend(port, storeDir)
      : new ProcessBackend(port, storeDir);
  await backend.start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    mode,
    kill: () => backend.kill(),
    restart: () => backend.start(),
    stop: async () => {
      await backend.stop();
      if (ownStore) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

function serverArgs(port: number, storeDir: string): string[] {
  return ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir];
}

interface Backend {
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** The server in a container built from Debian's binary, host network, the store bind-mounted. */
class ContainerBackend implements Backend {
  private id: string | undefined;

  constructor(
    private readonly port: number,
    private readonly storeDir: string,
  ) {}

  async start(): Promise<void> {
    const { GenericContainer, Wait } = await import("testcontainers");
    const image = await ensureImage("nats-server");
    const container = await new GenericContainer(image)
      .withNetworkMode("host")
      .withBindMounts([{ source: this.storeDir, target: "/data", mode: "rw" }])
      .withCommand(serverArgs(this.port, "/data"))
      .withWaitStrategy(Wait.forLogMessage(READY))
      .withStartupTimeout(START_TIMEOUT_MS)
      .start();
    this.id = container.getId();
    await waitForPort(this.port, START_TIMEOUT_MS);
  }

  kill(): Promise<void> {
    return this.remove(true);
  }

  stop(): Promise<void> {
    return this.remove(false);
  }

  private async remove(kill: boolean): Promise<void> {
    const id = this.id;
    this.id = undefined;
    if (id) await removeContainer(id, kill);
  }
}

/** The same binary as a child process, for machines without a Docker engine. */
class ProcessBackend implements Backend {
  private child: ChildProcess | undefined;

  constructor(
    private readonly port: number,
    private readonly storeDir: string,
  ) {}

  async start(): Promise<void> {
    const child = spawn("nats-server", serverArgs(this.port, this.storeDir), {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    let log = "";
    // Like nst: race the readiness line against an early exit, then probe the port.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`nats-server did not start in ${START_TIMEOUT_MS} ms:\n${log}`)),
        START_TIMEOUT_MS,
      );
      child.stderr?.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        if (READY.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code} before it was ready:\n${log}`));
      });
      child.once("error", reject);
    });
    child.stderr?.resume();
    await waitForPort(this.port, START_TIMEOUT_MS);
  }

  kill(): Promise<void> {
    return this.signal("SIGKILL");
  }

  stop(): Promise<void> {
    return this.signal("SIGTERM");
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    return signalChild(child, signal);
  }
}
