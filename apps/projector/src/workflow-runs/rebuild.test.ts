import { describe, expect, it } from "vitest";
import { addDays, daysBetween, parseRebuildArgs } from "./rebuild.ts";

describe("parseRebuildArgs", () => {
  const today = "2026-03-01";

  it("defaults to the last 30 days, today included", () => {
    expect(parseRebuildArgs([], today)).toEqual({ since: "2026-01-31" });
    expect(daysBetween("2026-01-31", today)).toHaveLength(30);
  });

  it("takes --since as a separate or inline value", () => {
    expect(parseRebuildArgs(["--since", "2026-02-27"], today)).toEqual({ since: "2026-02-27" });
    expect(parseRebuildArgs(["--since=2025-12-31"], today)).toEqual({ since: "2025-12-31" });
  });

  it.each([
    [["--since"], /--since wants a UTC day/],
    [["--since", "yesterday"], /--since wants a UTC day/],
    [["--since", "2026-02-30"], /--since wants a UTC day/],
    [["--since", "2026-03-02"], /after today/],
    [["--days", "3"], /unknown argument/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseRebuildArgs(argv, today)).toThrow(message);
  });
});

describe("day ranges", () => {
  it("lists every UTC day of a range, across month and year ends", () => {
    expect(daysBetween("2025-12-30", "2026-01-02")).toEqual(["2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02"]);
    expect(daysBetween("2024-02-28", "2024-03-01")).toEqual(["2024-02-28", "2024-02-29", "2024-03-01"]);
    expect(daysBetween("2026-01-02", "2026-01-01")).toEqual([]);
    expect(addDays("2026-03-29", 1)).toBe("2026-03-30");
  });
});
