import { loadAvroSchema, valueSubject, type TopicSpec } from "@taskflow/events";
import { HttpError, httpJson } from "./http.ts";

const REGISTRY_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/**
 * Registers each topic's value schema under `<topic>-value` and pins the
 * subject's compatibility to BACKWARD.
 * NOTE: the registry's global rule alone was seen answering NONE (STACK.md), so
 * every subject gets its own setting. Registering an identical schema returns the
 * existing id and adds no version, so a second run changes nothing.
 */
export async function ensureSchemas(registryUrl: string, specs: TopicSpec[], contractsDir: string): Promise<void> {
  for (const spec of specs) {
    if (!spec.valueSchema) continue;
    const subject = valueSubject(spec.name);
    const schema = loadAvroSchema(spec.valueSchema, contractsDir);
    const base = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
    let registered: { id: number };
    try {
      registered = await httpJson<{ id: number }>("POST", `${base}/versions`, { schema: schema.canonical }, REGISTRY_CONTENT_TYPE);
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        throw new Error(`schema ${spec.valueSchema} is not BACKWARD compatible with ${subject}: ${error.body}`);
      }
      throw error;
    }
    await ensureSubjectCompatibility(registryUrl, subject);
    console.log(`  schema ${subject}: id ${registered.id} (BACKWARD)`);
  }
}

async function ensureSubjectCompatibility(registryUrl: string, subject: string): Promise<void> {
  const url = `${registryUrl}/config/${encodeURIComponent(subject)}`;
  try {
    const current = await httpJson<{ compatibilityLevel?: string; compatibility?: string }>("GET", url);
    if ((current.compatibilityLevel ?? current.compatibility) === "BACKWARD") return;
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 404)) throw error;
  }
  await httpJson("PUT", url, { compatibility: "BACKWARD" }, REGISTRY_CONTENT_TYPE);
}
