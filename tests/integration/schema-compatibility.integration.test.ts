import { describe, expect, it } from "vitest";
import { loadAvroSchema, topicByKey, valueSubject } from "@taskflow/events";
import { services } from "../support/services.ts";

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
const subject = valueSubject(topicByKey("interactions").name);

async function versions(): Promise<number[]> {
  const response = await fetch(`${services.registryUrl}/subjects/${subject}/versions`);
  expect(response.status).toBe(200);
  return (await response.json()) as number[];
}

describe("schema registry compatibility for InteractionEvent", () => {
  it("refuses a breaking change with 409 and keeps the versions as they were", async () => {
    const before = await versions();
    const current = JSON.parse(loadAvroSchema("interaction-event.avsc").canonical) as { fields: unknown[] };
    // A new field without a default cannot be read from old records: not BACKWARD compatible.
    const breaking = { ...current, fields: [...current.fields, { name: "tenant", type: "string" }] };
    const response = await fetch(`${services.registryUrl}/subjects/${subject}/versions`, {
      method: "POST",
      headers: { "content-type": CONTENT_TYPE },
      body: JSON.stringify({ schema: JSON.stringify(breaking) }),
    });
    expect(response.status).toBe(409);
    expect(await response.text()).toContain("tenant");
    expect(await versions()).toEqual(before);
  });

  it("reports a field added with a default as compatible without registering it", async () => {
    const current = JSON.parse(loadAvroSchema("interaction-event.avsc").canonical) as { fields: unknown[] };
    const compatible = {
      ...current,
      fields: [...current.fields, { name: "tenant", type: "string", default: "default" }],
    };
    const response = await fetch(`${services.registryUrl}/compatibility/subjects/${subject}/versions/latest`, {
      method: "POST",
      headers: { "content-type": CONTENT_TYPE },
      body: JSON.stringify({ schema: JSON.stringify(compatible) }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { is_compatible: boolean }).is_compatible).toBe(true);
  });
});
