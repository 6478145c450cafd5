import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KafkaSendError } from "../errors.ts";
import { FileOutbox } from "./file-outbox.ts";
import { MemoryOutbox } from "./memory-outbox.ts";
import { OutboxRelay, type OutboxRelayOptions, type RelayPass, type RelayVerdict } from "./relay.ts";

interface Rec {
  n: number;
}

const decode = (value: unknown) =>
  typeof value === "object" && value !== null && typeof (value as Rec).n === "number"
    ? { ok: true as const, record: value as Rec }
    : { ok: false as const, reason: "no n" };

function recordingLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

const relays: OutboxRelay<Rec>[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function startRelay(options: Partial<OutboxRelayOptions<Rec>> & { outbox: OutboxRelayOptions<Rec>["outbox"] }) {
  const passes: RelayPass[] = [];
  const relay = new OutboxRelay<Rec>({
    decode,
    canSend: () => true,
    send: async () => undefined,
    idleMs: 20,
    backoff: { initialMs: 10, maxMs: 20 },
    logger: recordingLogger(),
    ...options,
    onPass: (pass) => passes.push(pass),
  });
  relays.push(relay);
  relay.start();
  return { relay, passes };
}

describe("OutboxRelay", () => {
  it("sends in append order, in batches, and drains the outbox", async () => {
    const outbox = new MemoryOutbox();
    for (let n = 0; n < 7; n++) await outbox.append({ n });
    const batches: number[][] = [];
    const { passes } = startRelay({ outbox, batchSize: 3, send: async (records) => void batches.push(records.map((r) => r.n)) });

    await vi.waitFor(() => expect(passes.at(-1)?.outcome).toBe("idle"));
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(outbox.depth().records).toBe(0);
  });

  it("moves the cursor only after the broker acknowledged, and retries a failed batch", async () => {
    const dir = await mkdtemp(join(tmpdir(), "relay-test-"));
    const outbox = await FileOutbox.open({ dir });
    cleanups.push(async () => {
      await outbox.close();
      await rm(dir, { recursive: true, force: true });
    });
    await outbox.append({ n: 1 });
    await outbox.append({ n: 2 });
    const start = outbox.cursor;

    let ack!: () => void;
    const send = vi
      .fn<(records: Rec[]) => Promise<void>>()
      .mockRejectedValueOnce(new KafkaSendError("send to t failed", { retriable: true }))
      .mockImplementationOnce(() => new Promise<void>((resolve) => (ack = resolve)))
      .mockResolvedValue(undefined);
    const { passes } = startRelay({ outbox, send });

    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(2));
    expect(passes[0]).toMatchObject({ outcome: "failed", sent: 0, depth: { records: 2 } });
    // The second attempt is in flight, not acknowledged: the cursor has not moved.
    expect(outbox.cursor).toEqual(start);
    expect(outbox.depth().records).toBe(2);

    ack();
    await vi.waitFor(() => expect(outbox.depth().records).toBe(0));
    expect(send.mock.calls.map(([records]) => records.map((r) => r.n))).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it("sends nothing while it cannot, and goes at once when kicked", async () => {
    const outbox = new MemoryOutbox();
    await outbox.append({ n: 1 });
    let ready = false;
    const send = vi.fn(async () => undefined);
    const { relay, passes } = startRelay({ outbox, canSend: () => ready, send, idleMs: 60_000 });

    await vi.waitFor(() => expect(passes[0]?.outcome).toBe("not-ready"));
    expect(send).not.toHaveBeenCalled();
    ready = true;
    relay.kick(); // instead of the 60 s idle wait
    await vi.waitFor(() => expect(outbox.depth().records).toBe(0));
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("passes over records delivered another way and stops at one still in flight", async () => {
    const outbox = new MemoryOutbox();
    for (let n = 0; n < 4; n++) await outbox.append({ n });
    const verdicts = new Map<number, RelayVerdict>([
      [0, "skip"],
      [1, "send"],
      [2, "wait"],
      [3, "send"],
    ]);
    const sent: number[] = [];
    const { relay, passes } = startRelay({ outbox, verdict: (r) => verdicts.get(r.n) ?? "send", send: async (records) => void sent.push(...records.map((r) => r.n)) });

    await vi.waitFor(() => expect(passes.some((p) => p.outcome === "waiting")).toBe(true));
    expect(sent).toEqual([1]);
    expect(outbox.depth().records).toBe(2); // 2 (waiting) and 3

    verdicts.set(2, "skip"); // its own send was acknowledged
    relay.notify();
    await vi.waitFor(() => expect(outbox.depth().records).toBe(0));
    expect(sent).toEqual([1, 3]);
    expect(passes.reduce((sum, p) => sum + p.skipped, 0)).toBe(2);
  });

  it("quarantines a record it cannot decode once, and goes on", async () => {
    const outbox = new MemoryOutbox();
    await outbox.append({ n: 1 });
    await outbox.append({ wrong: true });
    await outbox.append({ n: 3 });
    const send = vi.fn<(records: Rec[]) => Promise<void>>().mockRejectedValueOnce(new Error("down")).mockResolvedValue(undefined);
    const logger = recordingLogger();
    startRelay({ outbox, send, logger });

    await vi.waitFor(() => expect(outbox.depth().records).toBe(0));
    expect(send.mock.calls.at(-1)![0]).toEqual([{ n: 1 }, { n: 3 }]);
    expect(outbox.quarantined).toEqual([{ raw: '{"wrong":true}', reason: "no n" }]);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining("quarantined"), expect.objectContaining({ reason: "no n" }));
  });

  it("logs the outbox depth on passes that move records or are held up", async () => {
    const outbox = new MemoryOutbox();
    for (let n = 0; n < 3; n++) await outbox.append({ n });
    const logger = recordingLogger();
    let ready = false;
    const { relay } = startRelay({ outbox, logger, canSend: () => ready });

    await vi.waitFor(() => expect(logger.info).toHaveBeenCalledWith("outbox relay waiting for Kafka", expect.objectContaining({ depthRecords: 3 })));
    ready = true;
    relay.kick();
    await vi.waitFor(() => expect(logger.info).toHaveBeenCalledWith("outbox relay pass", expect.objectContaining({ sent: 3, depthRecords: 0 })));
  });
});
