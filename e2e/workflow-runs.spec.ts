import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test, type Page } from "@playwright/test";
import { createProducer, createSchemaRegistry, silentLogger, type Producer } from "@taskflow/kafka";
import { ControlPublisher, type WorkflowTransport } from "@taskflow/workflow-adapters";
import { e2eEnv } from "./env.ts";

/**
 * Issue #4 item 7 and issue #6 item 6: the workflow pages end to end, on both transports.
 * The spec runs its OWN workers (apps/worker/src/main.ts, each in a consumer group of its
 * own, /health on its own port): one with WORKFLOW_TRANSPORT=kafka (Kafka jobs, Cassandra
 * state) and one with WORKFLOW_TRANSPORT=rabbitmq (the default RabbitMQ jobs queue and
 * PostgreSQL database; its events reach the event store through its outbox relay). Both
 * read the default commands topic, so the web app's commands (published through the
 * ControlPublisher started in instrumentation) reach them; the web app never calls the
 * engine. The list and the run page read the projector's run projection
 * (playwright.config starts the projector) and the event store.
 * Needs the stack up and bootstrapped and a built app (`next start` via playwright.config).
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const WORKER_HTTP_PORTS: Record<WorkflowTransport, number> = { kafka: 3390, rabbitmq: 3391 };
const WORKER_READY_MS = 60_000;
/** Run creation, node jobs, the events reaching the event store, and the projector folding them. */
const RUN_DONE_MS = 45_000;
const ONBOARDING_NODES = ["provision-identity", "send-welcome-email", "schedule-orientation", "create-chat-account", "onboarding-complete", "notify-manager"];
const LABELS: Record<WorkflowTransport, string> = { kafka: "Kafka", rabbitmq: "RabbitMQ" };

test.describe.configure({ mode: "serial", timeout: 180_000 });

/** A worker process of the spec's own, on one transport. */
class SpawnedWorker {
  private output = "";
  private readonly child: ChildProcess;

  constructor(readonly transport: WorkflowTransport) {
    // NOTE: node itself (not the tsx CLI, which runs the program in a child process), so
    // the signals below reach the worker.
    this.child = spawn(join(repoRoot, "node_modules/.bin/node"), ["--import", "tsx", "apps/worker/src/main.ts"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        WORKFLOW_TRANSPORT: transport,
        // A group of its own: no other worker's offsets are moved; topics, the jobs queue
        // and the PostgreSQL database stay the defaults.
        WORKER_GROUP_ID: `e2e-workflow-runs-${transport}-${randomUUID()}`,
        WORKER_ID: `e2e-workflow-runs-${transport}`,
        WORKER_HTTP_PORT: String(WORKER_HTTP_PORTS[transport]),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
  }

  async waitHealthy(deadline: number): Promise<void> {
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`${this.transport} worker exited with ${this.child.exitCode}:\n${this.output.slice(-4000)}`);
      try {
        const response = await fetch(`http://127.0.0.1:${WORKER_HTTP_PORTS[this.transport]}/health`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.transport} worker not healthy in time:\n${this.output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** SIGSTOP: the worker takes nothing from Kafka or RabbitMQ until {@link resume}. */
  freeze(): void {
    this.child.kill("SIGSTOP");
  }

  resume(): void {
    this.child.kill("SIGCONT");
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

const workers = new Map<WorkflowTransport, SpawnedWorker>();
let producer: Producer | undefined;
let commands: ControlPublisher | undefined;

test.beforeAll(async () => {
  test.setTimeout(WORKER_READY_MS + 20_000);
  const projector = await fetch(`http://127.0.0.1:${e2eEnv.E2E_PROJECTOR_PORT}/health`).catch(() => undefined);
  expect(projector?.ok, `the projector answers on port ${e2eEnv.E2E_PROJECTOR_PORT} (playwright.config starts it)`).toBe(true);
  for (const transport of ["kafka", "rabbitmq"] as const) workers.set(transport, new SpawnedWorker(transport));
  const deadline = Date.now() + WORKER_READY_MS;
  await Promise.all([...workers.values()].map((worker) => worker.waitHealthy(deadline)));
  // The spec's own command publisher, for the one command it must send while a worker is frozen.
  producer = await createProducer({ clientId: "e2e-workflow-runs", brokers: e2eEnv.KAFKA_BROKERS.split(",").map((b) => b.trim()), logger: silentLogger });
  commands = await ControlPublisher.create({ producer, registry: createSchemaRegistry({ url: e2eEnv.SCHEMA_REGISTRY_URL, clientId: "e2e-workflow-runs" }) });
});

test.afterAll(async () => {
  await Promise.all([...workers.values()].map((worker) => worker.stop()));
  await producer?.disconnect();
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

async function openRuns(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
  await expect(page).toHaveURL(/\/runs$/);
  await expect(page.getByRole("heading", { level: 1, name: "Workflow runs" })).toBeVisible();
}

async function startRunFromForm(page: Page, workflowId: string, transport: WorkflowTransport, input = ""): Promise<string> {
  const form = page.getByRole("form", { name: "Start a run" });
  await form.getByLabel("Workflow").selectOption(workflowId);
  await form.getByRole("group", { name: "Transport" }).getByRole("radio", { name: LABELS[transport] }).check();
  await form.getByLabel("Input (JSON, optional)").fill(input);
  const started = page.getByTestId("started-run");
  const previous = (await started.count()) > 0 ? await started.getAttribute("data-run-id") : null;
  await form.getByRole("button", { name: "Start run" }).click();
  if (previous) await expect(started).not.toHaveAttribute("data-run-id", previous);
  await expect(started).toHaveAttribute("data-run-id", /^[0-9a-f-]{36}$/);
  await expect(started).toHaveAttribute("data-transport", transport);
  await expect(started).toContainText(`on ${LABELS[transport]}`);
  return (await started.getAttribute("data-run-id"))!;
}

/**
 * Follows an onboarding run from the live list to completed, then on its page: the
 * transport, the event-store timeline and the DAG with every node completed.
 */
async function followOnboardingRun(page: Page, runId: string, transport: WorkflowTransport, shot: string): Promise<void> {
  const row = page.locator(`tr[data-run-id="${runId}"]`);
  await expect(row.getByTestId("run-status")).toHaveText("completed", { timeout: RUN_DONE_MS });
  await expect(row.getByTestId("run-transport")).toHaveText(LABELS[transport]);
  await page.screenshot({ path: test.info().outputPath(`runs-list-${shot}.png`), fullPage: true });

  await row.getByRole("link", { name: runId }).click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runId}$`));
  await expect(page.getByTestId("run-page-status")).toHaveText("completed");
  await expect(page.getByTestId("run-page-transport")).toHaveText(LABELS[transport]);
  const events = page.getByTestId("run-event");
  await expect(events.last()).toHaveAttribute("data-type", "RUN_COMPLETED", { timeout: RUN_DONE_MS });
  await expect(events.first()).toHaveAttribute("data-type", "RUN_CREATED");
  await expect(page.getByTestId("run-live")).toHaveAttribute("data-freshness", "done");
  await expect(page.getByTestId("dag-node")).toHaveCount(ONBOARDING_NODES.length);
  for (const nodeId of ONBOARDING_NODES) await expect(page.locator(`[data-testid="dag-node"][data-node-id="${nodeId}"]`)).toHaveAttribute("data-state", "completed");
  await expect(page.getByTestId("dag").locator("line")).toHaveCount(7);
  await page.screenshot({ path: test.info().outputPath(`run-completed-${shot}.png`), fullPage: true });

  // A finished run offers no controls.
  await expect(page.getByText("This run has finished.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Pause", exact: true })).toHaveCount(0);
}

/**
 * Starts an onboarding run on `transport` from the form and has it paused before its
 * first nodes can finish: the example nodes take milliseconds, far less than a click.
 * TRICKY: the transport's worker is frozen (SIGSTOP) while the form's run.request and a
 * run.pause are published; both are keyed by run id, so the worker, thawed, reads them in
 * that order and pauses the run right after creating it. Then opens the run's page.
 */
async function startPausedRun(page: Page, transport: WorkflowTransport, reason: string): Promise<string> {
  const worker = workers.get(transport)!;
  worker.freeze();
  let runId: string;
  try {
    runId = await startRunFromForm(page, "employee-onboarding", transport, '{"employeeId": "e2e-paused", "name": "Grace"}');
    await commands!.publishCommand({ type: "run.pause", runId, reason, actor: "e2e@example.com" });
  } finally {
    worker.resume();
  }
  await page.getByTestId("started-run").getByRole("link", { name: runId }).click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runId}$`));
  await expect(page.getByTestId("run-page-status")).toHaveText("paused", { timeout: RUN_DONE_MS });
  await expect(page.getByTestId("run-page-transport")).toHaveText(LABELS[transport]);
  await expect(page.getByText(`(${reason})`)).toBeVisible();
  await expect(page.getByRole("button", { name: "Pause", exact: true })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Resume" })).toBeEnabled();
  return runId;
}

test("start an onboarding run on Kafka, follow it to completed, see its transport, timeline and DAG", async ({ page }) => {
  await registerAndLogIn(page);
  await openRuns(page);

  // Bad input is answered next to its field.
  const form = page.getByRole("form", { name: "Start a run" });
  await expect(form.getByRole("radio", { name: "Kafka" })).toBeChecked();
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

  const runId = await startRunFromForm(page, "employee-onboarding", "kafka", '{"employeeId": "e2e-42", "name": "Ada"}');
  await followOnboardingRun(page, runId, "kafka", "kafka");
});

test("start an onboarding run on RabbitMQ: the list and its page say RabbitMQ, its timeline and DAG come from the event store", async ({ page }) => {
  await registerAndLogIn(page);
  await openRuns(page);
  const runId = await startRunFromForm(page, "employee-onboarding", "rabbitmq", '{"employeeId": "e2e-43", "name": "Barbara"}');
  await followOnboardingRun(page, runId, "rabbitmq", "rabbitmq");

  // Both transports' runs are in the one list, and "Open a run" finds a RabbitMQ run.
  await page.getByRole("link", { name: "All runs" }).click();
  await expect(page.locator(`tr[data-run-id="${runId}"]`).getByTestId("run-transport")).toHaveText("RabbitMQ");
  await expect(page.getByTestId("run-transport").filter({ hasText: "Kafka" }).first()).toBeVisible();
  const find = page.getByRole("form", { name: "Open a run" });
  await find.getByLabel("Run id").fill(runId);
  await find.getByRole("button", { name: "Open" }).click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runId}$`));
  await expect(page.getByTestId("run-page-transport")).toHaveText("RabbitMQ");
});

test("a paused RabbitMQ run is resumed and another cancelled from the run page's buttons", async ({ page }) => {
  await registerAndLogIn(page);
  await openRuns(page);

  // Resume: the RabbitMQ worker holding the run applies the command; the run completes.
  const resumed = await startPausedRun(page, "rabbitmq", "waiting for HR");
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Resume requested." })).toBeVisible();
  await expect(page.getByTestId("run-page-status")).toHaveText("completed", { timeout: RUN_DONE_MS });
  const events = page.getByTestId("run-event");
  await expect(events.last()).toHaveAttribute("data-type", "RUN_COMPLETED", { timeout: RUN_DONE_MS });
  await expect(page.locator('[data-testid="run-event"][data-type="RUN_PAUSED"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="run-event"][data-type="RUN_RESUMED"]')).toHaveCount(1);
  for (const nodeId of ONBOARDING_NODES) await expect(page.locator(`[data-testid="dag-node"][data-node-id="${nodeId}"]`)).toHaveAttribute("data-state", "completed");
  await page.screenshot({ path: test.info().outputPath(`run-resumed-${resumed}.png`), fullPage: true });

  // Cancel: a reason is required; the run stops with it, its remaining nodes never run.
  await page.getByRole("link", { name: "All runs" }).click();
  const cancelled = await startPausedRun(page, "rabbitmq", "approval needed");
  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.getByText("Say why the run is cancelled.")).toBeVisible();
  await page.getByLabel("Reason to cancel").fill("offer withdrawn");
  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.getByTestId("run-page-status")).toHaveText("cancelled", { timeout: RUN_DONE_MS });
  await expect(page.getByText("(offer withdrawn)")).toBeVisible();
  await expect(events.last()).toHaveAttribute("data-type", "RUN_CANCELLED", { timeout: RUN_DONE_MS });
  await expect(page.getByTestId("run-live")).toHaveAttribute("data-freshness", "done");
  await expect(page.locator('[data-testid="dag-node"][data-node-id="notify-manager"]')).toHaveAttribute("data-state", "pending");
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath(`run-cancelled-${cancelled}.png`), fullPage: true });

  await page.getByRole("link", { name: "All runs" }).click();
  const row = page.locator(`tr[data-run-id="${cancelled}"]`);
  await expect(row.getByTestId("run-status")).toHaveText("cancelled");
  await expect(row.getByTestId("run-transport")).toHaveText("RabbitMQ");
});
