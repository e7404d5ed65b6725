export interface ProgressBarOptions {
  /** Written before the bar, e.g. what is progressing. */
  label?: string;
  /** Off a TTY, a line at most this often (default 200 ms); on a TTY the bar redraws every 200 ms. */
  plainIntervalMs?: number;
}

/** A one-line progress bar on stderr: count, percent, rate and ETA, redrawn in place. */
export class ProgressBar {
  private readonly startedMs = Date.now();
  private lastDrawMs = 0;

  constructor(
    private readonly total: number | undefined,
    private readonly startAt = 0,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly options: ProgressBarOptions = {},
  ) {}

  /**
   * Draws `done` (throttled unless `force`). The ETA is `etaSeconds` when given (null: none to
   * show), else estimated from the rate since the bar started.
   */
  update(done: number, force = false, etaSeconds?: number | null): void {
    const now = Date.now();
    const interval = this.stream.isTTY ? 200 : (this.options.plainIntervalMs ?? 200);
    if (!force && now - this.lastDrawMs < interval) return;
    this.lastDrawMs = now;
    const seconds = (now - this.startedMs) / 1000;
    const rate = seconds > 0 ? (done - this.startAt) / seconds : 0;
    const parts: string[] = this.options.label ? [this.options.label] : [];
    if (this.total) {
      const share = Math.min(1, done / this.total);
      const width = 30;
      const filled = Math.round(share * width);
      parts.push(`[${"#".repeat(filled)}${".".repeat(width - filled)}]`);
      parts.push(
        `${done.toLocaleString("en")}/${this.total.toLocaleString("en")} (${(share * 100).toFixed(1)}%)`,
      );
    } else parts.push(`${done.toLocaleString("en")} vectors`);
    parts.push(`${Math.round(rate).toLocaleString("en")} vectors/s`);
    const eta =
      etaSeconds !== undefined
        ? etaSeconds
        : this.total && rate > 0
          ? (this.total - done) / rate
          : null;
    if (eta !== null) parts.push(`ETA ${formatSeconds(eta)}`);
    const line = parts.join("  ");
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(`${line}\n`);
  }

  finish(done: number, etaSeconds?: number | null): void {
    this.update(done, true, etaSeconds);
    if (this.stream.isTTY) this.stream.write("\n");
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
