import {
  type ShardBenchmarkRequest,
  type ShardBenchmarkResponse,
  decodeShardRpc,
  encodeShardRpc,
  type ShardClient,
  type ShardGetRequest,
  type ShardGetResponse,
  type ShardLibraryStats,
  type ShardNodeStats,
  type ShardRpcReply,
  type ShardRpcRequest,
  type ShardSampleRequest,
  type ShardSampleResponse,
  type ShardSearchRequest,
  type ShardSearchResponse,
  type ShardStatus,
  type ShardTrainRequest,
  type ShardTrainResponse,
  shardRpcSubject,
} from "@quiver/api";
import { createInbox, type NatsConnection } from "@nats-io/transport-node";
import { MAX_REPLY_BYTES, ReplyAssembler, replyFrames } from "./reply-frames.js";
import { joinHalves, searchHalves } from "./search-halves.js";

/** Vector bytes in one sample reply, well under nats-server's default 1 MB max_payload. */
const SAMPLE_PAGE_BYTES = 768 * 1024;
/** Slack a reply gets beyond the time the shard was given. */
const REPLY_SLACK_MS = 2_000;
const TRAIN_TIMEOUT_MS = 15 * 60_000;
/** Rows of a node's statistics per reply: about 300 bytes each. */
const NODE_STATS_PAGE_ROWS = 2_000;
/** nats-server's default max_payload, until the connection says. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * A shard node in another process, reached over NATS request/reply. A reply larger than one
 * message comes in several (reply-frames.ts); a search whose queries are larger than one message
 * is sent in halves.
 */
export class NatsShardClient implements ShardClient {
  constructor(
    private readonly nc: NatsConnection,
    readonly shardId: string,
  ) {}

  async search(request: ShardSearchRequest): Promise<ShardSearchResponse> {
    const data = encodeShardRpc({ op: "search", request });
    const halves = data.byteLength > this.maxPayload() ? searchHalves(request) : undefined;
    if (halves) {
      const [first, second] = await Promise.all(halves.map((half) => this.search(half)));
      return joinHalves(first, second);
    }
    const reply = await this.send(data, request.timeoutMs);
    return (reply as { search: ShardSearchResponse }).search;
  }

  async get(request: ShardGetRequest): Promise<ShardGetResponse> {
    const reply = await this.call({ op: "get", request }, request.timeoutMs);
    return (reply as { get: ShardGetResponse }).get;
  }

  async waitApplied(
    minSeqs: Record<number, number>,
    timeoutMs: number,
  ): Promise<Record<number, number>> {
    const reply = await this.call({ op: "waitApplied", minSeqs, timeoutMs }, timeoutMs);
    const applied = (reply as { applied: Record<string, number> }).applied;
    return Object.fromEntries(Object.entries(applied).map(([p, s]) => [Number(p), s]));
  }

  async status(): Promise<ShardStatus> {
    const reply = await this.call({ op: "status" }, 3_000);
    return (reply as { status: ShardStatus }).status;
  }

  async libraryStats(libraryId: string, partitions: number[]): Promise<ShardLibraryStats> {
    const reply = await this.call({ op: "libraryStats", libraryId, partitions }, 5_000);
    return (reply as { libraryStats: ShardLibraryStats }).libraryStats;
  }

  /**
   * Page by page, one after another (ten thousand libraries' rows are more than one NATS message
   * holds): the shard gathers the rows once, for the first page, and answers the next ones from
   * the same gathering.
   */
  async nodeStats(): Promise<ShardNodeStats> {
    const rows: ShardNodeStats["rows"] = [];
    let offset: number | undefined = 0;
    let gathering: string | undefined;
    while (offset !== undefined) {
      const request = { offset, limit: NODE_STATS_PAGE_ROWS, ...(gathering ? { gathering } : {}) };
      const reply = await this.call({ op: "nodeStats", request }, 10_000);
      const page: ShardNodeStats = (reply as { nodeStats: ShardNodeStats }).nodeStats;
      rows.push(...page.rows);
      offset = page.next;
      gathering = page.gathering;
    }
    return { shardId: this.shardId, rows };
  }

  /** Page by page: a NATS message holds 1 MB by default, a sample of large vectors more. */
  async sample(request: ShardSampleRequest): Promise<ShardSampleResponse> {
    const vectors: ShardSampleResponse["vectors"] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = { ...request, offset, maxBytes: SAMPLE_PAGE_BYTES };
      const reply = await this.call({ op: "sample", request: page }, 10_000);
      const { sample } = reply as { sample: ShardSampleResponse };
      vectors.push(...sample.vectors);
      offset = sample.next;
    }
    return { vectors };
  }

  /** A training runs for as long as it takes (a PQ codebook on 50,000 vectors: about a minute). */
  async train(request: ShardTrainRequest): Promise<ShardTrainResponse> {
    const reply = await this.call({ op: "train", request }, TRAIN_TIMEOUT_MS);
    return (reply as { train: ShardTrainResponse }).train;
  }

  /** Answers once the shard has taken the job over (the job then runs there). */
  async benchmark(request: ShardBenchmarkRequest): Promise<ShardBenchmarkResponse> {
    const reply = await this.call({ op: "benchmark", request }, 10_000);
    return (reply as { benchmark: ShardBenchmarkResponse }).benchmark;
  }

  private call(request: ShardRpcRequest, timeoutMs: number): Promise<ShardRpcReply> {
    return this.send(encodeShardRpc(request), timeoutMs);
  }

  /**
   * Sends an encoded request; answers its reply, put together from its messages. A request
   * larger than one message (a benchmark with the caller's queries) goes in frames, each with the
   * same reply inbox, by which the shard puts them back together.
   */
  private async send(data: Uint8Array, timeoutMs: number): Promise<ShardRpcReply> {
    const waitMs = timeoutMs + REPLY_SLACK_MS;
    const subject = shardRpcSubject(this.shardId);
    let messages: AsyncIterable<{ data: Uint8Array }>;
    if (data.byteLength <= this.maxPayload()) {
      messages = await this.nc.requestMany(subject, data, { strategy: "timer", maxWait: waitMs });
    } else {
      if (data.byteLength > MAX_REPLY_BYTES)
        throw new Error(
          `shard ${this.shardId}: the request holds ${data.byteLength} bytes, more than the ` +
            `${MAX_REPLY_BYTES} a request may have: send less at a time (fewer queries)`,
        );
      const inbox = createInbox();
      const subscription = this.nc.subscribe(inbox, { timeout: waitMs });
      for (const frame of replyFrames(data, this.maxPayload()))
        this.nc.publish(subject, frame, { reply: inbox });
      messages = (async function* () {
        try {
          for await (const msg of subscription) yield msg;
        } catch {
          // the subscription's timeout: no (whole) reply in time
        } finally {
          subscription.unsubscribe();
        }
      })();
    }
    const frames = new ReplyAssembler();
    let whole: Uint8Array | undefined;
    for await (const msg of messages) {
      whole = frames.add(msg.data);
      if (whole) break;
    }
    if (!whole) {
      throw new Error(
        `shard ${this.shardId}: no reply within ${waitMs} ms (${frames.progress()} came)`,
      );
    }
    const reply = decodeShardRpc<ShardRpcReply>(whole);
    if (!reply.ok) throw new Error(`shard ${this.shardId}: ${reply.message}`);
    return reply;
  }

  /** The most bytes one message may have on this connection. */
  private maxPayload(): number {
    return this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  }
}
