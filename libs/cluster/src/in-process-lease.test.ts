import { InProcessLease, type LeaseTable } from "./in-process-lease.js";
import { defineLeaseSuite } from "./test-support/lease-suite.js";

defineLeaseSuite("in process", async () => {
  const table: LeaseTable = new Map();
  return {
    contender: async (name, holderId, ttlMs) =>
      new InProcessLease({ name, holderId, ttlMs, table }),
    close: async () => undefined,
  };
});
