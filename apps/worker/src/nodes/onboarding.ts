import type { NodeImplementation } from "@taskflow/workflow";
import { objectInput, recordNodeEffect, type EffectRecorder } from "./effects.ts";

/**
 * Deterministic implementations of the employee-onboarding blueprint's nodes
 * (packages/workflow/blueprints/employee-onboarding.json). Each records one effect.
 */
export function onboardingNodes(effects: EffectRecorder): Record<string, NodeImplementation> {
  const provisionIdentity: NodeImplementation = async (ctx) => {
    const input = objectInput(ctx.input);
    const employeeId = String(input.employeeId ?? ctx.runId);
    const email = typeof input.email === "string" ? input.email : `${employeeId}@example.com`;
    const identity = { userId: `user-${employeeId}`, email, name: input.name ?? null };
    await recordNodeEffect(effects, ctx, "identity-provisioned", identity);
    return { output: identity };
  };
  const sendWelcomeEmail: NodeImplementation = async (ctx) => {
    const to = typeof ctx.input === "string" ? ctx.input : String(objectInput(ctx.input).email ?? "");
    await recordNodeEffect(effects, ctx, "email-sent", { to, template: ctx.params.template ?? "welcome" });
    return { output: { sentTo: to } };
  };
  const scheduleOrientation: NodeImplementation = async (ctx) => {
    const event = { title: ctx.params.title ?? "Orientation", attendee: objectInput(ctx.input).userId ?? null };
    await recordNodeEffect(effects, ctx, "calendar-event-created", event);
    return { output: event };
  };
  const createChatAccount: NodeImplementation = async (ctx) => {
    const account = { handle: `@${String(objectInput(ctx.input).userId ?? ctx.runId)}` };
    await recordNodeEffect(effects, ctx, "chat-account-created", account);
    return { output: account };
  };
  /** The fan-in node: no effect, hands its predecessors' outputs on. */
  const join: NodeImplementation = async (ctx) => ({ output: ctx.input });
  const notifyManager: NodeImplementation = async (ctx) => {
    await recordNodeEffect(effects, ctx, "manager-notified", { steps: Object.keys(objectInput(ctx.input)).sort() });
    return { output: { notified: true } };
  };
  return {
    "provision-identity": provisionIdentity,
    "send-email": sendWelcomeEmail,
    "schedule-calendar-event": scheduleOrientation,
    "create-chat-account": createChatAccount,
    join,
    "notify-manager": notifyManager,
  };
}
