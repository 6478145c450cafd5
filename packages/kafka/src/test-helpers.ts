import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for the Confluent-compatible registry API, just the two calls the
 * client makes: look up an id by schema text, and fetch a schema by id. It lets
 * unit tests run the real `@kafkajs/confluent-schema-registry` client without a registry.
 */
export interface FakeRegistry {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeRegistry(subjects: Record<string, { id: number; schema: string }>): Promise<FakeRegistry> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      requests.push(`${req.method} ${req.url}`);
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/vnd.schemaregistry.v1+json" });
        res.end(JSON.stringify(payload));
      };
      const lookup = /^\/subjects\/([^/]+)$/.exec(req.url ?? "");
      if (req.method === "POST" && lookup) {
        const subject = decodeURIComponent(lookup[1] ?? "");
        const known = subjects[subject];
        if (!known) return reply(404, { error_code: 40401, message: `Subject '${subject}' not found.` });
        const sent = (JSON.parse(body) as { schema: string }).schema;
        if (sent !== known.schema) return reply(404, { error_code: 40403, message: "Schema not found" });
        return reply(200, { subject, id: known.id, version: 1, schema: known.schema });
      }
      const byId = /^\/schemas\/ids\/(\d+)$/.exec(req.url ?? "");
      if (req.method === "GET" && byId) {
        const found = Object.values(subjects).find((s) => s.id === Number(byId[1]));
        return found ? reply(200, { schema: found.schema }) : reply(404, { error_code: 40403, message: "Schema not found" });
      }
      reply(404, { error_code: 404, message: "not found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
