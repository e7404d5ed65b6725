/**
 * Request/reply over a worker thread's message port: each request carries an id, each reply the
 * same id with a result or an error; messages that are not replies (a thread's events) go to
 * `onEvent`. One side of a pair: the main thread wraps a Worker, the worker its parentPort.
 */

/** What both a Worker and a worker's parentPort offer. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: readonly Transferable[]): void;
  on(event: "message", listener: (message: unknown) => void): unknown;
}

type Transferable = ArrayBuffer;

interface RequestMessage {
  rpc: "request";
  id: number;
  op: string;
  args: unknown;
}

interface ReplyMessage {
  rpc: "reply";
  id: number;
  result?: unknown;
  error?: { name: string; message: string };
}

export interface EventMessage {
  rpc: "event";
  event: unknown;
}

/** Raised on the calling side when the other side's handler threw. */
export class RemoteError extends Error {
  override readonly name = "RemoteError";
  constructor(
    readonly remoteName: string,
    message: string,
  ) {
    super(message);
  }
}

export class ThreadClosedError extends Error {
  override readonly name = "ThreadClosedError";
}

/** The calling side: sends requests, resolves them with the replies. */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private closedBecause: Error | undefined;

  constructor(
    private readonly endpoint: MessageEndpoint,
    onEvent: (event: unknown) => void = () => {},
  ) {
    endpoint.on("message", (message) => {
      const m = message as ReplyMessage | EventMessage;
      if (m.rpc === "event") return onEvent(m.event);
      if (m.rpc !== "reply") return;
      const call = this.pending.get(m.id);
      if (!call) return;
      this.pending.delete(m.id);
      if (m.error) call.reject(new RemoteError(m.error.name, m.error.message));
      else call.resolve(m.result);
    });
  }

  call<T>(op: string, args?: unknown, transfer?: Transferable[]): Promise<T> {
    if (this.closedBecause) return Promise.reject(this.closedBecause);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const message: RequestMessage = { rpc: "request", id, op, args };
      this.endpoint.postMessage(message, transfer);
    });
  }

  /** Fails every call in flight and every later one (the thread is gone). */
  close(error: Error): void {
    this.closedBecause = error;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }

  /** Calls waiting for a reply. */
  get inFlight(): number {
    return this.pending.size;
  }
}

/** A handler's result whose buffers move to the caller instead of being copied. */
export class Transferring<T> {
  constructor(
    readonly value: T,
    readonly transfer: ArrayBuffer[],
  ) {}
}

/** The answering side: runs the handler of each request, posts its result or error. */
export function serveRpc(
  endpoint: MessageEndpoint,
  handle: (op: string, args: unknown) => unknown,
): { emit(event: unknown): void } {
  endpoint.on("message", (message) => {
    const m = message as RequestMessage;
    if (m.rpc !== "request") return;
    const reply = (body: Omit<ReplyMessage, "rpc" | "id">) => {
      const result = body.result;
      if (result instanceof Transferring) {
        const message: ReplyMessage = { rpc: "reply", id: m.id, result: result.value };
        endpoint.postMessage(message, result.transfer);
      } else endpoint.postMessage({ rpc: "reply", id: m.id, ...body } satisfies ReplyMessage);
    };
    let result: unknown;
    try {
      result = handle(m.op, m.args);
    } catch (error) {
      return reply({ error: errorOf(error) });
    }
    if (result instanceof Promise) {
      result.then(
        (value) => reply({ result: value }),
        (error: unknown) => reply({ error: errorOf(error) }),
      );
    } else reply({ result });
  });
  return {
    emit: (event) => endpoint.postMessage({ rpc: "event", event } satisfies EventMessage),
  };
}

function errorOf(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: "Error", message: String(error) };
}
