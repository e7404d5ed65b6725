/**
 * A lease: at most one holder at a time among the contenders for one name (the coordinator that
 * runs the adaptive policy). A holder keeps it by renewing before its time-to-live passes; a
 * holder that stops renewing (a crash, a partition) loses it to the next contender once the time
 * is up; a released lease is free at once.
 */
export interface Lease {
  /** This contender's id (e.g. the coordinator's). */
  readonly holderId: string;
  readonly ttlMs: number;
  /** Takes the lease when it is free or expired, renews it when held; true when held afterwards. */
  acquire(): Promise<boolean>;
  /** Extends a held lease by the time-to-live; false (and no longer held) when it was lost. */
  renew(): Promise<boolean>;
  /** Gives a held lease up at once; a no-op when not held. */
  release(): Promise<void>;
  /** Whether this contender holds the lease now: it took or renewed it less than ttlMs ago. */
  isHolder(): boolean;
  /** Who holds it now (undefined when free or expired), read from the shared state. */
  holder(): Promise<string | undefined>;
}

/** What the shared state says of a lease. */
export interface LeaseRecord {
  holder: string;
  /** When the lease expires unless renewed (the holder's clock, ms since the epoch). */
  expiresAtMs: number;
  /** When the current holder took it. */
  acquiredAtMs: number;
}

export interface LeaseKeeper {
  /** Stops acquiring and renewing, and releases the lease when held. */
  stop(): Promise<void>;
}

/**
 * Contends for a lease in the background: acquires it (or renews it, when held) every
 * `intervalMs` (a third of the time-to-live unless told), and tells `onChange` whenever this
 * contender starts or stops holding it. Errors of one attempt (the log unreachable) count as not
 * holding it; the next attempt tries again.
 */
export function keepLease(
  lease: Lease,
  onChange: (holding: boolean) => void,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): LeaseKeeper {
  const intervalMs = options.intervalMs ?? Math.max(50, Math.floor(lease.ttlMs / 3));
  let holding = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> = Promise.resolve();
  const tell = (now: boolean) => {
    if (now === holding) return;
    holding = now;
    onChange(now);
  };
  const tick = async () => {
    try {
      const held = lease.isHolder() ? await lease.renew() : await lease.acquire();
      if (!stopped) tell(held);
    } catch (error) {
      options.onError?.(error);
      if (!stopped) tell(lease.isHolder());
    }
    if (!stopped) timer = setTimeout(() => (attempt = tick()), intervalMs);
  };
  attempt = tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await attempt;
      await lease.release();
      tell(false);
    },
  };
}
