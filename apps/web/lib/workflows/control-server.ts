import { ControlPublisher, type WorkflowCommandDraft } from "@taskflow/workflow-adapters";
import { createProducer, createSchemaRegistry } from "@taskflow/kafka";
import type { WebEnv } from "../../env";
import { log } from "../log";

/**
 * The web app's one ControlPublisher per server process: workflow commands go to the
 * commands topic; the worker applies them. The web app never calls the engine.
 * TRICKY: as for tracking (lib/tracking/server.ts), instrumentation.ts is bundled apart
 * from routes and actions, so the one publisher lives on globalThis under a registered symbol.
 */
const SLOT = Symbol.for("taskflow.web.workflowControl");
type Slot = { [SLOT]?: WorkflowControl };

/** Connects lazily and again after a failure, so a broker outage at start-up is not fatal. */
export class WorkflowControl {
  private connecting: Promise<ControlPublisher> | undefined;

  constructor(private readonly connect: () => Promise<ControlPublisher>) {}

  /** The connected publisher; a failed connection is retried on the next call. */
  publisher(): Promise<ControlPublisher> {
    if (!this.connecting) {
      this.connecting = this.connect().catch((error: unknown) => {
        this.connecting = undefined;
        throw error;
      });
    }
    return this.connecting;
  }

  /** Publishes one command, resolved on the broker's ack. */
  async publish(draft: WorkflowCommandDraft): Promise<{ commandId: string; runId: string }> {
    const publisher = await this.publisher();
    return publisher.publishCommand(draft);
  }
}

export function getWorkflowControl(): WorkflowControl | undefined {
  return (globalThis as Slot)[SLOT];
}

/** Installs `control` as the process's publisher (start-up; tests install their own). */
export function installWorkflowControl(control: WorkflowControl | undefined): void {
  (globalThis as Slot)[SLOT] = control;
}

/** Starts the process's publisher once (connecting in the background); later calls return the same one. */
export function startWorkflowControl(env: WebEnv): WorkflowControl {
  const existing = getWorkflowControl();
  if (existing) return existing;
  const control = new WorkflowControl(async () => {
    const registry = createSchemaRegistry({ url: env.SCHEMA_REGISTRY_URL, clientId: "taskflow-web-workflows" });
    const producer = await createProducer({ clientId: "taskflow-web-workflows", brokers: env.KAFKA_BROKERS, logger: log });
    try {
      const publisher = await ControlPublisher.create({ producer, registry });
      log.info("workflow command publisher ready");
      return publisher;
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  });
  installWorkflowControl(control);
  control.publisher().catch((error: unknown) => log.warn("workflow command publisher not ready yet; retried on first use", { error }));
  return control;
}
