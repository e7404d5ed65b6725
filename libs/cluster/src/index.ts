export { KvMembership, type KvMembershipOptions, MEMBERS_BUCKET } from "./kv-membership.js";
export type { Membership, MemberRecord } from "./membership.js";
export { owners, partitionsOwnedBy } from "./rendezvous.js";
export { InProcessMembership } from "./in-process-membership.js";
export { keepLease, type Lease, type LeaseKeeper, type LeaseRecord } from "./lease.js";
export { KvLease, type KvLeaseOptions, LEASES_BUCKET } from "./kv-lease.js";
export { InProcessLease, type InProcessLeaseOptions, type LeaseTable } from "./in-process-lease.js";
export type { PartitionRouter } from "./routing/partition-router.js";
export { MembershipRouter } from "./routing/membership-router.js";
export { NatsShardClient } from "./routing/nats-shard-client.js";
export { libraryRows, sampleAcross } from "./routing/sample-across.js";
export {
  MAX_REPLY_BYTES,
  ReplyAssembler,
  replyFrames,
  ReplyTooLargeError,
} from "./routing/reply-frames.js";
export {
  abandoned,
  BENCHMARK_KINDS,
  benchmarkJobKey,
  benchmarkJobsPrefix,
  type BenchmarkJobRecord,
  benchmarkRunningKey,
  CATALOG_BUCKET,
  isAbandoned,
  jobView,
  newJobRecord,
} from "./benchmark-jobs/benchmark-job.js";
export {
  BenchmarkJobStore,
  type BenchmarkJobStoreOptions,
  type CreateResult,
  KEPT_FINISHED_JOBS,
} from "./benchmark-jobs/benchmark-job-store.js";
export {
  DEFAULT_JOB_LEASE_MS,
  JobLease,
  type JobLeaseOptions,
  JobLostError,
} from "./benchmark-jobs/benchmark-job-lease.js";
