import { silentLogger } from "@taskflow/kafka";
import type { RunState } from "@taskflow/workflow";
import { runIdFor, type WorkflowCommand } from "@taskflow/workflow-adapters";
import { describe, expect, it } from "vitest";
import { handleWorkflowCommand, type CommandTarget } from "./command-consumer.ts";
import { handleLifecycleEvent } from "./lifecycle-consumer.ts";

function target(runs: Record<string, RunState["status"]>) {
  const calls: string[] = [];
  const steer = (verb: string, from: RunState["status"][]) => async (runId: string, reason: string) => {
    calls.push(`${verb}:${runId}:${reason}`);
    return from.includes(runs[runId] as RunState["status"]);
  };
  const t: CommandTarget = {
    startRun: async (request) => {
      calls.push(`start:${request.blueprintId}:${request.runId}:${request.correlationId}`);
      return { runId: request.runId, created: true };
    },
    pause: steer("pause", ["running"]),
    resume: steer("resume", ["paused"]),
    cancel: steer("cancel", ["running", "paused"]),
    readRun: async (runId) => (runs[runId] ? ({ runId, status: runs[runId] } as RunState) : undefined),
  };
  return { target: t, calls };
}

const base = { commandId: "c-1", input: {}, reason: null, actor: "ops@example.com", correlationId: "corr", time: new Date() };

describe("control handlers", () => {
  it("starts a requested run with the id derived from the command id", async () => {
    const { target: t, calls } = target({});
    const command: WorkflowCommand = { ...base, type: "run.request", runId: null, workflowId: "content-moderation" };
    expect(await handleWorkflowCommand(command, { target: t, logger: silentLogger })).toBe("started");
    expect(calls).toEqual([`start:content-moderation:${runIdFor("command", "c-1")}:corr`]);
    expect(await handleWorkflowCommand({ ...command, workflowId: "nope" }, { target: t, logger: silentLogger })).toBe("unknown-workflow");
  });

  it("applies pause/resume/cancel and reports unknown runs and non-applicable commands", async () => {
    const { target: t, calls } = target({ r1: "running", r2: "completed" });
    expect(await handleWorkflowCommand({ ...base, type: "run.cancel", runId: "r1", workflowId: null, reason: "gone" }, { target: t, logger: silentLogger })).toBe("applied");
    expect(calls).toEqual(["cancel:r1:gone"]);
    expect(await handleWorkflowCommand({ ...base, type: "run.pause", runId: "r2", workflowId: null }, { target: t, logger: silentLogger })).toBe("ignored");
    expect(await handleWorkflowCommand({ ...base, type: "run.resume", runId: "missing", workflowId: null }, { target: t, logger: silentLogger })).toBe("unknown-run");
  });

  it("maps employee.onboard to onboarding with a run id from the event id, and ignores unmapped types", async () => {
    const { target: t, calls } = target({});
    const event = { eventId: "e-1", type: "employee.onboard" as const, orgId: "o", employeeId: "emp", data: { name: "Ada" }, correlationId: "corr-e", time: new Date() };
    await handleLifecycleEvent(event, { startRun: t.startRun, logger: silentLogger });
    await handleLifecycleEvent({ ...event, type: "employee.exit" }, { startRun: t.startRun, logger: silentLogger });
    expect(calls).toEqual([`start:employee-onboarding:${runIdFor("lifecycle", "e-1")}:corr-e`]);
  });
});
