import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The questions of the README's "CQL analytics queries" section, in order. */
export const ANALYTICS_QUESTIONS = ["a", "b", "c", "d", "e"] as const;
export type AnalyticsQuestion = (typeof ANALYTICS_QUESTIONS)[number];

/** The example values the statements are written with; tests substitute their own. */
export const DOC_EXAMPLE = {
  day: "2026-11-23",
  who: "ada@example.com",
  id: "3f1c9a52-8d4e-4b7a-9c1e-2a6b5d7e8f90",
} as const;

export interface DocumentedQuery {
  /** The statement of the ```sql block, as a user pastes it into cqlsh. */
  cql: string;
  /** The ```bash block: the same statement through `npm run cql`. */
  shell: string;
}

/**
 * Reads the README's "CQL analytics queries" section: under each
 * `### (x) …` heading, the first ```sql block and the first ```bash block.
 */
export function readAnalyticsQueries(repoRoot: string): Record<AnalyticsQuestion, DocumentedQuery> {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const text = /^## CQL analytics queries\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (!text) throw new Error('README.md has no "## CQL analytics queries" section');
  const sections = text.split(/^### /m).slice(1);
  const found: Partial<Record<AnalyticsQuestion, DocumentedQuery>> = {};
  for (const section of sections) {
    const question = /^\(([a-e])\)/.exec(section)?.[1] as AnalyticsQuestion | undefined;
    if (!question) continue;
    const cql = /```sql\n([\s\S]*?)```/.exec(section)?.[1]?.trim();
    const shell = /```bash\n([\s\S]*?)```/.exec(section)?.[1]?.trim();
    if (!cql || !shell) throw new Error(`question (${question}) needs a sql and a bash block`);
    found[question] = { cql, shell };
  }
  for (const question of ANALYTICS_QUESTIONS) {
    if (!found[question]) throw new Error(`README.md's CQL analytics queries have no statement for (${question})`);
  }
  return found as Record<AnalyticsQuestion, DocumentedQuery>;
}

/** The statement with the example day, user and id replaced by `values`. */
export function substitute(cql: string, values: { day: string; who: string; id: string }): string {
  return cql.replaceAll(DOC_EXAMPLE.day, values.day).replaceAll(DOC_EXAMPLE.who, values.who).replaceAll(DOC_EXAMPLE.id, values.id);
}
