import { describe, expect, it } from "vitest";
import { NodeRegistry, UnknownNodeTypeError } from "./registry.ts";

describe("NodeRegistry", () => {
  const registry = new NodeRegistry({ echo: async ({ input }) => ({ output: input }) });

  it("resolves registered implementations", async () => {
    const run = registry.resolve("echo");
    const result = await run({ runId: "r", nodeId: "n", attempt: 1, params: {}, input: 7, context: {}, signal: new AbortController().signal });
    expect(result).toEqual({ output: 7 });
  });

  it("names the unknown uses, the node and what is registered", () => {
    expect(() => registry.resolve("nope", "step-1")).toThrow(UnknownNodeTypeError);
    expect(() => registry.resolve("nope", "step-1")).toThrow('No implementation registered for uses "nope" (node "step-1"); registered: echo');
  });

  it("rejects double registration and lists blueprint nodes without implementations", () => {
    expect(() => registry.register("echo", async () => ({}))).toThrow(/already registered/);
    const missing = registry.missingImplementations({ id: "b", metadata: { version: "1" }, edges: [], nodes: [{ id: "x", uses: "echo" }, { id: "y", uses: "ghost" }] });
    expect(missing).toEqual(['node "y" uses "ghost", which has no registered implementation']);
  });
});
