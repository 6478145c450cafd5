import { describe, expect, it } from "vitest";
import { formatCount, formatDateTime, formatDay, formatLongDay, shiftDay } from "./format";

describe("dashboard formatting", () => {
  it("formats days and times in UTC", () => {
    expect(formatDay("2026-11-03")).toBe("Nov 3");
    expect(formatLongDay("2026-11-23")).toBe("Mon, Nov 23, 2026");
    expect(formatDateTime("2026-11-23T09:05:12.345Z")).toBe("Nov 23, 09:05:12");
  });

  it("moves across month and year ends", () => {
    expect(shiftDay("2026-12-31", 1)).toBe("2027-01-01");
    expect(shiftDay("2026-03-01", -1)).toBe("2026-02-28");
  });

  it("groups thousands", () => {
    expect(formatCount(100000)).toBe("100,000");
    expect(formatCount(999)).toBe("999");
  });
});
