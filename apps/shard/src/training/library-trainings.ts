import { randomBytes } from "node:crypto";
import type { SampledVector, ShardTrainRequest, ShardTrainResponse } from "@quiver/api";
import { CATALOG_PARTITION, encodeEvent } from "@quiver/events";
import type { EventLog } from "@quiver/log";
import type { Logger } from "@quiver/telemetry";
import { JobThread, workerEntry } from "@quiver/threads";
import type { TrainingInput } from "./train-quantizer.js";

/** Bytes of quantizer per event: a PQ codebook of 1,536 dimensions (1.5 MB) takes 3 events. */
const PART_BYTES = 512 * 1024;

/** Draws a seeded sample of a library across its partitions, wherever they are served. */
export type LibrarySampler = (
  library: { libraryId: string; partitions: number },
  count: number,
  seed: number,
) => Promise<SampledVector[]>;

export interface LibraryTrainingsOptions {
  sampler: LibrarySampler;
  /** Where the trained quantizer is appended. */
  log: EventLog;
  logger: Logger;
}

/**
 * The trainings a shard node runs for the coordinators: one library's quantizer trained once on
 * a sample drawn across all its partitions, in a thread of its own, then appended to each of the
 * library's partition logs (in parts under the log's message size) and recorded in the catalog.
 * A training asked again while it runs is joined, not run twice; trainings run one at a time.
 */
export class LibraryTrainings {
  private readonly running = new Map<string, Promise<ShardTrainResponse>>();
  /** One training at a time, in the node's training thread. */
  private readonly thread = new JobThread<TrainingInput, Uint8Array>(
    workerEntry("./training-thread.ts", import.meta.url),
  );

  constructor(private readonly options: LibraryTrainingsOptions) {}

  train(request: ShardTrainRequest): Promise<ShardTrainResponse> {
    let run = this.running.get(request.trainingId);
    if (!run) {
      run = this.run(request).finally(() => this.running.delete(request.trainingId));
      this.running.set(request.trainingId, run);
    }
    return run;
  }

  /** Ends the training thread (the node closes). */
  close(): void {
    this.thread.close();
  }

  private async run(request: ShardTrainRequest): Promise<ShardTrainResponse> {
    const { libraryId, trainingId, dimension, partitions } = request;
    const { log, logger } = this.options;
    const sample = await this.options.sampler(
      { libraryId, partitions },
      request.sampleSize,
      request.seed,
    );
    if (sample.length === 0) throw new Error(`library ${libraryId} has no vectors to train on`);
    const values = await packed(sample, dimension);
    const started = performance.now();
    const parameters = await this.thread.run(
      { config: request.config, dimension, metric: request.metric, values, n: sample.length },
      [values.buffer as ArrayBuffer],
    );
    const trainMs = Math.round(performance.now() - started);
    const runId = randomBytes(6).toString("hex");
    const parts = Math.max(1, Math.ceil(parameters.byteLength / PART_BYTES));
    const trainedAtMs = Date.now();
    await Promise.all(
      Array.from({ length: partitions }, async (_, p) => {
        for (let part = 0; part < parts; part++) {
          const event = encodeEvent({
            type: "quantizer.trained",
            libraryId,
            trainingId,
            runId,
            config: request.config,
            parameters: parameters.subarray(part * PART_BYTES, (part + 1) * PART_BYTES),
            part,
            parts,
            sampleSize: sample.length,
            trainedAtMs,
          });
          await log.append(p, event, `train:${trainingId}:${runId}:${p}:${part}`);
        }
      }),
    );
    await log.append(
      CATALOG_PARTITION,
      encodeEvent({
        type: "library.trained",
        libraryId,
        trainingId,
        config: request.config,
        sampleSize: sample.length,
        trainedAtMs,
        ...(request.migrationId ? { migrationId: request.migrationId } : {}),
      }),
      `trained:${trainingId}`,
    );
    logger.info(
      {
        library: libraryId,
        trainingId,
        sampleSize: sample.length,
        bytes: parameters.byteLength,
        trainMs,
      },
      "quantizer trained and published to the library's partitions",
    );
    return { trainingId, sampleSize: sample.length, parts, trainMs };
  }
}

/** The sample's vectors in one array, copied a few thousand at a time between event-loop turns. */
async function packed(sample: SampledVector[], dimension: number): Promise<Float32Array> {
  const values = new Float32Array(sample.length * dimension);
  for (let i = 0; i < sample.length; i++) {
    values.set(sample[i].vector, i * dimension);
    if (i % 2048 === 2047) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return values;
}
