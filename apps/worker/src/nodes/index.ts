import { readFileSync } from "node:fs";
import { NodeRegistry, parseBlueprint, type Blueprint } from "@taskflow/workflow";
import type { EffectRecorder } from "./effects.ts";
import { moderationNodes } from "./moderation.ts";
import { onboardingNodes } from "./onboarding.ts";

export type { EffectRecorder } from "./effects.ts";

/** Every node implementation this worker runs. */
export function workerRegistry(effects: EffectRecorder): NodeRegistry {
  return new NodeRegistry({ ...onboardingNodes(effects), ...moderationNodes(effects) });
}

/** The example blueprints shipped with @taskflow/workflow, by id. */
export const EXAMPLE_BLUEPRINT_IDS = ["employee-onboarding", "content-moderation"] as const;
export type ExampleBlueprintId = (typeof EXAMPLE_BLUEPRINT_IDS)[number];

export function loadExampleBlueprint(id: ExampleBlueprintId): Blueprint {
  const url = new URL(`../../../../packages/workflow/blueprints/${id}.json`, import.meta.url);
  return parseBlueprint(JSON.parse(readFileSync(url, "utf8")));
}
