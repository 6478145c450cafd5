import { describe, expect, it } from "vitest";
import { BlueprintValidationError, analyseBlueprint, loadBlueprint, parseBlueprint, type Blueprint } from "./blueprint.ts";

const blueprint = (nodes: Blueprint["nodes"], edges: Blueprint["edges"]): Blueprint => ({ id: "test", metadata: { version: "1" }, nodes, edges });
const node = (id: string, config?: Blueprint["nodes"][number]["config"]) => ({ id, uses: "noop", ...(config ? { config } : {}) });

function problemsOf(input: unknown): string[] {
  try {
    parseBlueprint(input);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(BlueprintValidationError);
    return [...(error as BlueprintValidationError).problems];
  }
}

describe("parseBlueprint", () => {
  it("accepts a Flowcraft-shaped blueprint", () => {
    const parsed = parseBlueprint({
      id: "x",
      metadata: { version: "1", author: "me" },
      nodes: [{ id: "a", uses: "noop", params: { n: 1 }, inputs: "a", config: { maxRetries: 2, retryDelay: 10, timeout: 50, joinStrategy: "any" } }],
      edges: [],
    });
    expect(parsed.nodes[0]?.config?.joinStrategy).toBe("any");
  });

  it("names the bad node and field", () => {
    const problems = problemsOf({ id: "x", metadata: { version: "1" }, nodes: [{ id: "a", uses: "noop", config: { retry_delay: 5, joinStrategy: "some" } }], edges: [] });
    expect(problems.join("\n")).toMatch(/node #0 "a"\.config/);
    expect(problems.join("\n")).toMatch(/retry_delay/);
    expect(problems.join("\n")).toMatch(/joinStrategy/);
  });

  it("names the bad edge", () => {
    const problems = problemsOf({ id: "x", metadata: { version: "1" }, nodes: [node("a")], edges: [{ source: "a", target: "" }] });
    expect(problems[0]).toMatch(/^edge #0 \(a -> \)\.target/);
  });

  it("requires metadata.version", () => {
    expect(problemsOf({ id: "x", metadata: {}, nodes: [node("a")], edges: [] })[0]).toMatch(/metadata\.version/);
  });
});

describe("analyseBlueprint", () => {
  it("finds start and terminal nodes of a clean DAG", () => {
    const analysis = analyseBlueprint(blueprint([node("a"), node("b"), node("c")], [{ source: "a", target: "b" }, { source: "a", target: "c" }]));
    expect(analysis).toMatchObject({ startNodeIds: ["a"], terminalNodeIds: ["b", "c"], cycles: [], problems: [], isRunnable: true });
  });

  it("lists and rejects cycles (loops are not supported yet)", () => {
    const analysis = analyseBlueprint(
      blueprint([node("a"), node("b"), node("c"), node("d")], [
        { source: "a", target: "b" },
        { source: "b", target: "c" },
        { source: "c", target: "b" },
        { source: "d", target: "d" },
      ]),
    );
    expect(analysis.cycles).toEqual([["b", "c"], ["d"]]);
    expect(analysis.isRunnable).toBe(false);
    expect(analysis.problems.join("\n")).toContain("cycle b -> c -> b");
  });

  it("reports unknown endpoints, duplicates, bad fallbacks, unreachable nodes and bad expressions", () => {
    const analysis = analyseBlueprint(
      blueprint(
        [node("a", { fallback: "ghost" }), node("a"), node("b", { fallback: "b" }), node("c"), node("d"), node("e")],
        [
          { source: "a", target: "nowhere" },
          { source: "a", target: "b", condition: "result.x >" },
          { source: "d", target: "e" },
          { source: "e", target: "d" },
        ],
      ),
    );
    const text = analysis.problems.join("\n");
    expect(analysis.duplicateNodeIds).toEqual(["a"]);
    expect(text).toContain('node "a" is declared more than once');
    expect(text).toContain('edge #0 (a -> nowhere): target "nowhere" is not a node');
    expect(text).toContain('node "a": fallback "ghost" is not a node');
    expect(text).toContain('node "b": fallback cannot be the node itself');
    expect(text).toMatch(/edge #1 \(a -> b\): condition: .*at position 10/);
    expect(analysis.unreachableNodeIds).toEqual(["d", "e"]);
  });

  it("does not treat a fallback node as a start node, and requires it to have one owner and no edges in", () => {
    const ok = analyseBlueprint(blueprint([node("a", { fallback: "f" }), node("f")], []));
    expect(ok.startNodeIds).toEqual(["a"]);
    expect(ok.isRunnable).toBe(true);
    const bad = analyseBlueprint(blueprint([node("a", { fallback: "f" }), node("b", { fallback: "f" }), node("f")], [{ source: "a", target: "f" }]));
    expect(bad.problems.join("\n")).toMatch(/fallback of several nodes \(a, b\)/);
    expect(bad.problems.join("\n")).toMatch(/must not have incoming edges/);
  });

  it("loadBlueprint throws every problem at once", () => {
    expect(() => loadBlueprint(blueprint([node("a")], [{ source: "a", target: "b" }, { source: "c", target: "a" }]))).toThrow(/target "b"[\s\S]*source "c"/);
  });
});
