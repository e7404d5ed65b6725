export { KvMembership, type KvMembershipOptions, MEMBERS_BUCKET } from "./kv-membership.js";
export type { Membership, MemberRecord } from "./membership.js";
export { owners, partitionsOwnedBy } from "./rendezvous.js";
export { InProcessMembership } from "./in-process-membership.js";
