import {
  decodeShardRpc,
  encodeShardRpc,
  type ShardClient,
  type ShardRpcReply,
  type ShardRpcRequest,
  shardRpcSubject,
} from "@quiver/api";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { replyFrames } from "@quiver/cluster";
import { type Logger, silentLogger } from "@quiver/telemetry";

/** nats-server's default max_payload, until the connection says. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Answers coordinators' requests for a shard node over NATS request/reply, on the shard's own
 * subject (a queue group, so a restarted process and its predecessor never both answer). A reply
 * larger than one message (max_payload: a search of 100 queries for 101 neighbours over 4
 * partitions already is) goes in several, which the NatsShardClient puts back together; one too
 * large to send at all is answered with an error saying so.
 */
export class ShardRpcServer {
  private subscription: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly shard: ShardClient,
    private readonly logger: Logger = silentLogger(),
  ) {}

  start(): void {
    this.subscription = this.nc.subscribe(shardRpcSubject(this.shard.shardId), {
      queue: "shard",
      callback: (error, msg) => {
        if (error) {
          this.logger.error({ err: error }, "shard rpc subscription failed");
          return;
        }
        void this.answer(msg.data).then((reply) => this.respond(msg, reply));
      },
    });
  }

  private async answer(data: Uint8Array): Promise<ShardRpcReply> {
    try {
      const request = decodeShardRpc<ShardRpcRequest>(data);
      switch (request.op) {
        case "search":
          return { ok: true, search: await this.shard.search(request.request) };
        case "get":
          return { ok: true, get: await this.shard.get(request.request) };
        case "waitApplied":
          return {
            ok: true,
            applied: await this.shard.waitApplied(request.minSeqs, request.timeoutMs),
          };
        case "status":
          return { ok: true, status: await this.shard.status() };
        case "libraryStats":
          return {
            ok: true,
            libraryStats: await this.shard.libraryStats(request.libraryId, request.partitions),
          };
        case "sample":
          return { ok: true, sample: await this.shard.sample(request.request) };
        case "nodeStats":
          return { ok: true, nodeStats: await this.shard.nodeStats(request.request) };
        case "train":
          return { ok: true, train: await this.shard.train(request.request) };
        case "benchmark":
          return { ok: true, benchmark: await this.shard.benchmark(request.request) };
        default:
          return { ok: false, message: `unknown operation ${(request as { op: unknown }).op}` };
      }
    } catch (error) {
      this.logger.error({ err: error }, "shard rpc failed");
      return { ok: false, message: (error as Error).message };
    }
  }

  /** Sends a reply in as many messages as it takes; never throws (a failure is logged). */
  private respond(msg: Msg, reply: ShardRpcReply): void {
    const maxPayload = this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    try {
      for (const frame of replyFrames(encodeShardRpc(reply), maxPayload)) msg.respond(frame);
    } catch (error) {
      this.logger.error({ err: error }, "shard rpc reply failed");
      try {
        msg.respond(encodeShardRpc({ ok: false, message: (error as Error).message }));
      } catch {
        // the connection is gone: the requester times out
      }
    }
  }

  async stop(): Promise<void> {
    await this.subscription?.drain();
  }
}
