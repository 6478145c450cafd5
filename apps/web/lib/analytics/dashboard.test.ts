import { describe, expect, it } from "vitest";
import { dashboardDay } from "./dashboard";

describe("dashboardDay", () => {
  const now = new Date("2026-11-23T12:00:00Z");

  it("takes a valid ?day=", () => {
    expect(dashboardDay("2026-11-01", now)).toBe("2026-11-01");
    expect(dashboardDay(["2026-10-31", "2026-11-01"], now)).toBe("2026-10-31");
  });

  it.each([undefined, "", "2026-13-01", "2026-02-30", "yesterday", "2026-11-01T00:00:00Z"])("falls back to today for %j", (param) => {
    expect(dashboardDay(param, now)).toBe("2026-11-23");
  });
});
