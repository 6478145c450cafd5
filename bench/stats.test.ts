import { describe, expect, it } from "vitest";
import { percentile, summarize } from "./stats.ts";

describe("percentile", () => {
  it("uses the nearest rank", () => {
    const samples = [5, 1, 4, 2, 3];
    expect(percentile(samples, 50)).toBe(3);
    expect(percentile(samples, 99)).toBe(5);
    expect(percentile(samples, 1)).toBe(1);
  });

  it("summarizes with rounding", () => {
    expect(summarize([1.04, 2.06])).toEqual({ p50: 1, p99: 2.1, min: 1, max: 2.1, n: 2 });
  });
});
