import type { RecallMeasured } from "@quiver/events";
import { describe, expect, it } from "vitest";
import { probeDue } from "./probe-scheduler.js";

const last: RecallMeasured = {
  type: "recall.measured",
  libraryId: "lib",
  recallAt10: 0.9,
  recallAt100: 0.85,
  sampleSize: 200,
  numVectors: 10_000,
  strategy: "scalar",
  measuredAtMs: 1_000_000,
  durationMs: 500,
};
const INTERVAL = 300_000;
const soon = { atMs: last.measuredAtMs + 1000, numVectors: 10_000, strategy: "scalar" };

describe("probeDue", () => {
  it("measures a large enough library never measured, and never a small one", () => {
    expect(probeDue(undefined, soon, INTERVAL)).toBe(true);
    expect(probeDue(undefined, { ...soon, numVectors: 999 }, INTERVAL)).toBe(false);
    expect(probeDue(last, { ...soon, atMs: soon.atMs + INTERVAL, numVectors: 500 }, INTERVAL)).toBe(
      false,
    );
  });

  it("measures again once the interval has passed", () => {
    expect(probeDue(last, soon, INTERVAL)).toBe(false);
    expect(probeDue(last, { ...soon, atMs: last.measuredAtMs + INTERVAL }, INTERVAL)).toBe(true);
  });

  it("measures again early when the count moved by more than 10% or the strategy changed", () => {
    expect(probeDue(last, { ...soon, numVectors: 11_000 }, INTERVAL)).toBe(false);
    expect(probeDue(last, { ...soon, numVectors: 11_001 }, INTERVAL)).toBe(true);
    expect(probeDue(last, { ...soon, numVectors: 8_999 }, INTERVAL)).toBe(true);
    expect(probeDue(last, { ...soon, strategy: "product" }, INTERVAL)).toBe(true);
  });
});
