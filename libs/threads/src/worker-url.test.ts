import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startWorker, workerEntry } from "./worker-url.js";

describe("workerEntry", () => {
  const squares = fileURLToPath(new URL("./test-support/square-jobs.ts", import.meta.url));

  it("names the .ts module when running from source, in the main thread", () => {
    expect(workerEntry("./test-support/square-jobs.ts", import.meta.url)).toBe(squares);
  });

  it("names the .ts module in a worker thread loaded through tsx too", async () => {
    const thread = startWorker(workerEntry("./test-support/entry-seen.ts", import.meta.url));
    try {
      const [seen] = await once(thread, "message");
      expect(seen).toBe(squares);
    } finally {
      await thread.terminate();
    }
  });
});
