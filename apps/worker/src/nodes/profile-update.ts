import type { NodeImplementation } from "@taskflow/workflow";
import { z } from "zod";
import { objectInput, recordNodeEffect, type EffectRecorder } from "./effects.ts";

const profileValue = z.string().trim().min(1).max(200).optional();

/** Profile fields an employee.update may change (the directory mirrors all of them). */
const profileFieldsSchema = z
  .object({ name: profileValue, preferredName: profileValue, title: profileValue, phone: profileValue, location: profileValue })
  // NOTE: strict, so a field the directory does not know is rejected, not silently dropped.
  .strict();
export const PROFILE_FIELDS = Object.keys(profileFieldsSchema.shape);

/**
 * What an employee.update's data must hold. `simulate` injects deterministic faults so
 * demos and tests can watch the retry and the fallback: the profile store refuses the
 * first `profileStoreBusyAttempts` attempts, and the directory is down for every attempt
 * when `directoryUnavailable`.
 */
export const profileChangeSchema = z.object({
  employeeId: z.string().min(1),
  changes: profileFieldsSchema.refine((changes) => Object.keys(changes).length > 0, "changes must name at least one field"),
  simulate: z
    .object({ profileStoreBusyAttempts: z.number().int().min(0).max(10).optional(), directoryUnavailable: z.boolean().optional() })
    .strict()
    .optional(),
});
export type ProfileChange = z.infer<typeof profileChangeSchema>;

/** A change that can never apply: the engine fails the node at once, without retries. */
export class InvalidProfileChangeError extends Error {
  /** Read by the engine: a non-retryable failure skips the remaining attempts. */
  readonly retryable = false;

  constructor(readonly problems: readonly string[]) {
    super(`invalid profile change: ${problems.join("; ")}`);
    this.name = "InvalidProfileChangeError";
  }
}

/** A failure worth retrying (the profile store or directory did not answer). */
export class TransientDependencyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransientDependencyError";
  }
}

/**
 * Validates an employee.update's data.
 * @throws InvalidProfileChangeError naming every problem.
 */
export function parseProfileChange(input: unknown): ProfileChange {
  const result = profileChangeSchema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidProfileChangeError(result.error.issues.map((issue) => `${issue.path.join(".") || "input"}: ${issue.message}`));
}

/**
 * The validated change as later nodes receive it. TRICKY: it was validated by the first
 * node; a later node re-reads it leniently and never fails on shape.
 */
function changeOf(input: unknown): { employeeId: string; fields: string[]; changes: Record<string, unknown>; simulate: Record<string, unknown> } {
  const data = objectInput(input);
  const changes = objectInput(data.changes);
  return { employeeId: String(data.employeeId ?? ""), fields: Object.keys(changes).sort(), changes, simulate: objectInput(data.simulate) };
}

/**
 * Deterministic implementations of the employee-update blueprint's nodes
 * (packages/workflow/blueprints/employee-update.json). `validate-profile-change` only
 * checks (no effect) and fails for good on bad data; `apply-profile-update` is retried
 * (the blueprint's maxRetries/retryDelay); a failing `sync-directory` is replaced by
 * `queue-directory-sync` (its fallback), whose result `notify-employee` then receives.
 * Every other node records one effect, written once whatever the attempt.
 */
export function profileUpdateNodes(effects: EffectRecorder): Record<string, NodeImplementation> {
  const validateProfileChange: NodeImplementation = async (ctx) => ({ output: parseProfileChange(ctx.input) });
  const applyProfileUpdate: NodeImplementation = async (ctx) => {
    const change = changeOf(ctx.input);
    const busyAttempts = typeof change.simulate.profileStoreBusyAttempts === "number" ? change.simulate.profileStoreBusyAttempts : 0;
    if (ctx.attempt <= busyAttempts) throw new TransientDependencyError(`profile store busy (attempt ${ctx.attempt})`);
    await recordNodeEffect(effects, ctx, "profile-updated", { employeeId: change.employeeId, changes: change.changes });
    return { output: { employeeId: change.employeeId, changes: change.changes, simulate: change.simulate } };
  };
  const syncDirectory: NodeImplementation = async (ctx) => {
    const change = changeOf(ctx.input);
    if (change.simulate.directoryUnavailable === true) throw new TransientDependencyError("directory unavailable");
    await recordNodeEffect(effects, ctx, "directory-synced", { employeeId: change.employeeId, fields: change.fields });
    return { output: { employeeId: change.employeeId, fields: change.fields, directory: "synced" } };
  };
  const queueDirectorySync: NodeImplementation = async (ctx) => {
    const change = changeOf(ctx.input);
    await recordNodeEffect(effects, ctx, "directory-sync-queued", { employeeId: change.employeeId, fields: change.fields });
    return { output: { employeeId: change.employeeId, fields: change.fields, directory: "queued" } };
  };
  const notifyEmployee: NodeImplementation = async (ctx) => {
    const result = objectInput(ctx.input);
    const notice = { employeeId: result.employeeId ?? null, template: ctx.params.template ?? "profile-updated", directory: result.directory ?? null };
    await recordNodeEffect(effects, ctx, "employee-notified", notice);
    return { output: notice };
  };
  return {
    "validate-profile-change": validateProfileChange,
    "apply-profile-update": applyProfileUpdate,
    "sync-directory": syncDirectory,
    "queue-directory-sync": queueDirectorySync,
    "notify-employee": notifyEmployee,
  };
}
