import { describe, expect, it } from "vitest";
import { splitCqlStatements } from "./cql-script.ts";

describe("splitCqlStatements", () => {
  it("splits on semicolons and drops comments", () => {
    const script = `-- header\nCREATE TABLE a (x int PRIMARY KEY); /* block; */\n// line\nSELECT * FROM a;`;
    expect(splitCqlStatements(script)).toEqual(["CREATE TABLE a (x int PRIMARY KEY)", "SELECT * FROM a"]);
  });

  it("keeps semicolons and doubled quotes inside string literals", () => {
    const script = `INSERT INTO t (k, v) VALUES ('a;b', 'it''s'); SELECT 1 FROM t`;
    expect(splitCqlStatements(script)).toEqual([
      "INSERT INTO t (k, v) VALUES ('a;b', 'it''s')",
      "SELECT 1 FROM t",
    ]);
  });

  it("returns nothing for a script of comments only", () => {
    expect(splitCqlStatements("-- nothing here\n/* nor here */")).toEqual([]);
  });
});
