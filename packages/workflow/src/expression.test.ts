import { describe, expect, it } from "vitest";
import { ExpressionEvaluationError, ExpressionSyntaxError, MAX_EXPRESSION_LENGTH, compileExpression } from "./expression.ts";

const evaluate = (source: string, scope: Record<string, unknown> = {}) => compileExpression(source).evaluate(scope);

describe("compileExpression", () => {
  const scope = { result: { score: 0.95, items: [{ name: "first" }], action: "approve" }, context: { user: { email: "a@b.c" } } };

  it.each([
    ["42", 42],
    ["1.5e2", 150],
    ["'it\\'s'", "it's"],
    ['"double"', "double"],
    ["true && !false", true],
    ["null", null],
    ["result.score", 0.95],
    ["context.user.email", "a@b.c"],
    ["result.items[0].name", "first"],
    ["result['action']", "approve"],
    ["result.missing.deeper", undefined],
    ["result.score > 0.9", true],
    ["result.score <= 0.9", false],
    ["result.action === 'approve' && result.score >= 0.5", true],
    ["result.action != 'approve' || 1 == 1", true],
    ["1 + 2 * 3 - 4 / 2 % 3", 5],
    ["(1 + 2) * 3", 9],
    ["-result.score", -0.95],
    ["'n=' + 2", "n=2"],
    ["result.score > 0.9 ? 'urgent' : 'normal'", "urgent"],
    ["false ? 1 : true ? 2 : 3", 2],
    ["'abc'.length", 3],
    ["'1' == 1", false],
    ["'a' < 1", false],
  ])("%s", (source, expected) => {
    expect(evaluate(source, scope)).toEqual(expected);
  });

  it("compiles once and evaluates against many scopes", () => {
    const expression = compileExpression("result.score * 2");
    expect(expression.evaluate({ result: { score: 1 } })).toBe(2);
    expect(expression.evaluate({ result: { score: 4 } })).toBe(8);
  });

  it.each(["__proto__", "a.constructor", "a.prototype", "a['__proto__']", "a['constr' + 'uctor']"])("forbids prototype access: %s", (source) => {
    expect(() => evaluate(source, { a: {} })).toThrow(/not allowed/);
  });

  it("reads own properties only, so inherited methods are invisible", () => {
    expect(evaluate("a.toString", { a: {} })).toBeUndefined();
    expect(evaluate("a.hasOwnProperty", { a: {} })).toBeUndefined();
  });

  it.each([
    ["1 +", 3],
    ["a.", 2],
    ["(1", 2],
    ["1 ? 2", 5],
    ["a # b", 2],
    ["'open", 0],
    ["1 2", 2],
    ["f(1)", 1],
  ])("reports the position of syntax errors: %s", (source, position) => {
    try {
      compileExpression(source);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionSyntaxError);
      expect((error as ExpressionSyntaxError).position).toBe(position);
      expect((error as Error).message).toContain(`at position ${position}`);
    }
  });

  it("bounds length and nesting depth", () => {
    expect(() => compileExpression("1".repeat(MAX_EXPRESSION_LENGTH + 1))).toThrow(/longer than/);
    expect(() => compileExpression(`${"(".repeat(100)}1${")".repeat(100)}`)).toThrow(/nested deeper/);
    expect(() => compileExpression(`${"!".repeat(100)}1`)).toThrow(/nested deeper/);
    expect(() => compileExpression("")).toThrow(/Empty/);
  });

  it("raises evaluation errors with a position", () => {
    expect(() => evaluate("'a' * 2")).toThrow(ExpressionEvaluationError);
    expect(() => evaluate("x - 1", { x: "s" })).toThrow(/at position 2/);
  });
});
