import { randomUUID } from "node:crypto";
import type cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestCassandra, uniqueEmail } from "../testing/services";
import { SessionStore } from "./session-store";
import { hashSessionToken, newSessionToken } from "./session-token";

let client: cassandra.Client;
let sessions: SessionStore;

beforeAll(async () => {
  client = await connectTestCassandra();
  sessions = new SessionStore(client);
});

afterAll(async () => {
  await client?.shutdown();
});

async function storedRow(token: string) {
  const result = await client.execute("SELECT token_hash, user_id, email, TTL(email) AS ttl FROM taskflow.sessions WHERE token_hash = ?", [hashSessionToken(token)], {
    prepare: true,
  });
  return result.first() ?? undefined;
}

describe("SessionStore (taskflow.sessions)", () => {
  it("opens a session whose token finds the user, and stores only the token's hash, with the TTL", async () => {
    const userId = randomUUID();
    const email = uniqueEmail("session");
    const token = await sessions.create({ userId, email, ttlSeconds: 3600 });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await expect(sessions.find(token)).resolves.toEqual({ userId, email });
    const row = await storedRow(token);
    expect(row?.get("token_hash")).toBe(hashSessionToken(token));
    expect(row?.get("ttl")).toBeGreaterThan(3500);
    expect(row?.get("ttl")).toBeLessThanOrEqual(3600);
    // The token itself is nowhere in the row.
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it("revokes a session: its token stops working at once, others of the same user keep working", async () => {
    const userId = randomUUID();
    const email = uniqueEmail("revoke");
    const laptop = await sessions.create({ userId, email, ttlSeconds: 3600 });
    const phone = await sessions.create({ userId, email, ttlSeconds: 3600 });
    await sessions.revoke(laptop);
    await expect(sessions.find(laptop)).resolves.toBeUndefined();
    await expect(sessions.find(phone)).resolves.toEqual({ userId, email });
  });

  it("expires a session with its TTL", async () => {
    const token = await sessions.create({ userId: randomUUID(), email: uniqueEmail("ttl"), ttlSeconds: 1 });
    await expect(sessions.find(token)).resolves.toBeDefined();
    const deadline = Date.now() + 5_000;
    while ((await sessions.find(token)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(sessions.find(token)).resolves.toBeUndefined();
  });

  it("finds nothing for an unknown or malformed token, and revoking one is harmless", async () => {
    await expect(sessions.find(newSessionToken())).resolves.toBeUndefined();
    await expect(sessions.find("' OR 1=1")).resolves.toBeUndefined();
    await expect(sessions.revoke(newSessionToken())).resolves.toBeUndefined();
  });
});
