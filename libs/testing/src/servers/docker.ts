import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const imagesDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "images");

let available: Promise<boolean> | undefined;

/** Whether a Docker engine answers (the test command starts one when it can). */
export function dockerAvailable(): Promise<boolean> {
  available ??= run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 10_000 }).then(
    () => true,
    () => false,
  );
  return available;
}

const built = new Map<string, Promise<string>>();

/** Builds (once) the test image `images/<name>/build.sh` makes and returns its tag. */
export function ensureImage(name: string): Promise<string> {
  let tag = built.get(name);
  if (!tag) {
    tag = run("bash", [join(imagesDir, name, "build.sh")], { timeout: 300_000 }).then(
      ({ stdout }) => stdout.trim(),
    );
    built.set(name, tag);
  }
  return tag;
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { timeout: 60_000 });
  return stdout.trim();
}

/** Which way tests run their servers: in containers (the default, and CI's) or as processes. */
export type ServerMode = "container" | "process";

let announced = false;

export async function serverMode(): Promise<ServerMode> {
  const wanted = process.env.QUIVER_TEST_SERVERS;
  if (wanted === "process" || wanted === "container") return wanted;
  if (await dockerAvailable()) return "container";
  if (!announced) {
    announced = true;
    console.warn(
      "\n*** No Docker engine answers: test servers run as CHILD PROCESSES, not containers. ***\n" +
        "*** Run the tests through `npm test`, which starts dockerd, to exercise containers. ***\n",
    );
  }
  return "process";
}

/** Stops (`docker stop`, or `docker kill` with SIGKILL when `kill`) and removes a container. */
export async function removeContainer(id: string, kill = false): Promise<void> {
  if (kill) await docker("kill", "--signal", "KILL", id).catch(() => undefined);
  else await docker("stop", "--time", "10", id).catch(() => undefined);
  await docker("rm", "-f", id).catch(() => undefined);
}
