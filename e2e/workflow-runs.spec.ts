import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test, type Page } from "@playwright/test";

/**
 * Issue #4 item 7: the workflow pages end to end. The spec runs its OWN worker
 * (apps/worker/src/main.ts, a unique consumer group, /health on WORKER_HTTP_PORT) on the
 * default topics, so the web app's commands (published through the ControlPublisher
 * started in instrumentation) reach it; the web app never calls the engine.
 * Needs the stack up and bootstrapped and a built app (`next start` via playwright.config).
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const WORKER_HTTP_PORT = 3390;
const WORKER_READY_MS = 60_000;
/** Run creation, node jobs through Kafka, and Connect writing the event store. */
const RUN_DONE_MS = 45_000;
const ONBOARDING_NODES = ["provision-identity", "send-welcome-email", "schedule-orientation", "create-chat-account", "onboarding-complete", "notify-manager"];

test.describe.configure({ mode: "serial", timeout: 180_000 });

let worker: ChildProcess | undefined;
let workerOutput = "";

async function waitForWorkerHealth(deadline: number): Promise<void> {
  for (;;) {
    if (worker?.exitCode !== null && worker?.exitCode !== undefined) throw new Error(`worker exited with ${worker.exitCode}:\n${workerOutput.slice(-4000)}`);
    try {
      const response = await fetch(`http://127.0.0.1:${WORKER_HTTP_PORT}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`worker not healthy in time:\n${workerOutput.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test.beforeAll(async () => {
  test.setTimeout(WORKER_READY_MS + 10_000);
  worker = spawn(join(repoRoot, "node_modules/.bin/tsx"), ["apps/worker/src/main.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      // A group of its own: no other worker's offsets are moved; topics stay the defaults.
      WORKER_GROUP_ID: `e2e-workflow-runs-${randomUUID()}`,
      WORKER_ID: "e2e-workflow-runs",
      WORKER_HTTP_PORT: String(WORKER_HTTP_PORT),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk: Buffer) => {
    workerOutput = (workerOutput + chunk.toString()).slice(-20_000);
  };
  worker.stdout?.on("data", keep);
  worker.stderr?.on("data", keep);
  await waitForWorkerHealth(Date.now() + WORKER_READY_MS);
});

test.afterAll(async () => {
  const child = worker;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
});

async function registerAndLogIn(page: Page): Promise<string> {
  const email = `e2e-runs-${Date.now()}-${randomUUID().slice(0, 8)}@example.com`;
  const password = "correct horse battery";
  await page.goto("/register");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/login\?registered=1$/);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/todos$/);
  return email;
}

async function startRunFromForm(page: Page, workflowId: string, input = ""): Promise<string> {
  const form = page.getByRole("form", { name: "Start a run" });
  await form.getByLabel("Workflow").selectOption(workflowId);
  await form.getByLabel("Input (JSON, optional)").fill(input);
  const started = page.getByTestId("started-run");
  const previous = (await started.count()) > 0 ? await started.getAttribute("data-run-id") : null;
  await form.getByRole("button", { name: "Start run" }).click();
  if (previous) await expect(started).not.toHaveAttribute("data-run-id", previous);
  await expect(started).toHaveAttribute("data-run-id", /^[0-9a-f-]{36}$/);
  return (await started.getAttribute("data-run-id"))!;
}

test("start an onboarding run, follow it to completed, see its timeline and DAG", async ({ page }) => {
  await registerAndLogIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
  await expect(page).toHaveURL(/\/runs$/);
  await expect(page.getByRole("heading", { level: 1, name: "Workflow runs" })).toBeVisible();

  // Bad input is answered next to its field.
  const form = page.getByRole("form", { name: "Start a run" });
  await form.getByLabel("Input (JSON, optional)").fill("{not json");
  await form.getByRole("button", { name: "Start run" }).click();
  await expect(form.getByText("The input is not valid JSON.")).toBeVisible();
  const find = page.getByRole("form", { name: "Open a run" });
  await find.getByLabel("Run id").fill("not-a-run");
  await find.getByRole("button", { name: "Open" }).click();
  await expect(find.getByRole("alert")).toContainText("A run id looks like");
  await find.getByLabel("Run id").fill(randomUUID());
  await find.getByRole("button", { name: "Open" }).click();
  await expect(find.getByRole("alert")).toContainText("No run with this id");
  await page.screenshot({ path: test.info().outputPath("runs-bad-input.png"), fullPage: true });

  // 1. An onboarding run, followed in the live list.
  const runId = await startRunFromForm(page, "employee-onboarding", '{"employeeId": "e2e-42", "name": "Ada"}');
  const row = page.locator(`tr[data-run-id="${runId}"]`);
  await expect(row.getByTestId("run-status")).toHaveText("completed", { timeout: RUN_DONE_MS });
  await page.screenshot({ path: test.info().outputPath("runs-list.png"), fullPage: true });

  // 2. Its page: the event-store timeline and the DAG, all nodes completed.
  await row.getByRole("link", { name: runId }).click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runId}$`));
  await expect(page.getByTestId("run-page-status")).toHaveText("completed");
  const events = page.getByTestId("run-event");
  await expect(events.last()).toHaveAttribute("data-type", "RUN_COMPLETED", { timeout: RUN_DONE_MS });
  await expect(events.first()).toHaveAttribute("data-type", "RUN_CREATED");
  await expect(page.getByTestId("run-live")).toHaveAttribute("data-freshness", "done");
  const nodes = page.getByTestId("dag-node");
  await expect(nodes).toHaveCount(ONBOARDING_NODES.length);
  for (const nodeId of ONBOARDING_NODES) await expect(page.locator(`[data-testid="dag-node"][data-node-id="${nodeId}"]`)).toHaveAttribute("data-state", "completed");
  await expect(page.getByTestId("dag").locator("line")).toHaveCount(7);
  await page.screenshot({ path: test.info().outputPath("run-completed.png"), fullPage: true });

  // 3. A finished run offers no controls. Pause/resume/cancel with nodes in flight are
  // proven against the engine in apps/worker/src/proofs-control.integration.test.ts; the
  // example nodes finish too fast to click them here reliably.
  await expect(page.getByText("This run has finished.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Pause", exact: true })).toHaveCount(0);
});
