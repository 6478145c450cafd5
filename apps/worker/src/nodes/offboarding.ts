import type { NodeImplementation } from "@taskflow/workflow";
import { objectInput, recordNodeEffect, type EffectRecorder } from "./effects.ts";

/** Who is leaving, as `revoke-access` hands it to the parallel steps. */
export interface OffboardingSubject {
  employeeId: string;
  email: string;
  /** ISO date of the last working day, if HR sent one. */
  lastDay: string | null;
  /** Read by the `reclaim-equipment` edge's condition: that branch runs only when `true`. */
  hasEquipment: boolean;
  equipment: string[];
}

/**
 * The subject of an offboarding run from the lifecycle event's data
 * (`{ employeeId, email?, lastDay?, hasEquipment?, equipment?: string[] }`).
 * `hasEquipment` defaults to whether an equipment list was sent.
 */
export function offboardingSubject(input: unknown, runId: string): OffboardingSubject {
  const data = objectInput(input);
  const employeeId = typeof data.employeeId === "string" && data.employeeId !== "" ? data.employeeId : runId;
  const equipment = Array.isArray(data.equipment) ? data.equipment.filter((item): item is string => typeof item === "string") : [];
  return {
    employeeId,
    email: typeof data.email === "string" ? data.email : `${employeeId}@example.com`,
    lastDay: typeof data.lastDay === "string" ? data.lastDay : null,
    hasEquipment: typeof data.hasEquipment === "boolean" ? data.hasEquipment : equipment.length > 0,
    equipment,
  };
}

/**
 * Deterministic implementations of the employee-offboarding blueprint's nodes
 * (packages/workflow/blueprints/employee-offboarding.json). Each records one effect;
 * `notify-hr` is the `all` join and reports which steps ran (a skipped
 * `reclaim-equipment` is absent from its input).
 */
export function offboardingNodes(effects: EffectRecorder): Record<string, NodeImplementation> {
  const revokeAccess: NodeImplementation = async (ctx) => {
    const subject = offboardingSubject(ctx.input, ctx.runId);
    await recordNodeEffect(effects, ctx, "access-revoked", { employeeId: subject.employeeId, sessions: "all", tokens: "all" });
    return { output: subject };
  };
  const disableIdentity: NodeImplementation = async (ctx) => {
    const subject = offboardingSubject(ctx.input, ctx.runId);
    const identity = { userId: `user-${subject.employeeId}`, disabled: true };
    await recordNodeEffect(effects, ctx, "identity-disabled", identity);
    return { output: identity };
  };
  const archiveMailbox: NodeImplementation = async (ctx) => {
    const subject = offboardingSubject(ctx.input, ctx.runId);
    const archive = { mailbox: subject.email, retentionDays: typeof ctx.params.retentionDays === "number" ? ctx.params.retentionDays : 365 };
    await recordNodeEffect(effects, ctx, "mailbox-archived", archive);
    return { output: archive };
  };
  const reclaimEquipment: NodeImplementation = async (ctx) => {
    const subject = offboardingSubject(ctx.input, ctx.runId);
    const request = { employeeId: subject.employeeId, items: subject.equipment };
    await recordNodeEffect(effects, ctx, "equipment-return-requested", request);
    return { output: request };
  };
  const runFinalPayroll: NodeImplementation = async (ctx) => {
    const subject = offboardingSubject(ctx.input, ctx.runId);
    const payroll = { employeeId: subject.employeeId, payrollRunId: `final-${subject.employeeId}`, lastDay: subject.lastDay };
    await recordNodeEffect(effects, ctx, "final-payroll-scheduled", payroll);
    return { output: payroll };
  };
  const notifyHr: NodeImplementation = async (ctx) => {
    const steps = Object.keys(objectInput(ctx.input)).sort();
    const notice = { steps, equipmentReclaimed: steps.includes("reclaim-equipment") };
    await recordNodeEffect(effects, ctx, "hr-notified", notice);
    return { output: notice };
  };
  return {
    "revoke-access": revokeAccess,
    "disable-identity": disableIdentity,
    "archive-mailbox": archiveMailbox,
    "reclaim-equipment": reclaimEquipment,
    "run-final-payroll": runFinalPayroll,
    "notify-hr": notifyHr,
  };
}
