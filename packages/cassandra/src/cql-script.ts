/**
 * Splits a CQL script into statements: `;` ends a statement unless it is inside a
 * string literal or a comment. Comments are dropped. cqlsh accepts the same text.
 */
export function splitCqlStatements(script: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  while (i < script.length) {
    const ch = script[i]!;
    const next = script[i + 1];
    if ((ch === "-" && next === "-") || (ch === "/" && next === "/")) {
      const end = script.indexOf("\n", i);
      i = end === -1 ? script.length : end;
      continue;
    }
    if (ch === "/" && next === "*") {
      const end = script.indexOf("*/", i + 2);
      i = end === -1 ? script.length : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"') {
      // Quotes are escaped by doubling them in CQL, so a closing quote followed by
      // the same quote continues the literal.
      let j = i + 1;
      for (;;) {
        if (j >= script.length) break;
        if (script[j] === ch) {
          if (script[j + 1] === ch) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      current += script.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ";") {
      if (current.trim()) statements.push(current.trim());
      current = "";
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
