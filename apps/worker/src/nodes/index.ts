import { readFileSync } from "node:fs";
import { NodeRegistry, parseBlueprint, type Blueprint, type NodeImplementation } from "@taskflow/workflow";
import type { EffectRecorder } from "./effects.ts";
import { moderationNodes } from "./moderation.ts";
import { offboardingNodes } from "./offboarding.ts";
import { onboardingNodes } from "./onboarding.ts";
import { profileUpdateNodes } from "./profile-update.ts";
import { transferNodes } from "./transfer.ts";

export type { EffectRecorder } from "./effects.ts";

/** Every node implementation this worker runs. */
export function workerRegistry(effects: EffectRecorder): NodeRegistry {
  const registry = new NodeRegistry();
  const groups: Record<string, NodeImplementation>[] = [
    onboardingNodes(effects),
    moderationNodes(effects),
    offboardingNodes(effects),
    transferNodes(effects),
    profileUpdateNodes(effects),
  ];
  // NOTE: register one by one (not one spread object) so two groups claiming the same `uses` is an error.
  for (const group of groups) for (const [uses, implementation] of Object.entries(group)) registry.register(uses, implementation);
  return registry;
}

/** The example blueprints shipped with @taskflow/workflow, by id. */
export const EXAMPLE_BLUEPRINT_IDS = ["employee-onboarding", "content-moderation", "employee-offboarding", "employee-transfer", "employee-update"] as const;
export type ExampleBlueprintId = (typeof EXAMPLE_BLUEPRINT_IDS)[number];

/** A blueprint id the worker does not ship. */
export class UnknownBlueprintError extends Error {
  constructor(readonly blueprintId: string) {
    super(`unknown blueprint id "${blueprintId}"; this worker runs: ${EXAMPLE_BLUEPRINT_IDS.join(", ")}`);
    this.name = "UnknownBlueprintError";
  }
}

export function loadExampleBlueprint(id: ExampleBlueprintId): Blueprint {
  // NOTE: checked at run time too: ids also arrive from messages and other callers' strings.
  if (!EXAMPLE_BLUEPRINT_IDS.includes(id)) throw new UnknownBlueprintError(id);
  const url = new URL(`../../../../packages/workflow/blueprints/${id}.json`, import.meta.url);
  return parseBlueprint(JSON.parse(readFileSync(url, "utf8")));
}
