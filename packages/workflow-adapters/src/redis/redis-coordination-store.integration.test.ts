import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisCoordinationStore } from "./redis-coordination-store.ts";

// NOTE: the same variable and default as apps/worker's env.ts.
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describe("RedisCoordinationStore (real Redis)", () => {
  let redis: Redis;
  let store: RedisCoordinationStore;
  const keyPrefix = `test:wf:${randomUUID()}:`;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    store = new RedisCoordinationStore(redis, { keyPrefix, joinTtlSeconds: 60, tokenCounterTtlSeconds: 60 });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it("counts 50 concurrent duplicate and mixed arrivals exactly once each", async () => {
    const runId = randomUUID();
    const arrivals = Array.from({ length: 50 }, (_, i) => {
      const predecessor = `p${i % 5}`;
      // p0..p2 complete, p3..p4 are skipped; every arrival is sent 10 times.
      return store.recordJoinArrival(runId, "join", predecessor, i % 5 < 3 ? "completed" : "skipped");
    });
    const results = await Promise.all(arrivals);
    const final = await store.recordJoinArrival(runId, "join", "p0", "completed");
    expect(final).toEqual({ completed: ["p0", "p1", "p2"], skipped: ["p3", "p4"] });
    // Atomic add-and-read: every reply contains its own arrival and nothing unknown.
    for (const [i, result] of results.entries()) {
      const predecessor = `p${i % 5}`;
      expect([...result.completed, ...result.skipped]).toContain(predecessor);
      expect(result.completed.length + result.skipped.length).toBeLessThanOrEqual(5);
    }
    expect(await redis.ttl(`${keyPrefix}join:{${runId}}:join:completed`)).toBeGreaterThan(0);
  });

  it("never makes an `all` join look complete early under duplicate arrivals", async () => {
    const runId = randomUUID();
    const predecessors = ["a", "b", "c"];
    // a and b arrive 20 times each, concurrently; c has not arrived yet.
    const early = await Promise.all(
      Array.from({ length: 40 }, (_, i) => store.recordJoinArrival(runId, "fanIn", i % 2 === 0 ? "a" : "b", "completed")),
    );
    for (const result of early) expect(result.completed.length).toBeLessThan(predecessors.length);
    const last = await store.recordJoinArrival(runId, "fanIn", "c", "skipped");
    expect(last).toEqual({ completed: ["a", "b"], skipped: ["c"] });
    // A late duplicate of another outcome does not move or double-count c.
    expect(await store.recordJoinArrival(runId, "fanIn", "c", "completed")).toEqual(last);
  });

  it("claimOnce is true for exactly one of 50 concurrent callers", async () => {
    const key = `join-fired:${randomUUID()}`;
    const claims = await Promise.all(Array.from({ length: 50 }, () => store.claimOnce(key, 30)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimOnce(key, 30)).toBe(false);
  });

  it("grants a lease to one of many concurrent acquirers", async () => {
    const key = `run:${randomUUID()}`;
    const leases = await Promise.all(Array.from({ length: 20 }, () => store.acquireLease(key, 5_000)));
    expect(leases.filter((lease) => lease !== undefined)).toHaveLength(1);
  });

  it("fences a stale lease holder out after expiry and gives the new holder a larger token", async () => {
    const key = `run:${randomUUID()}`;
    const stale = await store.acquireLease(key, 100);
    expect(stale).toBeDefined();
    expect(await store.acquireLease(key, 100)).toBeUndefined();
    expect(await store.renewLease(stale!, 100)).toBe(true);

    await waitUntil(async () => (await redis.exists(`${keyPrefix}lease:{${key}}`)) === 0);
    const fresh = await store.acquireLease(key, 5_000);
    expect(fresh).toBeDefined();
    expect(fresh!.fencingToken).toBeGreaterThan(stale!.fencingToken);

    expect(await store.renewLease(stale!, 5_000)).toBe(false);
    await store.releaseLease(stale!);
    // The stale release left the new holder's lease in place.
    expect(await store.acquireLease(key, 5_000)).toBeUndefined();
    expect(await store.renewLease(fresh!, 5_000)).toBe(true);

    await store.releaseLease(fresh!);
    const next = await store.acquireLease(key, 5_000);
    expect(next!.fencingToken).toBeGreaterThan(fresh!.fencingToken);
  });

  it("keeps tokens growing after the token counter is lost (Redis keeps nothing on disk)", async () => {
    const key = `run:${randomUUID()}`;
    const first = await store.acquireLease(key, 5_000);
    await store.releaseLease(first!);
    await redis.del(`${keyPrefix}lease-token:{${key}}`);
    const second = await store.acquireLease(key, 5_000);
    expect(second!.fencingToken).toBeGreaterThan(first!.fencingToken);
    expect(Number.isSafeInteger(second!.fencingToken)).toBe(true);
  });

  it("lets a refused priority caller in before plain callers", async () => {
    const key = `run:${randomUUID()}`;
    const held = await store.acquireLease(key, 5_000);
    expect(await store.acquireLease(key, 5_000, { priority: true })).toBeUndefined();
    await store.releaseLease(held!);
    // The lease is free, but a priority caller is waiting: plain callers stay out.
    expect(await store.acquireLease(key, 5_000)).toBeUndefined();
    const priority = await store.acquireLease(key, 5_000, { priority: true });
    expect(priority).toBeDefined();
    await store.releaseLease(priority!);
    // Granted: the wait is over.
    expect(await store.acquireLease(key, 5_000)).toBeDefined();
  });
});

/** Polls `probe` every 20 ms until it is true, failing after `timeoutMs`. */
async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
