import type { Logger } from "@quiver/telemetry";
import type { CatalogSnapshotStore } from "./catalog-snapshot.js";

/** What a snapshot is taken of: the catalog. */
export interface SnapshotSource {
  /** The catalog seq of the last event applied. */
  seq(): number;
  /** The state now, encoded (synchronously: the state at seq()). */
  encode(): Uint8Array;
  /**
   * Makes durable what the snapshot's events left only in memory (facts taken from earlier
   * versions' events): a snapshot past those events is written only once this resolves true.
   */
  prepare(): Promise<boolean>;
}

export interface SnapshotWriterOptions {
  /** A snapshot once this many catalog events have been applied since the last. */
  everyEvents: number;
  /** A snapshot at least this often while events arrive. */
  intervalMs: number;
}

/**
 * When a coordinator writes the catalog's snapshot: every `everyEvents` events applied, every
 * `intervalMs` when events arrived meanwhile, and at a clean stop; one at a time, in the
 * background. Coordinators that run together mostly skip the write: the store keeps the one of
 * the highest seq.
 */
export class SnapshotWriter {
  /** The seq of the latest snapshot this writer knows the store has. */
  private savedSeq = 0;
  private sinceSaved = 0;
  private writing: Promise<void> | undefined;
  private again = false;
  /** The store's snapshot is not of this log: the next one replaces it whatever its seq. */
  private replace = false;
  private started = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: CatalogSnapshotStore,
    private readonly source: SnapshotSource,
    private readonly logger: Logger,
    private readonly options: SnapshotWriterOptions,
  ) {}

  /** The state started from the store's snapshot at `seq`. */
  loaded(seq: number): void {
    this.savedSeq = seq;
  }

  /** The store's snapshot is another log's, or unreadable: the next write replaces it. */
  replaceNext(): void {
    this.replace = true;
  }

  /** One more event applied. */
  applied(): void {
    this.sinceSaved++;
    if (this.started && this.sinceSaved >= this.options.everyEvents) this.soon();
  }

  /** Starts writing (the catalog caught up): at once when the start replayed enough events. */
  start(): void {
    this.started = true;
    if (this.sinceSaved >= this.options.everyEvents) this.soon();
    this.timer = setInterval(() => {
      if (this.source.seq() > this.savedSeq) this.soon();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Writes what was applied since the last snapshot, waiting at most `timeoutMs` for it. */
  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.timer);
    if (!this.started) return;
    this.started = false;
    if (this.source.seq() > this.savedSeq) this.soon();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), timeoutMs)));
    const written = (async () => {
      while (this.writing) await this.writing;
    })();
    if ((await Promise.race([written, late])) === "late")
      this.logger.warn({ timeoutMs }, "the catalog snapshot was not written in time at the stop");
    clearTimeout(timer);
  }

  private soon(): void {
    if (this.writing) {
      this.again = true;
      return;
    }
    const seq = this.source.seq();
    const bytes = this.source.encode();
    this.sinceSaved = 0;
    this.writing = this.write(bytes, seq)
      .catch((error: unknown) => this.logger.warn({ err: error, seq }, "catalog snapshot failed"))
      .finally(() => {
        this.writing = undefined;
        const again = this.again && this.source.seq() > this.savedSeq;
        this.again = false;
        if (again) this.soon();
      });
  }

  private async write(bytes: Uint8Array, seq: number): Promise<void> {
    if (!(await this.source.prepare()))
      throw new Error("facts of earlier versions' catalog events are not all in the KV store yet");
    const saved = await this.store.save(bytes, seq, this.replace);
    // not saved: the store has one as recent (another coordinator's), or a rival won the race
    this.savedSeq = Math.max(this.savedSeq, seq);
    if (saved) {
      this.replace = false;
      this.logger.debug({ seq, bytes: bytes.length }, "catalog snapshot written");
    }
  }
}
