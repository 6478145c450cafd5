import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { CoordinationStore, Lease } from "@taskflow/workflow";

/** Options for {@link RedisCoordinationStore}. */
export interface RedisCoordinationStoreOptions {
  /** Prepended to every key, e.g. `taskflow:wf:`; tests pass a unique one to stay isolated. */
  keyPrefix?: string;
  /** How long a join's arrival sets live after their last write, so finished runs don't leak. Default 7 days. */
  joinTtlSeconds?: number;
  /**
   * How long a lease's token counter lives after its last grant. When it expires the next
   * grant re-seeds it from the clock, so tokens still only grow. Default 7 days.
   */
  tokenCounterTtlSeconds?: number;
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * KEYS: completed set, skipped set. ARGV: predecessor, outcome, ttl seconds.
 * CRITICAL: one script, so the add and the read are atomic: two arrivals racing on the
 * same join each see a set that includes themselves, and the last one sees every arrival.
 * A predecessor already recorded under the other outcome keeps its first outcome, so one
 * predecessor is never counted twice.
 */
const RECORD_JOIN_ARRIVAL = `
local target = ARGV[2] == 'completed' and KEYS[1] or KEYS[2]
local other = ARGV[2] == 'completed' and KEYS[2] or KEYS[1]
if redis.call('SISMEMBER', other, ARGV[1]) == 0 then
  redis.call('SADD', target, ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return { redis.call('SMEMBERS', KEYS[1]), redis.call('SMEMBERS', KEYS[2]) }
`;

/**
 * KEYS: lease key, token counter key, priority-wait key. ARGV: ttl ms, counter ttl
 * seconds, priority ('1' or '0'), priority-wait ttl ms.
 * Grants only if the lease key is absent (PX expiry removes an expired lease) and, for a
 * plain caller, no priority caller is waiting. A refused priority caller marks itself
 * waiting (for ARGV[4] ms, refreshed by every retry); its grant clears the mark. The
 * token is INCR of a per-key counter; a missing counter is seeded from the server clock in
 * microseconds, so tokens keep growing even after Redis restarted empty (it keeps nothing
 * on disk) or the counter expired — fencing in the run store relies on that.
 */
const ACQUIRE_LEASE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  if ARGV[3] == '1' then
    redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
  end
  return false
end
if ARGV[3] ~= '1' and redis.call('EXISTS', KEYS[3]) == 1 then
  return false
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[2], now[1] .. string.format('%06d', tonumber(now[2])))
end
local token = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[3])
end
return token
`;

/** How long a refused priority caller keeps plain callers out without asking again. */
const PRIORITY_WAIT_TTL_MS = 1_000;

/** KEYS: lease key. ARGV: token, ttl ms. Extends the lease only while it still holds this token. */
const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** KEYS: lease key. ARGV: token. Deletes the lease only while it still holds this token. */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** A Lua script run by SHA, loaded on first use (or after a Redis restart flushed the script cache). */
class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * {@link CoordinationStore} on Redis: atomic join bookkeeping, one-shot claims and
 * leases with fencing tokens. The caller owns the ioredis client (connect and quit).
 *
 * Keys put the run id in a hash tag (`{runId}`) so a join's two sets share a cluster slot.
 */
export class RedisCoordinationStore implements CoordinationStore {
  private readonly keyPrefix: string;
  private readonly joinTtlSeconds: number;
  private readonly tokenCounterTtlSeconds: number;
  private readonly recordJoinArrivalScript = new LuaScript(RECORD_JOIN_ARRIVAL);
  private readonly acquireLeaseScript = new LuaScript(ACQUIRE_LEASE);
  private readonly renewLeaseScript = new LuaScript(RENEW_LEASE);
  private readonly releaseLeaseScript = new LuaScript(RELEASE_LEASE);

  constructor(
    private readonly redis: Redis,
    options: RedisCoordinationStoreOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? "taskflow:workflow:";
    this.joinTtlSeconds = options.joinTtlSeconds ?? 7 * DAY_SECONDS;
    this.tokenCounterTtlSeconds = options.tokenCounterTtlSeconds ?? 7 * DAY_SECONDS;
  }

  /** Records an arrival at a join and returns, atomically, every arrival so far. Idempotent. */
  async recordJoinArrival(
    runId: string,
    nodeId: string,
    predecessorId: string,
    outcome: "completed" | "skipped",
  ): Promise<{ completed: string[]; skipped: string[] }> {
    const base = `${this.keyPrefix}join:{${runId}}:${nodeId}`;
    const reply = await this.recordJoinArrivalScript.run(
      this.redis,
      [`${base}:completed`, `${base}:skipped`],
      [predecessorId, outcome, this.joinTtlSeconds],
    );
    const [completed, skipped] = reply as [string[], string[]];
    // NOTE: sorted so callers (and tests) see the same order whatever Redis' set encoding.
    return { completed: [...completed].sort(), skipped: [...skipped].sort() };
  }

  /** `true` only for the first caller of `key` within `ttlSeconds` (SET NX EX). */
  async claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
    const reply = await this.redis.set(`${this.keyPrefix}once:${key}`, "1", "EX", ttlSeconds, "NX");
    return reply === "OK";
  }

  /**
   * Grants the lease if free or expired, with a fencing token larger than any earlier grant
   * of `key`. A refused `priority` caller keeps plain callers out until it is granted (see
   * ACQUIRE_LEASE).
   */
  async acquireLease(key: string, ttlMs: number, options: { priority?: boolean } = {}): Promise<Lease | undefined> {
    // NOTE: expiresAt is measured from before the call, so the holder never believes it
    // holds the lease longer than Redis does.
    const requestedAt = Date.now();
    const token = await this.acquireLeaseScript.run(
      this.redis,
      [this.leaseKey(key), this.tokenCounterKey(key), this.priorityWaitKey(key)],
      [ttlMs, this.tokenCounterTtlSeconds, options.priority ? "1" : "0", PRIORITY_WAIT_TTL_MS],
    );
    if (token === null) return undefined;
    return { key, fencingToken: Number(token), expiresAt: new Date(requestedAt + ttlMs) };
  }

  /** Extends the lease by `ttlMs` (and updates `lease.expiresAt`) if it is still held with this token; `false` if it was lost. */
  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const requestedAt = Date.now();
    const renewed = await this.renewLeaseScript.run(this.redis, [this.leaseKey(lease.key)], [String(lease.fencingToken), ttlMs]);
    if (renewed !== 1) return false;
    lease.expiresAt = new Date(requestedAt + ttlMs);
    return true;
  }

  /** Releases the lease if it is still held with this token; otherwise leaves the new holder alone. */
  async releaseLease(lease: Lease): Promise<void> {
    await this.releaseLeaseScript.run(this.redis, [this.leaseKey(lease.key)], [String(lease.fencingToken)]);
  }

  private leaseKey(key: string): string {
    return `${this.keyPrefix}lease:{${key}}`;
  }

  private priorityWaitKey(key: string): string {
    return `${this.keyPrefix}lease-priority:{${key}}`;
  }

  private tokenCounterKey(key: string): string {
    return `${this.keyPrefix}lease-token:{${key}}`;
  }
}
