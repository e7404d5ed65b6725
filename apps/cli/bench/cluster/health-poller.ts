/** Asks URLs for their /healthz every `everyMs` and keeps each answer's latency (or failure). */
export class HealthPoller {
  private readonly latencies: number[] = [];
  private failures = 0;
  private stopped = false;
  private readonly loops: Promise<void>[];

  constructor(urls: string[], everyMs = 50, timeoutMs = 2_000) {
    this.loops = urls.map(async (url) => {
      while (!this.stopped) {
        const started = performance.now();
        const ok = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
          async (r) => {
            await r.arrayBuffer();
            return r.ok;
          },
          () => false,
        );
        if (ok) this.latencies.push(performance.now() - started);
        else this.failures++;
        await new Promise((r) => setTimeout(r, everyMs));
      }
    });
  }

  async stop() {
    this.stopped = true;
    await Promise.all(this.loops);
    const sorted = Float64Array.from(this.latencies).sort();
    return {
      answers: sorted.length,
      failures: this.failures,
      p99_ms: sorted.length ? sorted[Math.floor(0.99 * (sorted.length - 1))] : 0,
      max_ms: sorted.length ? sorted[sorted.length - 1] : 0,
    };
  }
}
