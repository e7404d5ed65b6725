import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { ApiError, QuiverClient } from "@quiver/api";
import { ProgressBar } from "./progress.js";
import { type LoadRow, openVectorFile } from "./vector-files.js";

export interface LoadOptions {
  url: string;
  /** Library id or name. */
  library: string;
  file: string;
  batchSize?: number;
  /** Batches in flight at once. */
  concurrency?: number;
  /** Prepended to the row-number ids of .fvecs and .npy rows. */
  idPrefix?: string;
  /** Where progress is kept for a resume (default: beside the file). */
  checkpointPath?: string;
  progress?: boolean;
}

export interface LoadResult {
  libraryId: string;
  rows: number;
  resumedFrom: number;
  seconds: number;
}

interface Checkpoint {
  file: string;
  size: number;
  mtimeMs: number;
  libraryId: string;
  rowsDone: number;
}

const MAX_ATTEMPTS = 6;

/**
 * Imports a file of vectors into a library: batches upserted with an Idempotency-Key per batch
 * (a retried batch is deduplicated), several in flight, and a checkpoint of the rows acknowledged
 * so far, so that an interrupted import resumes where it stopped.
 */
export async function loadFile(options: LoadOptions): Promise<LoadResult> {
  const client = new QuiverClient({ url: options.url });
  const libraries = await client.listLibraries();
  const library = libraries.find((l) => l.id === options.library || l.name === options.library);
  if (!library) throw new Error(`no library ${options.library} at ${options.url}`);
  const file = resolve(options.file);
  const source = await openVectorFile(file);
  if (source.dimension !== undefined && source.dimension !== library.dimension) {
    throw new Error(
      `${file} holds vectors of dimension ${source.dimension}; library ${library.name} has ${library.dimension}`,
    );
  }
  const stat = statSync(file);
  const checkpointPath = options.checkpointPath ?? `${file}.quiver-load-${library.id}.json`;
  let resumedFrom = 0;
  if (existsSync(checkpointPath)) {
    const saved = JSON.parse(readFileSync(checkpointPath, "utf8")) as Checkpoint;
    if (
      saved.size === stat.size &&
      saved.mtimeMs === stat.mtimeMs &&
      saved.libraryId === library.id
    ) {
      resumedFrom = saved.rowsDone;
    }
  }
  const save = (rowsDone: number) => {
    const checkpoint: Checkpoint = {
      file,
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      libraryId: library.id,
      rowsDone,
    };
    writeFileSync(`${checkpointPath}.tmp`, JSON.stringify(checkpoint));
    renameSync(`${checkpointPath}.tmp`, checkpointPath);
  };
  if (options.progress !== false && resumedFrom > 0) {
    process.stderr.write(
      `resuming at row ${resumedFrom.toLocaleString("en")} (checkpoint ${checkpointPath})\n`,
    );
  }
  const started = Date.now();
  const bar = options.progress === false ? undefined : new ProgressBar(source.rows, resumedFrom);
  const batchSize = options.batchSize ?? 1000;
  const concurrency = options.concurrency ?? 4;
  const keyBase = `load:${library.id}:${basename(file)}:${stat.size}`;

  // Completed batches may finish out of order: the checkpoint advances over the contiguous prefix.
  let acknowledged = resumedFrom;
  const finished = new Map<number, number>(); // start row -> rows
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let next = resumedFrom;
  const send = async (start: number, rows: LoadRow[]) => {
    const vectors = rows.map((r) => ({
      id: `${options.idPrefix ?? ""}${r.id}`,
      vector: r.vector,
      metadata: r.metadata ?? undefined,
    }));
    for (let attempt = 1; ; attempt++) {
      try {
        await client.upsert(library.id, vectors, {
          idempotencyKey: `${keyBase}:${start}+${rows.length}`,
        });
        break;
      } catch (error) {
        const clientError = error instanceof ApiError && error.status < 500;
        if (clientError || attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
    finished.set(start, rows.length);
    while (finished.has(acknowledged)) {
      const n = finished.get(acknowledged) as number;
      finished.delete(acknowledged);
      acknowledged += n;
    }
    save(acknowledged);
    bar?.update(acknowledged);
  };
  for await (const batch of source.batches(resumedFrom, batchSize)) {
    if (failure) break;
    const start = next;
    next += batch.length;
    const task: Promise<void> = send(start, batch).catch((error: unknown) => {
      failure ??= error;
    });
    const tracked = task.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) {
    bar?.finish(acknowledged);
    throw failure;
  }
  bar?.finish(acknowledged);
  rmSync(checkpointPath, { force: true });
  return {
    libraryId: library.id,
    rows: acknowledged,
    resumedFrom,
    seconds: (Date.now() - started) / 1000,
  };
}
