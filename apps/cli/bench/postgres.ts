// A throwaway PostgreSQL for bench:service: initdb in a temp directory, its own loopback port,
// run as the `postgres` user when this process is root (postgres refuses root), stopped and
// removed afterwards. Finds a PostgreSQL with the pgvector extension installed, or says why not.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@quiver/testing";

export interface PostgresInstall {
  binDir: string;
  /** e.g. "15.20" */
  version: string;
  /** The default_version in vector.control. */
  vectorVersion: string;
}

/**
 * The PostgreSQL install to use when it has initdb and the `vector` extension, else the reason:
 * QUIVER_PG_BINDIR when set (only it), else pg_config on the PATH, else the newest of
 * /usr/lib/postgresql/N.
 */
export function findPostgres(
  env: NodeJS.ProcessEnv = process.env,
  debianRoot = "/usr/lib/postgresql",
): PostgresInstall | { missing: string } {
  const candidates: { binDir: string; shareDir?: string }[] = [];
  if (env.QUIVER_PG_BINDIR) {
    candidates.push({ binDir: env.QUIVER_PG_BINDIR });
  } else {
    try {
      const [binDir, shareDir] = execFileSync("pg_config", ["--bindir", "--sharedir"], {
        encoding: "utf8",
        env,
        stdio: ["ignore", "pipe", "ignore"],
      })
        .trim()
        .split("\n");
      candidates.push({ binDir, shareDir });
    } catch {
      // no pg_config on the PATH
    }
    if (existsSync(debianRoot)) {
      for (const v of readdirSync(debianRoot).sort((a, b) => Number(b) - Number(a)))
        candidates.push({ binDir: join(debianRoot, v, "bin") });
    }
  }
  if (candidates.length === 0)
    return { missing: `no PostgreSQL found (no pg_config on the PATH, no ${debianRoot})` };
  const reasons: string[] = [];
  for (const { binDir, shareDir } of candidates) {
    if (!existsSync(join(binDir, "initdb")) || !existsSync(join(binDir, "postgres"))) {
      reasons.push(`${binDir} has no initdb and postgres`);
      continue;
    }
    let share = shareDir;
    try {
      share ??= execFileSync(join(binDir, "pg_config"), ["--sharedir"], {
        encoding: "utf8",
        env,
      }).trim();
    } catch {
      reasons.push(`${binDir}/pg_config does not say where the extensions are`);
      continue;
    }
    const control = join(share, "extension", "vector.control");
    if (!existsSync(control)) {
      reasons.push(`PostgreSQL in ${binDir} has no pgvector (${control} is missing)`);
      continue;
    }
    const version = execFileSync(join(binDir, "postgres"), ["--version"], { encoding: "utf8", env })
      .trim()
      .replace(/^.*\(PostgreSQL\)\s*/, "")
      .split(" ")[0];
    const vectorVersion =
      /default_version\s*=\s*'([^']+)'/.exec(readFileSync(control, "utf8"))?.[1] ?? "unknown";
    return { binDir, version, vectorVersion };
  }
  return { missing: reasons.join("; ") };
}

export interface Postgres {
  /** The postmaster's; the backends are its children. */
  pid: number;
  host: string;
  port: number;
  user: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** The uid/gid of `postgres` when this process is root (postgres will not run as root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line)
    throw new Error("running as root and there is no `postgres` user to run PostgreSQL as");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function run(
  binDir: string,
  cmd: string,
  args: string[],
  user: { uid: number; gid: number } | undefined,
) {
  execFileSync(join(binDir, cmd), args, {
    stdio: ["ignore", "pipe", "pipe"],
    ...(user ?? {}),
    env: { ...process.env, LC_ALL: "C" },
  });
}

/**
 * Starts a fresh cluster: initdb (trust auth on loopback), then `postgres` in the foreground as a
 * child on a free port, with `settings` (e.g. shared_buffers) on its command line; resolves once
 * it accepts connections.
 */
export async function startPostgres(
  install: PostgresInstall,
  settings: Record<string, string>,
): Promise<Postgres> {
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), "quiver-bench-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, "data");
  run(
    install.binDir,
    "initdb",
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
    user,
  );
  const port = await freePort();
  const args = ["-D", dataDir, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1"];
  for (const [k, v] of Object.entries(settings)) args.push("-c", `${k}=${v}`);
  const child: ChildProcess = spawn(join(install.binDir, "postgres"), args, {
    stdio: ["ignore", "ignore", "pipe"],
    ...(user ?? {}),
    env: { ...process.env, LC_ALL: "C" },
  });
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      run(
        install.binDir,
        "pg_isready",
        ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres"],
        undefined,
      );
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`postgres did not accept connections within 60 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    pid: child.pid as number,
    host: "127.0.0.1",
    port,
    user: "postgres",
    dataDir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGINT"); // fast shutdown
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
