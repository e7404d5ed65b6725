import { describe, expect, it } from "vitest";
import { cpuMs, parseStat } from "./process-cpu.js";

describe("parseStat", () => {
  it("reads ppid and utime + stime, also when the command has spaces and parentheses", () => {
    const line =
      "4242 (node (a) b) S 17 4242 4242 0 -1 4194304 5000 0 0 0 350 25 0 0 20 0 11 0 123 456 789";
    expect(parseStat(line)).toEqual({ ppid: 17, cpuTicks: 375 });
  });
});

describe("cpuMs", () => {
  it("reads this process's CPU time, and 0 for a process that is gone", () => {
    const own = cpuMs(process.pid);
    expect(own).toBeGreaterThanOrEqual(0);
    // read later, with the children: CPU time only grows
    expect(cpuMs(process.pid, true)).toBeGreaterThanOrEqual(own);
    expect(cpuMs(2 ** 30)).toBe(0);
  });
});
