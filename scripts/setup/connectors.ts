import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { HttpError, httpJson } from "./http.ts";
import { FatalSetupError, waitFor } from "./wait-for.ts";

const connectorFileSchema = z.object({
  name: z.string().min(1),
  config: z.record(z.string(), z.string()),
});
export type ConnectorDefinition = z.infer<typeof connectorFileSchema>;

/**
 * Reads `kafka/connect/*.json` and fills `${NAME}` placeholders from `values`,
 * so the same files serve the native stack and docker-compose.
 */
export function loadConnectorDefinitions(folder: string, values: Record<string, string>): ConnectorDefinition[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => {
      const text = readFileSync(join(folder, file), "utf8").replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
        const value = values[name];
        if (value === undefined) throw new Error(`${file}: no value for placeholder \${${name}}`);
        return value;
      });
      return connectorFileSchema.parse(JSON.parse(text));
    });
}

interface ConnectorStatus {
  connector: { state: string; trace?: string };
  tasks: { id: number; state: string; trace?: string }[];
}

/**
 * Creates or updates each connector, only when its config differs (an unchanged
 * PUT would restart its tasks), then waits until it and all its tasks are RUNNING.
 */
export async function ensureConnectors(connectUrl: string, definitions: ConnectorDefinition[], timeoutMs: number): Promise<void> {
  for (const def of definitions) {
    const base = `${connectUrl}/connectors/${encodeURIComponent(def.name)}`;
    const desired = { ...def.config, name: def.name };
    let current: Record<string, string> | undefined;
    try {
      current = await httpJson<Record<string, string>>("GET", `${base}/config`);
    } catch (error) {
      if (!(error instanceof HttpError && error.status === 404)) throw error;
    }
    if (current && sameConfig(current, desired)) {
      console.log(`  connector ${def.name}: unchanged`);
    } else {
      await httpJson("PUT", `${base}/config`, desired);
      console.log(`  connector ${def.name}: ${current ? "updated" : "created"}`);
    }
    await waitFor(`connector ${def.name} RUNNING`, () => isRunning(base), timeoutMs);
  }
}

function sameConfig(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

async function isRunning(base: string): Promise<boolean> {
  let status: ConnectorStatus;
  try {
    status = await httpJson<ConnectorStatus>("GET", `${base}/status`);
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) return false;
    throw error;
  }
  const failed = [status.connector, ...status.tasks].find((s) => s.state === "FAILED");
  if (failed) {
    // A failed connector does not recover by waiting: stop now with its trace.
    throw new FatalSetupError(`connector failed: ${failed.trace?.split("\n").slice(0, 8).join("\n") ?? "no trace"}`);
  }
  return status.connector.state === "RUNNING" && status.tasks.length > 0 && status.tasks.every((t) => t.state === "RUNNING");
}
