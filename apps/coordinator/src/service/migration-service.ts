import { randomBytes } from "node:crypto";
import {
  migrationPath,
  ApiError,
  ApiErrorCode,
  invalidField,
  type MigrateBody,
  type MigrationResponse,
} from "@quiver/api";
import {
  CATALOG_PARTITION,
  encodeEvent,
  type LibraryRecord,
  type QuantizationConfig,
  type QuiverEvent,
  trainingSampleSize,
} from "@quiver/events";
import { type MigrationRecord, partitionsOf } from "../catalog/catalog.js";
import type { ServiceContext } from "./context.js";
import { type LibraryStatsRows, totalVectors } from "./node-stats.js";
import type { NodeStatsView } from "./node-stats-view.js";
import { targetConfig } from "./migration-target.js";
import { gatherLibraryStats } from "./statistics-service.js";
import { newTrainingId } from "./training/training-controller.js";

const CATALOG_WAIT_MS = 10_000;

type Row = LibraryStatsRows["rows"][number];

/**
 * Migrations (brief §2): start appends migration.started to each of the library's partitions
 * (each rebuilds in the background and switches on its own) and then to the catalog. The
 * coordinator follows them through the shards' statistics; once every partition reports the
 * switch it records migration.completed in the catalog (the library's config changes there), and
 * when one reports a failure it appends migration.failed everywhere (partitions that switched
 * rebuild the old config). Cancel does the same with migration.cancelled. Every coordinator may
 * drive: the events' message ids make the outcome recorded once. A check of the migrations in
 * progress reads the shards' statistics of every library at once (one call per shard node,
 * shared with the other controllers), whatever the number of migrations.
 */
export class MigrationService {
  private timer: NodeJS.Timeout | undefined;
  private driving: Promise<void> | undefined;
  /** How old the statistics a check reads may be: its interval. */
  private checkMs: number | undefined;
  /** Called once a migration is in the log (the trainings' controller looks at it at once). */
  onStarted: () => void = () => {};

  constructor(
    private readonly ctx: ServiceContext,
    private readonly stats: NodeStatsView,
  ) {}

  async start(library: LibraryRecord, body: MigrateBody): Promise<MigrationResponse> {
    const to = targetConfig(body, library.quantization, library.dimension);
    const field = body.quantization_config ? "quantization_config" : "new_strategy";
    return this.get(library, await this.begin(library, to, field));
  }

  /** Whether the library has a migration in progress. */
  active(libraryId: string): MigrationRecord | undefined {
    return this.ctx.catalog.activeMigration(libraryId);
  }

  /**
   * Appends migration.started for `to` to the library's partitions and the catalog; answers the
   * migration's id. `field` names the request field a conflict is reported against; `stats`, the
   * shards' rows of the library when the caller has them (else the shards are asked).
   */
  async begin(
    library: LibraryRecord,
    to: QuantizationConfig,
    field: string,
    stats?: LibraryStatsRows,
  ): Promise<string> {
    const active = this.ctx.catalog.activeMigration(library.libraryId);
    if (active) {
      throw new ApiError(
        ApiErrorCode.MigrationConflict,
        `migration ${active.migrationId} of library ${library.libraryId} is in progress: wait for it or cancel it`,
        { migration_id: active.migrationId },
      );
    }
    if (JSON.stringify(to) === JSON.stringify(library.quantization)) {
      throw invalidField(
        field,
        "is the library's current configuration: there is nothing to migrate",
        ApiErrorCode.InvalidConfig,
      );
    }
    const migrationId = `mig_${randomBytes(8).toString("hex")}`;
    // codes for a library that holds its sample: trained once for all partitions, which wait
    const sample = trainingSampleSize(to);
    const rows = sample > 0 ? (stats ?? (await gatherLibraryStats(this.ctx, library))).rows : [];
    const trains = sample > 0 && totalVectors(rows) >= sample;
    const data = encodeEvent({
      type: "migration.started",
      libraryId: library.libraryId,
      migrationId,
      from: library.quantization,
      to,
      atMs: Date.now(),
      ...(trains ? { trainingId: newTrainingId() } : {}),
    });
    await Promise.all(
      Array.from({ length: partitionsOf(library) }, (_, p) =>
        this.ctx.log.append(p, data, `migrate:${migrationId}:${p}`),
      ),
    );
    const { seq } = await this.ctx.log.append(CATALOG_PARTITION, data, `migrate:${migrationId}`);
    await this.ctx.catalog.waitFor(seq, CATALOG_WAIT_MS);
    this.onStarted();
    return migrationId;
  }

  async get(library: LibraryRecord, migrationId: string): Promise<MigrationResponse> {
    const migration = this.find(library, migrationId);
    const { rows } = await gatherLibraryStats(this.ctx, library);
    return this.view(migration, rows);
  }

  async list(library: LibraryRecord): Promise<MigrationResponse[]> {
    const { rows } = await gatherLibraryStats(this.ctx, library);
    return this.ctx.catalog.migrationsOf(library.libraryId).map((m) => this.view(m, rows));
  }

  async cancel(library: LibraryRecord, migrationId: string): Promise<MigrationResponse> {
    const migration = this.find(library, migrationId);
    if (!isActive(migration)) {
      throw new ApiError(
        ApiErrorCode.MigrationConflict,
        `migration ${migrationId} is ${migration.status}: only a migration in progress can be cancelled`,
        { migration_id: migrationId, status: migration.status },
      );
    }
    await this.finish(library, migration, {
      type: "migration.cancelled",
      libraryId: library.libraryId,
      migrationId,
      reason: "cancelled by a user",
      atMs: Date.now(),
    });
    return this.get(library, migrationId);
  }

  /** Checks every migration in progress every `intervalMs` (until stop). */
  startDriving(intervalMs: number): void {
    this.checkMs = intervalMs;
    this.timer = setInterval(() => {
      this.driving ??= this.drive()
        .catch((error: unknown) =>
          this.ctx.logger.warn({ err: error }, "driving the migrations failed"),
        )
        .finally(() => (this.driving = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.driving;
  }

  /** Records the outcome of migrations whose partitions have all switched, or one has failed. */
  async drive(): Promise<void> {
    const active = this.ctx.catalog.activeMigrations();
    if (active.length === 0) return;
    const round = await this.stats.round(this.checkMs);
    for (const migration of active) {
      const library = this.ctx.catalog.get(migration.libraryId);
      if (!library) continue;
      const { rows } = round.library(library.libraryId);
      const mine = rows.map((r) => ownProgress(r, migration.migrationId));
      const failed = rows.find((r, i) => mine[i]?.state === "failed");
      if (failed) {
        await this.finish(library, migration, {
          type: "migration.failed",
          libraryId: library.libraryId,
          migrationId: migration.migrationId,
          reason: `partition ${failed.partition} on shard ${failed.shard}: ${failed.migration?.error ?? "rebuild failed"}`,
          atMs: Date.now(),
        });
        continue;
      }
      const covered = new Set(rows.map((r) => r.partition));
      const allSwitched =
        covered.size === partitionsOf(library) && mine.every((m) => m?.state === "switched");
      if (!allSwitched) continue;
      const data = encodeEvent({
        type: "migration.completed",
        libraryId: library.libraryId,
        migrationId: migration.migrationId,
        atMs: Date.now(),
      });
      const { seq } = await this.ctx.log.append(
        CATALOG_PARTITION,
        data,
        `migration-completed:${migration.migrationId}`,
      );
      await this.ctx.catalog.waitFor(seq, CATALOG_WAIT_MS);
      this.ctx.logger.info(
        { library: library.libraryId, migration: migration.migrationId },
        "migration completed",
      );
    }
  }

  private async finish(
    library: LibraryRecord,
    migration: MigrationRecord,
    event: Extract<QuiverEvent, { type: "migration.failed" | "migration.cancelled" }>,
  ): Promise<void> {
    const data = encodeEvent(event);
    const key = `${event.type}:${migration.migrationId}`;
    await Promise.all(
      Array.from({ length: partitionsOf(library) }, (_, p) =>
        this.ctx.log.append(p, data, `${key}:${p}`),
      ),
    );
    const { seq } = await this.ctx.log.append(CATALOG_PARTITION, data, key);
    await this.ctx.catalog.waitFor(seq, CATALOG_WAIT_MS);
    this.ctx.logger.warn(
      { library: library.libraryId, migration: migration.migrationId, reason: event.reason },
      event.type === "migration.failed" ? "migration failed" : "migration cancelled",
    );
  }

  private keepProgress(migration: MigrationRecord, progress: number): void {
    const { libraryId, migrationId } = migration;
    void this.ctx.catalog.facts
      .putProgress({ libraryId, migrationId, progress, atMs: Date.now() })
      .catch((error: unknown) =>
        this.ctx.logger.warn({ err: error, migration: migrationId }, "migration progress not kept"),
      );
  }

  private find(library: LibraryRecord, migrationId: string): MigrationRecord {
    const migration = this.ctx.catalog.migration(migrationId);
    if (!migration || migration.libraryId !== library.libraryId) {
      throw new ApiError(
        ApiErrorCode.MigrationNotFound,
        `library ${library.libraryId} has no migration ${migrationId}`,
        { field: "mid", migration_id: migrationId },
      );
    }
    return migration;
  }

  private view(migration: MigrationRecord, rows: Row[]): MigrationResponse {
    const partitions = rows.map((r) => {
      const m = ownProgress(r, migration.migrationId);
      return {
        partition: r.partition,
        shard: r.shard,
        state: m?.state ?? (isActive(migration) ? "waiting" : "superseded"),
        vectors_done: m ? (m.state === "building" ? m.done : m.total) : 0,
        vectors_total: m ? m.total : r.vectors,
        ...(m?.error ? { error: m.error } : {}),
      };
    });
    const done = partitions.reduce((a, p) => a + p.vectors_done, 0);
    const total = partitions.reduce((a, p) => a + p.vectors_total, 0);
    const measured =
      migration.status === "completed" ? 1 : total > 0 ? done / total : rows.length > 0 ? 1 : 0;
    // what callers saw, on any coordinator, before a restart too: it only grows
    const seen = this.ctx.catalog.facts.progress(migration.migrationId)?.progress ?? 0;
    const progress = Math.max(seen, measured);
    if (isActive(migration) && progress > seen) this.keepProgress(migration, progress);
    const elapsedS = (Date.now() - migration.startedAtMs) / 1000;
    const eta = !isActive(migration)
      ? 0
      : progress > 0 && progress < 1
        ? (elapsedS * (1 - progress)) / progress
        : null;
    return {
      migration_id: migration.migrationId,
      library_id: migration.libraryId,
      url: migrationPath(migration.libraryId, migration.migrationId),
      status: migration.status,
      from: migration.from as unknown as Record<string, unknown>,
      to: migration.to as unknown as Record<string, unknown>,
      progress: Math.round(progress * 1e4) / 1e4,
      vectors_done: done,
      vectors_total: total,
      eta_seconds: eta === null ? null : Math.round(eta),
      started_at: new Date(migration.startedAtMs).toISOString(),
      ...(migration.finishedAtMs
        ? { finished_at: new Date(migration.finishedAtMs).toISOString() }
        : {}),
      ...(migration.reason ? { reason: migration.reason } : {}),
      partitions,
    };
  }
}

function isActive(m: MigrationRecord): boolean {
  return m.status === "in_progress";
}

function ownProgress(row: Row, migrationId: string) {
  return row.migration?.migrationId === migrationId ? row.migration : undefined;
}
