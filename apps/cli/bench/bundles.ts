// The processes as users start them: the bundles in dist/ (scripts/build.mjs, which rebuilds them
// only when a source changed).
import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The bundle of `name` (cli, coordinator, shard) in dist/, built first if a source changed. */
export function bundle(name: "cli" | "coordinator" | "shard"): string {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: repo, stdio: "inherit" });
  return resolve(repo, "dist", `${name}.mjs`);
}
