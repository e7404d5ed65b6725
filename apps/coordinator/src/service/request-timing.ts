/**
 * Where one request's time goes, phase by phase (ms), for the opt-in Server-Timing response
 * header (QUIVER_SERVER_TIMING=1). A phase's time is what passed since the previous mark; phases
 * may repeat (their times add up) and a part may be moved from one phase to another (the shards'
 * own search time out of `route`).
 */
export class RequestTiming {
  private readonly started: number;
  private last: number;
  private readonly phases = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {
    this.started = this.last = now();
  }

  /** The time since the previous mark (or the start) goes to `phase`. */
  mark(phase: string): void {
    const t = this.now();
    this.add(phase, t - this.last);
    this.last = t;
  }

  /** Adds `ms` to `phase` (negative: takes it away). */
  add(phase: string, ms: number): void {
    this.phases.set(phase, (this.phases.get(phase) ?? 0) + ms);
  }

  /** The phases in the order first recorded, then `total`: the time since the start. */
  entries(): TimingEntry[] {
    const out = [...this.phases].map(([name, ms]) => ({ name, ms: Math.max(0, ms) }));
    out.push({ name: "total", ms: this.now() - this.started });
    return out;
  }
}

export interface TimingEntry {
  name: string;
  ms: number;
}

/** A Server-Timing header value (W3C Server Timing): `parse;dur=0.052, validate;dur=0.310`. */
export function serverTimingHeader(entries: TimingEntry[]): string {
  return entries.map((e) => `${e.name};dur=${e.ms.toFixed(3)}`).join(", ");
}
