import type cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestCassandra, uniqueEmail } from "../testing/services";
import { UserStore } from "./user-store";

let client: cassandra.Client;
let users: UserStore;

beforeAll(async () => {
  client = await connectTestCassandra();
  users = new UserStore(client);
});

afterAll(async () => {
  await client?.shutdown();
});

describe("UserStore (taskflow.users_by_email)", () => {
  it("creates an account and finds it by e-mail", async () => {
    const email = uniqueEmail("store");
    const result = await users.create({ email, passwordHash: "scrypt$1024$8$1$c2FsdA==$a2V5" });
    expect(result).toEqual({ created: true, user: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), email } });
    const found = await users.findByEmail(email);
    expect(found).toEqual({ id: result.created && result.user.id, email, passwordHash: "scrypt$1024$8$1$c2FsdA==$a2V5" });
  });

  it("refuses a second account with the same e-mail and keeps the first one's password", async () => {
    const email = uniqueEmail("dup");
    await users.create({ email, passwordHash: "first" });
    await expect(users.create({ email, passwordHash: "second" })).resolves.toEqual({ created: false, reason: "email-taken" });
    expect((await users.findByEmail(email))?.passwordHash).toBe("first");
  });

  it("lets exactly one of many concurrent registrations of one e-mail win (LWT)", async () => {
    const email = uniqueEmail("race");
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => users.create({ email, passwordHash: `hash-${i}` })));
    const winners = results.filter((result) => result.created);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect((await users.findByEmail(email))?.id).toBe(winner.created && winner.user.id);
  });

  it("finds nothing for an unknown e-mail", async () => {
    await expect(users.findByEmail(uniqueEmail("nobody"))).resolves.toBeUndefined();
  });
});
