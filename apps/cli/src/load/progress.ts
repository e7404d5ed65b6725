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
      parts.push(bar(share));
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
    this.draw(parts.join("  "));
  }

  /** Draws a share of work done (0..1) with the ETA someone else estimated (a server's job). */
  updateShare(share: number, etaSeconds: number | null, force = false): void {
    const now = Date.now();
    const interval = this.stream.isTTY ? 200 : (this.options.plainIntervalMs ?? 200);
    if (!force && now - this.lastDrawMs < interval) return;
    this.lastDrawMs = now;
    const parts: string[] = this.options.label ? [this.options.label] : [];
    parts.push(bar(share), `${(share * 100).toFixed(1)}%`);
    if (etaSeconds !== null) parts.push(`ETA ${formatSeconds(etaSeconds)}`);
    this.draw(parts.join("  "));
  }

  private draw(line: string): void {
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(`${line}\n`);
  }

  finish(done: number, etaSeconds?: number | null): void {
    this.update(done, true, etaSeconds);
    this.endLine();
  }

  /** Ends the line a TTY redraws in place. */
  endLine(): void {
    if (this.stream.isTTY) this.stream.write("\n");
  }
}

function bar(share: number, width = 30): string {
  const filled = Math.round(Math.min(1, Math.max(0, share)) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
