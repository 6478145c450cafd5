/**
 * A small, safe expression language for edge `condition` and `transform`.
 *
 * Flowcraft's default evaluators either allow only property paths or run
 * `new Function()` on blueprint strings (remote code execution if blueprints are
 * user-supplied). This one is a tokenizer + recursive-descent parser over a fixed
 * grammar; evaluation walks the AST and only ever reads own properties, so an
 * expression cannot call functions, reach prototypes or mutate anything.
 *
 * Grammar (lowest to highest precedence):
 *   ternary  := or ('?' ternary ':' ternary)?
 *   or       := and ('||' and)*
 *   and      := equality ('&&' equality)*
 *   equality := relational (('==' | '!=' | '===' | '!==') relational)*
 *   relational := additive (('<' | '<=' | '>' | '>=') additive)*
 *   additive := multiplicative (('+' | '-') multiplicative)*
 *   multiplicative := unary (('*' | '/' | '%') unary)*
 *   unary    := ('!' | '-' | '+') unary | postfix
 *   postfix  := primary ('.' identifier | '[' ternary ']')*
 *   primary  := number | string | true | false | null | undefined | identifier | '(' ternary ')'
 *
 * Semantics worth knowing:
 * - `==`/`!=` are strict (same as `===`/`!==`): no type coercion surprises.
 * - Reading a property of `null`/`undefined` yields `undefined` (like `?.`), so
 *   conditions on optional data do not throw.
 * - `<`, `<=`, `>`, `>=` compare two numbers or two strings; anything else is `false`.
 * - `+` adds numbers or concatenates when either side is a string; `- * / %` need numbers.
 */

/** Longest expression source accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 1_000;
/** Deepest nesting accepted (parentheses, unary chains, ternaries...). */
export const MAX_EXPRESSION_DEPTH = 32;

const FORBIDDEN_PROPERTIES = new Set(["__proto__", "constructor", "prototype"]);

/** Raised when an expression cannot be compiled; `position` is a 0-based character offset. */
export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly expression: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position} in expression ${JSON.stringify(truncate(expression))}`);
    this.name = "ExpressionSyntaxError";
  }
}

/** Raised when a compiled expression fails while evaluating (e.g. `"a" * 2`). */
export class ExpressionEvaluationError extends Error {
  constructor(
    message: string,
    readonly expression: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position} in expression ${JSON.stringify(truncate(expression))}`);
    this.name = "ExpressionEvaluationError";
  }
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

type TokenKind = "number" | "string" | "identifier" | "punctuator" | "end";
interface Token {
  kind: TokenKind;
  value: string;
  position: number;
  numberValue?: number;
}

// NOTE: longest first, so `===` wins over `==` and `<=` over `<`.
const PUNCTUATORS = ["===", "!==", "==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "!", "?", ":", ".", "[", "]", "(", ")"];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index]!;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    const start = index;
    if (/[0-9]/.test(char) || (char === "." && /[0-9]/.test(source[index + 1] ?? ""))) {
      const match = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(source.slice(index))!;
      index += match[0].length;
      if (/[A-Za-z_$]/.test(source[index] ?? "")) throw new ExpressionSyntaxError("Invalid number", source, start);
      tokens.push({ kind: "number", value: match[0], position: start, numberValue: Number(match[0]) });
      continue;
    }
    if (char === "'" || char === '"') {
      let value = "";
      index++;
      for (;;) {
        const next = source[index];
        if (next === undefined) throw new ExpressionSyntaxError("Unterminated string", source, start);
        index++;
        if (next === char) break;
        if (next === "\\") {
          const escaped = source[index];
          if (escaped === undefined) throw new ExpressionSyntaxError("Unterminated string", source, start);
          index++;
          value += escaped === "n" ? "\n" : escaped === "t" ? "\t" : escaped;
        } else {
          value += next;
        }
      }
      tokens.push({ kind: "string", value, position: start });
      continue;
    }
    if (/[A-Za-z_$]/.test(char)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(index))!;
      index += match[0].length;
      tokens.push({ kind: "identifier", value: match[0], position: start });
      continue;
    }
    const punctuator = PUNCTUATORS.find((candidate) => source.startsWith(candidate, index));
    if (!punctuator) throw new ExpressionSyntaxError(`Unexpected character ${JSON.stringify(char)}`, source, start);
    index += punctuator.length;
    tokens.push({ kind: "punctuator", value: punctuator, position: start });
  }
  tokens.push({ kind: "end", value: "", position: source.length });
  return tokens;
}

type BinaryOperator = "==" | "!=" | "===" | "!==" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%";
type AstNode =
  | { type: "literal"; value: unknown; position: number }
  | { type: "identifier"; name: string; position: number }
  | { type: "member"; object: AstNode; property: AstNode | string; position: number }
  | { type: "unary"; operator: "!" | "-" | "+"; operand: AstNode; position: number }
  | { type: "binary"; operator: BinaryOperator; left: AstNode; right: AstNode; position: number }
  | { type: "logical"; operator: "&&" | "||"; left: AstNode; right: AstNode; position: number }
  | { type: "conditional"; test: AstNode; consequent: AstNode; alternate: AstNode; position: number };

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parse(): AstNode {
    const ast = this.ternary();
    const next = this.peek();
    if (next.kind !== "end") this.fail(`Unexpected ${describe(next)}`, next);
    return ast;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private advance(): Token {
    return this.tokens[this.index++]!;
  }

  private isPunctuator(...values: string[]): boolean {
    const token = this.peek();
    return token.kind === "punctuator" && values.includes(token.value);
  }

  private expect(value: string): Token {
    if (!this.isPunctuator(value)) this.fail(`Expected "${value}" but found ${describe(this.peek())}`, this.peek());
    return this.advance();
  }

  private fail(message: string, token: Token): never {
    throw new ExpressionSyntaxError(message, this.source, token.position);
  }

  // TRICKY: every recursive entry point goes through `nested` so hostile input
  // like "((((((...))))))" or "!!!!!!...x" cannot blow the stack.
  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_EXPRESSION_DEPTH) this.fail(`Expression nested deeper than ${MAX_EXPRESSION_DEPTH}`, this.peek());
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private ternary(): AstNode {
    return this.nested(() => {
      const test = this.or();
      if (!this.isPunctuator("?")) return test;
      const position = this.advance().position;
      const consequent = this.ternary();
      this.expect(":");
      const alternate = this.ternary();
      return { type: "conditional", test, consequent, alternate, position };
    });
  }

  private or(): AstNode {
    let left = this.and();
    while (this.isPunctuator("||")) {
      const position = this.advance().position;
      left = { type: "logical", operator: "||", left, right: this.and(), position };
    }
    return left;
  }

  private and(): AstNode {
    let left = this.binaryLevel(0);
    while (this.isPunctuator("&&")) {
      const position = this.advance().position;
      left = { type: "logical", operator: "&&", left, right: this.binaryLevel(0), position };
    }
    return left;
  }

  private static readonly BINARY_LEVELS: BinaryOperator[][] = [
    ["==", "!=", "===", "!=="],
    ["<", "<=", ">", ">="],
    ["+", "-"],
    ["*", "/", "%"],
  ];

  private binaryLevel(level: number): AstNode {
    const operators = Parser.BINARY_LEVELS[level];
    if (!operators) return this.unary();
    let left = this.binaryLevel(level + 1);
    while (this.isPunctuator(...operators)) {
      const token = this.advance();
      left = { type: "binary", operator: token.value as BinaryOperator, left, right: this.binaryLevel(level + 1), position: token.position };
    }
    return left;
  }

  private unary(): AstNode {
    if (this.isPunctuator("!", "-", "+")) {
      const token = this.advance();
      return this.nested(() => ({ type: "unary", operator: token.value as "!" | "-" | "+", operand: this.unary(), position: token.position }));
    }
    return this.postfix();
  }

  private postfix(): AstNode {
    let object = this.primary();
    for (;;) {
      if (this.isPunctuator(".")) {
        const dot = this.advance();
        const name = this.advance();
        if (name.kind !== "identifier") this.fail(`Expected a property name after "." but found ${describe(name)}`, name);
        assertAllowedProperty(name.value, this.source, name.position);
        object = { type: "member", object, property: name.value, position: dot.position };
      } else if (this.isPunctuator("[")) {
        const bracket = this.advance();
        const property = this.nested(() => this.ternary());
        this.expect("]");
        if (property.type === "literal") assertAllowedProperty(String(property.value), this.source, property.position);
        object = { type: "member", object, property, position: bracket.position };
      } else {
        return object;
      }
    }
  }

  private primary(): AstNode {
    const token = this.advance();
    switch (token.kind) {
      case "number":
        return { type: "literal", value: token.numberValue, position: token.position };
      case "string":
        return { type: "literal", value: token.value, position: token.position };
      case "identifier":
        if (token.value === "true") return { type: "literal", value: true, position: token.position };
        if (token.value === "false") return { type: "literal", value: false, position: token.position };
        if (token.value === "null") return { type: "literal", value: null, position: token.position };
        if (token.value === "undefined") return { type: "literal", value: undefined, position: token.position };
        assertAllowedProperty(token.value, this.source, token.position);
        return { type: "identifier", name: token.value, position: token.position };
      case "punctuator":
        if (token.value === "(") {
          const inner = this.nested(() => this.ternary());
          this.expect(")");
          return inner;
        }
        return this.fail(`Unexpected ${describe(token)}`, token);
      case "end":
        return this.fail("Unexpected end of expression", token);
    }
  }
}

function describe(token: Token): string {
  if (token.kind === "end") return "end of expression";
  if (token.kind === "string") return `string ${JSON.stringify(token.value)}`;
  return `"${token.value}"`;
}

function assertAllowedProperty(name: string, source: string, position: number): void {
  if (FORBIDDEN_PROPERTIES.has(name)) throw new ExpressionSyntaxError(`Access to "${name}" is not allowed`, source, position);
}

/** The variables an expression can read, e.g. `{ result, context, input }`. */
export type ExpressionScope = Readonly<Record<string, unknown>>;

/** A parsed expression: compile once (per blueprint), evaluate per run. */
export interface CompiledExpression {
  readonly source: string;
  evaluate(scope: ExpressionScope): unknown;
}

/**
 * Parses `source` into an evaluable expression.
 * @throws ExpressionSyntaxError naming the position of the first problem.
 */
export function compileExpression(source: string): CompiledExpression {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionSyntaxError(`Expression longer than ${MAX_EXPRESSION_LENGTH} characters`, source, MAX_EXPRESSION_LENGTH);
  }
  if (source.trim() === "") throw new ExpressionSyntaxError("Empty expression", source, 0);
  const ast = new Parser(source, tokenize(source)).parse();
  return { source, evaluate: (scope) => evaluateNode(ast, scope, source) };
}

function readOwnProperty(target: unknown, key: unknown, source: string, position: number): unknown {
  if (target === null || target === undefined) return undefined;
  const name = typeof key === "number" ? String(key) : key;
  if (typeof name !== "string") throw new ExpressionEvaluationError(`Property key must be a string or number, got ${typeof key}`, source, position);
  // CRITICAL: runtime check too, because computed keys (`a[b]`) are only known now.
  if (FORBIDDEN_PROPERTIES.has(name)) throw new ExpressionEvaluationError(`Access to "${name}" is not allowed`, source, position);
  if (typeof target === "string") {
    if (name === "length") return target.length;
    return /^[0-9]+$/.test(name) ? target[Number(name)] : undefined;
  }
  if (typeof target !== "object") return undefined;
  // NOTE: own properties only: no inherited methods, getters on prototypes, etc.
  return Object.hasOwn(target, name) ? (target as Record<string, unknown>)[name] : undefined;
}

function evaluateNode(node: AstNode, scope: ExpressionScope, source: string): unknown {
  switch (node.type) {
    case "literal":
      return node.value;
    case "identifier":
      return readOwnProperty(scope, node.name, source, node.position);
    case "member": {
      const target = evaluateNode(node.object, scope, source);
      const key = typeof node.property === "string" ? node.property : evaluateNode(node.property, scope, source);
      return readOwnProperty(target, key, source, node.position);
    }
    case "unary": {
      const operand = evaluateNode(node.operand, scope, source);
      if (node.operator === "!") return !operand;
      const value = requireNumber(operand, node.operator, source, node.position);
      return node.operator === "-" ? -value : value;
    }
    case "logical": {
      const left = evaluateNode(node.left, scope, source);
      if (node.operator === "&&") return left ? evaluateNode(node.right, scope, source) : left;
      return left ? left : evaluateNode(node.right, scope, source);
    }
    case "conditional":
      return evaluateNode(node.test, scope, source) ? evaluateNode(node.consequent, scope, source) : evaluateNode(node.alternate, scope, source);
    case "binary":
      return evaluateBinary(node.operator, evaluateNode(node.left, scope, source), evaluateNode(node.right, scope, source), source, node.position);
  }
}

function requireNumber(value: unknown, operator: string, source: string, position: number): number {
  if (typeof value !== "number") throw new ExpressionEvaluationError(`Operator "${operator}" needs numbers, got ${value === null ? "null" : typeof value}`, source, position);
  return value;
}

function evaluateBinary(operator: BinaryOperator, left: unknown, right: unknown, source: string, position: number): unknown {
  switch (operator) {
    case "==":
    case "===":
      return left === right;
    case "!=":
    case "!==":
      return left !== right;
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const comparable = (typeof left === "number" && typeof right === "number") || (typeof left === "string" && typeof right === "string");
      if (!comparable) return false;
      const [a, b] = [left as number | string, right as number | string];
      return operator === "<" ? a < b : operator === "<=" ? a <= b : operator === ">" ? a > b : a >= b;
    }
    case "+":
      if (typeof left === "string" || typeof right === "string") return `${stringify(left)}${stringify(right)}`;
      return requireNumber(left, "+", source, position) + requireNumber(right, "+", source, position);
    case "-":
      return requireNumber(left, "-", source, position) - requireNumber(right, "-", source, position);
    case "*":
      return requireNumber(left, "*", source, position) * requireNumber(right, "*", source, position);
    case "/":
      return requireNumber(left, "/", source, position) / requireNumber(right, "/", source, position);
    case "%":
      return requireNumber(left, "%", source, position) % requireNumber(right, "%", source, position);
  }
}

function stringify(value: unknown): string {
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}
