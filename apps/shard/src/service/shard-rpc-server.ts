import {
  decodeShardRpc,
  encodeShardRpc,
  type ShardClient,
  type ShardRpcReply,
  type ShardRpcRequest,
  shardRpcSubject,
} from "@quiver/api";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { type Logger, silentLogger } from "@quiver/telemetry";

/**
 * Answers coordinators' requests for a shard node over NATS request/reply, on the shard's own
 * subject (a queue group, so a restarted process and its predecessor never both answer).
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
        void this.answer(msg.data).then((reply) => msg.respond(encodeShardRpc(reply)));
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
        default:
          return { ok: false, message: `unknown operation ${(request as { op: unknown }).op}` };
      }
    } catch (error) {
      this.logger.error({ err: error }, "shard rpc failed");
      return { ok: false, message: (error as Error).message };
    }
  }

  async stop(): Promise<void> {
    await this.subscription?.drain();
  }
}
