export {
  type EventMessage,
  type MessageEndpoint,
  RemoteError,
  RpcClient,
  serveRpc,
  ThreadClosedError,
  Transferring,
} from "./rpc-port.js";
export { APPLY_SLICE_MS, TimeSlice } from "./time-slice.js";
export { startWorker, workerEntry } from "./worker-url.js";
export { JobThread, serveJobs } from "./job-thread.js";
export { DEFAULT_SEARCH_COOLDOWN_MS, SearchGate } from "./search-gate.js";
export {
  lowerThreadPriority,
  RequestedThread,
  type RequestedThreadInfo,
  threadPriority,
} from "./thread-priority.js";
