// Prints the last line of the test run: totals over vitest's and Playwright's
// JSON reports, plus steps that failed outside a runner (typecheck, build...).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const [dir, failedSteps = "0"] = process.argv.slice(2);
const read = (name) => (existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), "utf8")) : undefined);

const parts = [];
let passed = 0;
let failed = 0;
for (const name of ["unit", "integration"]) {
  const report = read(`${name}.json`);
  if (!report) continue;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  parts.push(`${name} ${report.numPassedTests}/${report.numTotalTests}`);
}
const e2e = read("e2e.json");
if (e2e) {
  passed += e2e.stats.expected;
  failed += e2e.stats.unexpected + e2e.stats.flaky;
  parts.push(`e2e ${e2e.stats.expected}/${e2e.stats.expected + e2e.stats.unexpected + e2e.stats.flaky}`);
}
const steps = Number(failedSteps);
console.log(`\n${passed} passed, ${failed} failed (${parts.join(", ")}${steps ? `; ${steps} step(s) failed` : ""})`);
process.exit(failed > 0 || steps > 0 ? 1 : 0);
