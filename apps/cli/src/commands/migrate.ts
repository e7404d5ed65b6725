import { parseArgs } from "node:util";
import {
  ApiError,
  type MigrateBody,
  type MigrationResponse,
  QuiverClient,
  STRATEGIES,
  type StatisticsResponse,
} from "@quiver/api";
import { followMigration } from "../migrate/follow-migration.js";
import { migrationSummary } from "../migrate/migration-summary.js";

export const MIGRATE_USAGE = `usage: quiver migrate <library id or name> (--strategy <name> | --config '<json>')
  [--url http://127.0.0.1:8080] [--detach]
       quiver migrate <library id or name> (--follow | --cancel) <migration id> [--url ...]
Rebuilds the library under another quantization in the background (the old index serves until
each partition switches) and follows it with a progress bar and the ETA; at the end, a table of
strategy, vectors and memory before and after, and each partition's state.
--strategy takes ${STRATEGIES.join(", ")} with their defaults;
--config a quantization_config such as '{"strategy":"scalar","calibration_samples":500}'.
--detach prints the migration id and returns; --follow follows a migration started before;
--cancel cancels one and follows it until its partitions have dropped or rolled back the rebuild.
Exit status: 0 when it completed (--cancel: once cancelled), 1 when it failed or was cancelled,
2 for bad arguments, 130 after Ctrl-C, which only stops following: the migration goes on.`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

interface MigrateArgs {
  url: string;
  library: string;
  body: MigrateBody | undefined;
  follow: string | undefined;
  cancel: string | undefined;
  detach: boolean;
}

/** `quiver migrate`: returns the exit status. */
export async function migrate(args: string[]): Promise<number> {
  let parsed: MigrateArgs;
  try {
    parsed = parseMigrateArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError || isParseArgsError(error))) throw error;
    process.stderr.write(`quiver migrate: ${(error as Error).message}\n${MIGRATE_USAGE}\n`);
    return 2;
  }
  const client = new QuiverClient({ url: parsed.url });
  const libraries = await client.listLibraries();
  const library = libraries.find((l) => l.id === parsed.library || l.name === parsed.library);
  if (!library) throw new Error(`no library ${parsed.library} at ${parsed.url}`);

  let before: StatisticsResponse | undefined;
  let migrationId: string;
  if (parsed.body) {
    before = await client.statistics(library.id);
    let started: MigrationResponse;
    try {
      started = await client.migrate(library.id, parsed.body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        process.stderr.write(`quiver migrate: ${error.message}\n`);
        return 2;
      }
      const active = error instanceof ApiError ? error.details.migration_id : undefined;
      if (error instanceof ApiError && error.status === 409 && typeof active === "string") {
        process.stderr.write(
          `quiver migrate: ${error.message}\n` +
            `  follow it: quiver migrate ${library.id} --follow ${active}\n` +
            `  cancel it: quiver migrate ${library.id} --cancel ${active}\n`,
        );
        return 1;
      }
      throw error;
    }
    migrationId = started.migration_id;
    const to = String(started.to.strategy);
    if (parsed.detach) {
      process.stdout.write(`${migrationId}\n`);
      process.stderr.write(
        `migration ${migrationId} of ${library.id} to ${to} started; follow it with: quiver migrate ${library.id} --follow ${migrationId}\n`,
      );
      return 0;
    }
    process.stderr.write(
      `migrating ${library.id} from ${String(started.from.strategy)} to ${to}: ${migrationId}\n`,
    );
  } else if (parsed.cancel) {
    migrationId = parsed.cancel;
    await client.cancelMigration(library.id, migrationId);
    process.stderr.write(`cancelling migration ${migrationId} of ${library.id}\n`);
    if (parsed.detach) return 0;
  } else {
    migrationId = parsed.follow ?? "";
  }

  const { last, interrupted } = await followMigration({
    client,
    libraryId: library.id,
    migrationId,
    bar: parsed.cancel === undefined,
  });
  if (interrupted) {
    const follow = `  follow it: quiver migrate ${library.id} --follow ${migrationId}\n`;
    process.stderr.write(
      last.status === "in_progress"
        ? `stopped following; migration ${migrationId} goes on (${Math.round(last.progress * 100)}% done).\n` +
            follow +
            `  cancel it: quiver migrate ${library.id} --cancel ${migrationId}\n`
        : `stopped following; migration ${migrationId} is ${last.status} and its partitions go on dropping or rolling back the rebuild.\n` +
            follow,
    );
    return 130;
  }
  const after = await client.statistics(library.id);
  process.stdout.write(migrationSummary({ migration: last, before, after }));
  if (last.status === "completed") return 0;
  if (parsed.cancel && last.status === "cancelled") return 0;
  process.stderr.write(
    `quiver migrate: migration ${migrationId} ${last.status}: ${last.reason ?? "no reason given"}; the library keeps its old config\n`,
  );
  return 1;
}

function parseMigrateArgs(args: string[]): MigrateArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: "string", default: process.env.QUIVER_URL ?? "http://127.0.0.1:8080" },
      strategy: { type: "string" },
      config: { type: "string" },
      detach: { type: "boolean", default: false },
      follow: { type: "string" },
      cancel: { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "the library id is missing"
        : `one library at a time (got ${positionals.join(" ")})`,
    );
  }
  const actions = (["strategy", "config", "follow", "cancel"] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (actions.length !== 1) {
    throw new UsageError(
      actions.length === 0
        ? "say what to do: --strategy, --config, --follow or --cancel"
        : `--${actions.join(" and --")} do not go together`,
    );
  }
  for (const k of ["follow", "cancel"] as const) {
    if (values[k] === "") throw new UsageError(`--${k} needs a migration id`);
  }
  if (values.detach && values.follow !== undefined)
    throw new UsageError("--detach and --follow do not go together");
  if (!/^https?:\/\/[^/]/.test(values.url))
    throw new UsageError(`--url ${values.url} is not an http(s) URL`);
  const common = { url: values.url, library: positionals[0], detach: values.detach };
  if (values.strategy !== undefined) {
    if (!(STRATEGIES as readonly string[]).includes(values.strategy)) {
      throw new UsageError(`--strategy ${values.strategy} is not one of ${STRATEGIES.join(", ")}`);
    }
    return {
      ...common,
      body: { new_strategy: values.strategy },
      follow: undefined,
      cancel: undefined,
    };
  }
  if (values.config !== undefined) {
    let config: unknown;
    try {
      config = JSON.parse(values.config);
    } catch (error) {
      throw new UsageError(`--config is not JSON: ${(error as Error).message}`);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config))
      throw new UsageError(`--config must be a JSON object such as '{"strategy":"scalar"}'`);
    const body = { quantization_config: config } as MigrateBody;
    return { ...common, body, follow: undefined, cancel: undefined };
  }
  return { ...common, body: undefined, follow: values.follow, cancel: values.cancel };
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}
