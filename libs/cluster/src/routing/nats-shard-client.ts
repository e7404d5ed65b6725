import {
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
import type { NatsConnection } from "@nats-io/transport-node";

/** Slack a reply gets beyond the time the shard was given. */
/** Vector bytes in one sample reply, well under nats-server's default 1 MB max_payload. */
const SAMPLE_PAGE_BYTES = 768 * 1024;
const REPLY_SLACK_MS = 2_000;
const TRAIN_TIMEOUT_MS = 15 * 60_000;
/** Rows of a node's statistics per reply: about 300 bytes each. */
const NODE_STATS_PAGE_ROWS = 2_000;

/** A shard node in another process, reached over NATS request/reply. */
export class NatsShardClient implements ShardClient {
  constructor(
    private readonly nc: NatsConnection,
    readonly shardId: string,
  ) {}

  async search(request: ShardSearchRequest): Promise<ShardSearchResponse> {
    const reply = await this.call({ op: "search", request }, request.timeoutMs);
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

  /** Page by page: ten thousand libraries' rows are more than one NATS message holds. */
  async nodeStats(): Promise<ShardNodeStats> {
    const rows: ShardNodeStats["rows"] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const request = { offset, limit: NODE_STATS_PAGE_ROWS };
      const reply = await this.call({ op: "nodeStats", request }, 10_000);
      const page: ShardNodeStats = (reply as { nodeStats: ShardNodeStats }).nodeStats;
      rows.push(...page.rows);
      offset = page.next;
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

  private async call(request: ShardRpcRequest, timeoutMs: number): Promise<ShardRpcReply> {
    const msg = await this.nc.request(shardRpcSubject(this.shardId), encodeShardRpc(request), {
      timeout: timeoutMs + REPLY_SLACK_MS,
    });
    const reply = decodeShardRpc<ShardRpcReply>(msg.data);
    if (!reply.ok) throw new Error(`shard ${this.shardId}: ${reply.message}`);
    return reply;
  }
}
