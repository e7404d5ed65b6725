import {
  decodeShardRpc,
  encodeShardRpc,
  type ShardClient,
  type ShardRpcReply,
  type ShardRpcRequest,
  shardRpcSubject,
} from "@quiver/api";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { ReplyAssembler, replyFrames } from "@quiver/cluster";
import { type Logger, silentLogger } from "@quiver/telemetry";

/** nats-server's default max_payload, until the connection says. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** How long the frames of one request may take to come before those come are dropped. */
const REQUEST_FRAMES_MS = 30_000;

/**
 * Answers coordinators' requests for a shard node over NATS request/reply, on the shard's own
 * subject (a queue group, so a restarted process and its predecessor never both answer). A reply
 * larger than one message (max_payload: a search of 100 queries for 101 neighbours over 4
 * partitions already is) goes in several, which the NatsShardClient puts back together; one too
 * large to send at all is answered with an error saying so. A request larger than one message
 * comes in frames with one reply inbox, and is answered once it is whole.
 */
export class ShardRpcServer {
  private subscription: Subscription | undefined;
  /** Requests coming in frames, by their reply inbox. */
  private readonly incoming = new Map<string, { frames: ReplyAssembler; timer: NodeJS.Timeout }>();

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
        const data = this.whole(msg);
        if (data) void this.answer(data).then((reply) => this.respond(msg, reply));
      },
    });
  }

  /** The request a message completes: itself, or the last of its frames (else undefined). */
  private whole(msg: Msg): Uint8Array | undefined {
    const inbox = msg.reply;
    if (!inbox || !isFrame(msg.data)) return msg.data;
    let pending = this.incoming.get(inbox);
    if (!pending) {
      const timer = setTimeout(() => this.incoming.delete(inbox), REQUEST_FRAMES_MS);
      timer.unref();
      pending = { frames: new ReplyAssembler(), timer };
      this.incoming.set(inbox, pending);
    }
    try {
      const whole = pending.frames.add(msg.data);
      if (!whole) return undefined;
      clearTimeout(pending.timer);
      this.incoming.delete(inbox);
      return whole;
    } catch (error) {
      clearTimeout(pending.timer);
      this.incoming.delete(inbox);
      this.logger.warn({ err: error }, "a shard rpc request's frames do not fit together");
      return undefined;
    }
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
    for (const { timer } of this.incoming.values()) clearTimeout(timer);
    this.incoming.clear();
  }
}

/** A frame's first byte (reply-frames.ts), which no whole msgpack request starts with. */
function isFrame(data: Uint8Array): boolean {
  return data[0] === 0xc1;
}
