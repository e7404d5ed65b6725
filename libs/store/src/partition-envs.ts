import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RootDatabase } from "lmdb";
import { openStoreDbs, type StoreDbs } from "./store-dbs.js";

/** The address space earlier builds gave their one environment for every partition (1 TiB). */
const SHARED_MAP_SIZE_BYTES = 2 ** 40;

/** One LMDB environment and its named databases. */
export interface PartitionEnv {
  env: RootDatabase;
  db: StoreDbs;
}

/**
 * Where each partition's records live: an LMDB environment of its own, `<store>/partitions/<p>`,
 * opened on first use. A partition is applied by one thread (its worker), so each environment
 * has one writing thread: lmdb-js 3.5.6 corrupted its free-page list when two partition workers
 * committed to one shared environment under heavy churn (docs/log-and-store.md). A store written
 * before this layout (one environment, `<store>/data.mdb`, for every partition) is still opened
 * as it is, for every partition: its records are not moved.
 */
export class PartitionEnvs {
  private readonly open = new Map<number, PartitionEnv>();
  private readonly shared: PartitionEnv | undefined;

  /** `mapSizeBytes`: how large each partition's environment may grow. */
  constructor(
    private readonly path: string,
    private readonly mapSizeBytes: number,
  ) {
    // the whole node's data, as earlier builds sized it
    if (existsSync(join(path, "data.mdb"))) this.shared = openStoreDbs(path, SHARED_MAP_SIZE_BYTES);
  }

  of(partition: number): PartitionEnv {
    if (this.shared) return this.shared;
    let opened = this.open.get(partition);
    if (!opened) {
      opened = openStoreDbs(join(this.path, "partitions", String(partition)), this.mapSizeBytes);
      this.open.set(partition, opened);
    }
    return opened;
  }

  all(): PartitionEnv[] {
    return this.shared ? [this.shared] : [...this.open.values()];
  }
}
