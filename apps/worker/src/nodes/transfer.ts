import type { NodeImplementation } from "@taskflow/workflow";
import { objectInput, recordNodeEffect, type EffectRecorder } from "./effects.ts";

/** The `update-org-chart` node's actions: the blueprint's edges branch on them. */
export const TRANSFER_ACTIONS = ["same-department", "new-department"] as const;
export type TransferAction = (typeof TRANSFER_ACTIONS)[number];

/** A transfer as `update-org-chart` hands it to the branch it picks. */
export interface Transfer {
  employeeId: string;
  fromDepartment: string | null;
  toDepartment: string | null;
  fromTeam: string | null;
  toTeam: string | null;
  fromManagerId: string | null;
  toManagerId: string | null;
}

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/**
 * A transfer from the lifecycle event's data (`{ employeeId, fromDepartment?, toDepartment?,
 * fromTeam?, toTeam?, fromManagerId?, toManagerId? }`).
 */
export function transferOf(input: unknown, runId: string): Transfer {
  const data = objectInput(input);
  return {
    employeeId: text(data.employeeId) ?? runId,
    fromDepartment: text(data.fromDepartment),
    toDepartment: text(data.toDepartment),
    fromTeam: text(data.fromTeam),
    toTeam: text(data.toTeam),
    fromManagerId: text(data.fromManagerId),
    toManagerId: text(data.toManagerId),
  };
}

/** `same-department` unless the transfer names a different department to move to. */
export function transferAction(transfer: Transfer): TransferAction {
  return transfer.toDepartment === null || transfer.toDepartment === transfer.fromDepartment ? "same-department" : "new-department";
}

/**
 * Deterministic implementations of the employee-transfer blueprint's nodes
 * (packages/workflow/blueprints/employee-transfer.json). `update-org-chart` returns the
 * action the edges branch on; the branch not taken is skipped and `notify-managers`
 * (an `any` join) fires on the one that ran. Each records one effect.
 */
export function transferNodes(effects: EffectRecorder): Record<string, NodeImplementation> {
  const updateOrgChart: NodeImplementation = async (ctx) => {
    const transfer = transferOf(ctx.input, ctx.runId);
    const action = transferAction(transfer);
    await recordNodeEffect(effects, ctx, "org-chart-updated", {
      employeeId: transfer.employeeId,
      department: transfer.toDepartment ?? transfer.fromDepartment,
      team: transfer.toTeam ?? transfer.fromTeam,
      managerId: transfer.toManagerId ?? transfer.fromManagerId,
      action,
    });
    return { output: transfer, action };
  };
  const updateAccessGroups: NodeImplementation = async (ctx) => {
    const transfer = transferOf(ctx.input, ctx.runId);
    const groups = {
      add: transfer.toTeam ? [`team:${transfer.toTeam}`] : [],
      remove: transfer.fromTeam && transfer.fromTeam !== transfer.toTeam ? [`team:${transfer.fromTeam}`] : [],
    };
    await recordNodeEffect(effects, ctx, "access-groups-updated", { employeeId: transfer.employeeId, ...groups });
    return { output: { ...transfer, accessGroups: groups } };
  };
  const moveToNewTeam: NodeImplementation = async (ctx) => {
    const transfer = transferOf(ctx.input, ctx.runId);
    // NOTE: a new department replaces every department-scoped grant, not just the team's.
    const grants = (department: string | null, team: string | null) => [...(department ? [`dept:${department}`] : []), ...(team ? [`team:${team}`] : [])];
    const accessGroups = { add: grants(transfer.toDepartment, transfer.toTeam), remove: grants(transfer.fromDepartment, transfer.fromTeam) };
    await recordNodeEffect(effects, ctx, "team-moved", { employeeId: transfer.employeeId, department: transfer.toDepartment, team: transfer.toTeam, accessGroups: accessGroups.add });
    return { output: { ...transfer, accessGroups } };
  };
  const notifyManagers: NodeImplementation = async (ctx) => {
    const transfer = transferOf(ctx.input, ctx.runId);
    const managers = [...new Set([transfer.fromManagerId, transfer.toManagerId].filter((id): id is string => id !== null))];
    await recordNodeEffect(effects, ctx, "managers-notified", { employeeId: transfer.employeeId, managers, action: transferAction(transfer) });
    return { output: { notified: managers } };
  };
  return {
    "update-org-chart": updateOrgChart,
    "update-access-groups": updateAccessGroups,
    "move-to-new-team": moveToNewTeam,
    "notify-managers": notifyManagers,
  };
}
