import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EventLog, type LogEntry, READ_MAX_BYTES } from "../event-log.js";

/** A log implementation under test, with the means to crash it. */
export interface LogUnderTest {
  log: EventLog;
  /**
   * Appends `count` events with msgIds `${prefix}-<i>` to `partition`, several at a time, while
   * the log's server or owning process is killed with SIGKILL after about `killAfterAcks`
   * acknowledgements and started again on the same store; returns msgId -> seq of every append
   * that was acknowledged. Afterwards `log` is a working client of the restarted log.
   */
  appendThroughCrash(
    partition: number,
    count: number,
    killAfterAcks: number,
    prefix: string,
  ): Promise<Map<string, number>>;
  dispose(): Promise<void>;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function collect(
  log: EventLog,
  partition: number,
  fromSeq: number,
  count: number,
): Promise<LogEntry[]> {
  const sub = log.subscribe(partition, fromSeq);
  const out: LogEntry[] = [];
  for await (const e of sub) {
    out.push(e);
    if (out.length === count) break;
  }
  await sub.stop();
  return out;
}

/** "ended" when `promise` settles within `ms`, else "still running". */
async function within(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r("still running"), ms)));
  const outcome = await Promise.race([promise.then(() => "ended"), late]);
  clearTimeout(timer);
  return outcome;
}

/** One conformance suite, run on every EventLog implementation. */
export function describeLogConformance(name: string, create: () => Promise<LogUnderTest>): void {
  describe(`${name}: EventLog conformance`, () => {
    let t: LogUnderTest;
    beforeEach(async () => {
      t = await create();
    });
    afterEach(async () => {
      await t.dispose();
    });

    it("keeps each partition's order and reads it back from a sequence", async () => {
      const seqs: Record<number, number[]> = { 0: [], 1: [] };
      for (let i = 0; i < 40; i++) {
        const p = i % 3 === 0 ? 1 : 0;
        const r = await t.log.append(p, bytes(`e${i}`), `order-${i}`);
        expect(r.duplicate).toBe(false);
        seqs[p].push(r.seq);
      }
      for (const p of [0, 1]) {
        const entries = await t.log.read(p, 1, 1000);
        expect(entries.map((e) => e.seq)).toEqual(seqs[p]);
        for (let i = 1; i < entries.length; i++)
          expect(entries[i].seq).toBeGreaterThan(entries[i - 1].seq);
        for (const e of entries) expect(e.partition).toBe(p);
      }
      const p1 = await t.log.read(1, 1, 1000);
      expect(p1.map((e) => text(e.data))).toEqual(
        Array.from({ length: 14 }, (_, k) => `e${k * 3}`),
      );
      expect(p1.map((e) => e.msgId)).toEqual(
        Array.from({ length: 14 }, (_, k) => `order-${k * 3}`),
      );
      expect(await t.log.lastSeq(0)).toBe(seqs[0].at(-1));
      expect(await t.log.lastSeq(1)).toBe(seqs[1].at(-1));
      expect(await t.log.lastSeq(7)).toBe(0);
      expect(await t.log.read(7, 1, 10)).toEqual([]);
    });

    it("replays from any sequence, with a limit", async () => {
      const seqs = [];
      for (let i = 0; i < 20; i++)
        seqs.push((await t.log.append(2, bytes(`r${i}`), `replay-${i}`)).seq);
      const tail = await t.log.read(2, seqs[7], 1000);
      expect(tail.map((e) => text(e.data))).toEqual(
        Array.from({ length: 13 }, (_, k) => `r${k + 7}`),
      );
      const page = await t.log.read(2, seqs[7], 5);
      expect(page.map((e) => e.seq)).toEqual(seqs.slice(7, 12));
      expect(await t.log.read(2, seqs[19] + 1, 10)).toEqual([]);
    });

    it("deduplicates a retried append with the same msgId", async () => {
      const first = await t.log.append(0, bytes("original"), "retry-1");
      const again = await t.log.append(0, bytes("retry body"), "retry-1");
      expect(again).toEqual({ seq: first.seq, duplicate: true });
      const concurrent = await Promise.all(
        [1, 2, 3, 4, 5].map(() => t.log.append(0, bytes("same"), "retry-2")),
      );
      expect(new Set(concurrent.map((r) => r.seq)).size).toBe(1);
      expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);
      const entries = await t.log.read(0, 1, 100);
      expect(entries.map((e) => e.msgId)).toEqual(["retry-1", "retry-2"]);
      expect(text(entries[0].data)).toBe("original");
    });

    it("reads large entries in pages of at most READ_MAX_BYTES, read on from the last", async () => {
      // under nats-server's default max_payload (1 MiB)
      const size = 600 * 1024;
      const count = Math.ceil((2.5 * READ_MAX_BYTES) / size);
      for (let i = 0; i < count; i++) {
        const body = new Uint8Array(size).fill(i);
        await t.log.append(6, body, `large-${i}`);
      }
      const pages: number[][] = [];
      let next = 1;
      for (;;) {
        const page = await t.log.read(6, next, 1000);
        if (page.length === 0) break;
        expect(page.reduce((n, e) => n + e.data.byteLength, 0)).toBeLessThanOrEqual(READ_MAX_BYTES);
        pages.push(page.map((e) => e.data[0]));
        next = page[page.length - 1].seq + 1;
      }
      expect(pages.length).toBeGreaterThanOrEqual(3);
      expect(pages.flat()).toEqual(Array.from({ length: count }, (_, i) => i));
    });

    it("delivers a subscription the past entries, then new ones, in order", async () => {
      const seqs = [];
      for (let i = 0; i < 10; i++)
        seqs.push((await t.log.append(3, bytes(`s${i}`), `sub-${i}`)).seq);
      const received = collect(t.log, 3, seqs[4], 16);
      for (let i = 10; i < 20; i++) {
        await t.log.append(3, bytes(`s${i}`), `sub-${i}`);
        await t.log.append(4, bytes(`other${i}`), `other-${i}`);
      }
      const got = await received;
      expect(got.map((e) => text(e.data))).toEqual(
        Array.from({ length: 16 }, (_, k) => `s${k + 4}`),
      );
    });

    it("ends a subscription's iteration when it is stopped, whenever that is", async () => {
      await t.log.append(6, bytes("one"), "stop-1");
      // stopped at once, before it could deliver anything (past the end, or before the first)
      for (const fromSeq of [1, 1_000_000]) {
        const sub = t.log.subscribe(6, fromSeq);
        const iterated = (async () => {
          for await (const _ of sub);
        })();
        await sub.stop();
        await expect(within(iterated, 10_000)).resolves.toBe("ended");
      }
      // stopped while it waits for the next entry
      const sub = t.log.subscribe(6, 1);
      let received = 0;
      let first = () => {};
      const delivered = new Promise<void>((resolve) => (first = resolve));
      const iterated = (async () => {
        for await (const _ of sub) {
          received++;
          first();
        }
      })();
      await delivered;
      await sub.stop();
      await expect(within(iterated, 10_000)).resolves.toBe("ended");
      expect(received).toBe(1);
    });

    it("loses no acknowledged append when killed with SIGKILL and restarted on the same store", async () => {
      await t.log.append(5, bytes("before"), "crash-before");
      const acked = await t.appendThroughCrash(5, 400, 150, "crash");
      expect(acked.size).toBeGreaterThanOrEqual(150);
      const entries = await t.log.read(5, 1, 10_000);
      const byId = new Map<string, number[]>();
      for (const e of entries) byId.set(e.msgId, [...(byId.get(e.msgId) ?? []), e.seq]);
      for (const [msgId, seq] of acked) expect(byId.get(msgId)).toEqual([seq]);
      expect(byId.get("crash-before")).toHaveLength(1);
      for (const seqs of byId.values()) expect(seqs).toHaveLength(1); // no event stored twice
      const after = await t.log.append(5, bytes("after"), "crash-after");
      expect(after.seq).toBeGreaterThan(Math.max(...acked.values()));
    });
  });
}
