import {
  type KvEntry,
  type KvPutOptions,
  type KvStore,
  type KvWatch,
  LogError,
  LogErrorCode,
} from "@quiver/log";

/**
 * A real KV store whose writes under `prefix` fail while `refusing` is set, as those of a KV
 * server that is out of reach or out of space would.
 */
export class RefusingKv implements KvStore {
  refusing = true;

  constructor(
    private readonly store: KvStore,
    private readonly prefix: string,
  ) {}

  get(key: string): Promise<KvEntry | undefined> {
    return this.store.get(key);
  }

  async put(key: string, value: Uint8Array, options?: KvPutOptions): Promise<number> {
    if (this.refusing && key.startsWith(this.prefix))
      throw new LogError(LogErrorCode.Unavailable, `KV put ${key} failed: refused`);
    return this.store.put(key, value, options);
  }

  delete(key: string): Promise<void> {
    return this.store.delete(key);
  }

  list(prefix: string): Promise<KvEntry[]> {
    return this.store.list(prefix);
  }

  watch(prefix: string): Promise<KvWatch> {
    return this.store.watch(prefix);
  }

  /** The wrapped store stays open: its owner closes it. */
  async close(): Promise<void> {}
}
