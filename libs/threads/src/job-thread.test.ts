import { describe, expect, it } from "vitest";
import { JobThread } from "./job-thread.js";
import { workerEntry } from "./worker-url.js";

const entry = workerEntry("./test-support/square-jobs.ts", import.meta.url);

describe("JobThread", () => {
  it("runs jobs one after another in one thread, and reports a job's error to its caller", async () => {
    const jobs = new JobThread<number, number>(entry);
    const results = await Promise.allSettled([1, 2, -3, 4].map((n) => jobs.run(n)));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : r.reason.message))).toEqual([
      1,
      4,
      "negative: -3",
      16,
    ]);
    jobs.close();
  });

  it("fails the job whose thread dies, and runs the next in a new thread", async () => {
    const jobs = new JobThread<number, number>(entry);
    const dying = jobs.run(Number.NaN);
    const next = jobs.run(5);
    await expect(dying).rejects.toThrow(/exited with code 3/);
    expect(await next).toBe(25);
    jobs.close();
  });

  it("passes a job's progress reports to its caller", async () => {
    const jobs = new JobThread<number, number>(entry);
    const reports: unknown[] = [];
    expect(await jobs.run(100, [], (r) => reports.push(r))).toBe(10_000);
    expect(reports).toEqual([0.5, 1]);
    jobs.close();
  });

  it("ends an idle thread and starts one again for the next job", async () => {
    const jobs = new JobThread<number, number>(entry, 50);
    expect(await jobs.run(3)).toBe(9);
    await new Promise((r) => setTimeout(r, 200));
    expect(jobs.pending).toBe(0);
    expect(await jobs.run(6)).toBe(36);
    jobs.close();
  });
});
