import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FileOutbox } from "./file-outbox.ts";
import { OutboxClosedError, OutboxFullError, OutboxLockedError, type OutboxEntry } from "./outbox.ts";

let dir: string;
const opened: FileOutbox[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "outbox-test-"));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await rm(dir, { recursive: true, force: true });
});

function recordingLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

async function openOutbox(options: Partial<Parameters<typeof FileOutbox.open>[0]> = {}): Promise<FileOutbox> {
  const outbox = await FileOutbox.open({ dir, ...options });
  opened.push(outbox);
  return outbox;
}

async function reopen(outbox: FileOutbox, options: Partial<Parameters<typeof FileOutbox.open>[0]> = {}): Promise<FileOutbox> {
  await outbox.close();
  return openOutbox(options);
}

const values = (entries: OutboxEntry[]) => entries.map((e) => (e.kind === "record" ? e.value : { corrupt: e.raw }));

async function readAll(outbox: FileOutbox) {
  return outbox.read(outbox.cursor, { maxRecords: 10_000 });
}

const segmentFiles = async () => (await readdir(dir)).filter((f) => f.startsWith("segment-")).sort();

describe("FileOutbox", () => {
  it("reads appends back in append order, also when they were appended concurrently", async () => {
    const outbox = await openOutbox();
    await Promise.all(Array.from({ length: 50 }, (_, i) => outbox.append({ n: i })));
    await outbox.append({ n: 50 });

    const { entries, next } = await readAll(outbox);
    expect(values(entries)).toEqual(Array.from({ length: 51 }, (_, n) => ({ n })));
    expect(outbox.depth().records).toBe(51);
    // Each entry ends where the next one starts reading; the last one is `next`.
    expect(entries.at(-1)!.end).toEqual(next);

    const firstTwo = await outbox.read(outbox.cursor, { maxRecords: 2 });
    expect(values(firstTwo.entries)).toEqual([{ n: 0 }, { n: 1 }]);
    const following = await outbox.read(firstTwo.next, { maxRecords: 2 });
    expect(values(following.entries)).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it("keeps records across a re-open, from the committed cursor on", async () => {
    let outbox = await openOutbox();
    for (let n = 0; n < 5; n++) await outbox.append({ n });
    outbox = await reopen(outbox);
    const { entries } = await readAll(outbox);
    expect(values(entries)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    expect(outbox.depth().records).toBe(5);

    outbox.commit(entries[1]!.end, 2);
    await outbox.append({ n: 5 });
    outbox = await reopen(outbox);
    expect(values((await readAll(outbox)).entries)).toEqual([2, 3, 4, 5].map((n) => ({ n })));
    expect(outbox.depth().records).toBe(4);
  });

  it("moves the cursor only on commit: reading twice returns the same records", async () => {
    const outbox = await openOutbox();
    await outbox.append({ n: 1 });
    await outbox.append({ n: 2 });
    const before = outbox.cursor;
    const first = await readAll(outbox);
    const second = await readAll(outbox);
    expect(values(second.entries)).toEqual(values(first.entries));
    expect(outbox.cursor).toEqual(before);

    outbox.commit(first.entries[0]!.end, 1);
    expect(values((await readAll(outbox)).entries)).toEqual([{ n: 2 }]);
    expect(outbox.depth().records).toBe(1);
  });

  it("survives the writing process being killed (SIGKILL): every append that resolved is there", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./file-outbox.crash-writer.ts", import.meta.url)), dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let acknowledged = 0;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const lines = output.split("\n").filter(Boolean);
        acknowledged = Number(lines.at(-1));
        if (acknowledged >= 200) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("error", reject);
      child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`writer exited early: ${code}`))));
    });
    await new Promise((resolve) => child.once("close", resolve));

    const logger = recordingLogger();
    const outbox = await openOutbox({ logger });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining("lock left by a process that is gone"), expect.anything());
    const stored = values((await readAll(outbox)).entries) as { n: number }[];
    // Each value the writer reported as appended is there, in order, once.
    expect(stored.slice(0, acknowledged).map((v) => v.n)).toEqual(Array.from({ length: acknowledged }, (_, n) => n));
    expect(new Set(stored.map((v) => v.n)).size).toBe(stored.length);
  }, 30_000);

  it("skips a torn last line with a warning and goes on with the next segment", async () => {
    await writeFile(join(dir, "segment-000000000001.jsonl"), '{"n":1}\n{"n":2}\n{"n":3,"wh');
    // A lock left by a process that is gone.
    await writeFile(join(dir, "lock"), "999999999 1");
    const logger = recordingLogger();
    const outbox = await openOutbox({ logger });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining("torn record"), expect.objectContaining({ segment: 1 }));
    expect(outbox.depth().records).toBe(2);
    await outbox.append({ n: 4 });

    const { entries, next } = await readAll(outbox);
    expect(values(entries)).toEqual([{ n: 1 }, { n: 2 }, { n: 4 }]);
    expect(logger.warn).toHaveBeenCalledWith("outbox skipped a torn record at the end of a segment", expect.objectContaining({ segment: 1 }));

    // Past the torn segment, it is deleted.
    outbox.commit(next, entries.length);
    await vi.waitFor(async () => expect(await segmentFiles()).toEqual(["segment-000000000002.jsonl"]));
    expect(outbox.depth().records).toBe(0);
  });

  it("hands out a line that is not JSON as corrupt instead of stopping at it", async () => {
    await writeFile(join(dir, "segment-000000000001.jsonl"), '{"n":1}\nnot json\n{"n":3}\n');
    const outbox = await openOutbox();
    expect(values((await readAll(outbox)).entries)).toEqual([{ n: 1 }, { corrupt: "not json" }, { n: 3 }]);
    await outbox.quarantine("not json", "not a JSON line");
    expect(await readFile(join(dir, "quarantine.jsonl"), "utf8")).toContain('"raw":"not json"');
  });

  it("starts over (re-sending, never skipping) when the cursor file is unreadable", async () => {
    let outbox = await openOutbox();
    await outbox.append({ n: 1 });
    outbox.commit((await readAll(outbox)).next, 1);
    await outbox.append({ n: 2 });
    await outbox.close();
    await writeFile(join(dir, "cursor.json"), "{garbage");
    const logger = recordingLogger();
    outbox = await openOutbox({ logger });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining("cursor unreadable"), expect.anything());
    expect(values((await readAll(outbox)).entries)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("rolls segments past segmentBytes and deletes those the cursor has passed", async () => {
    const outbox = await openOutbox({ segmentBytes: 100 });
    for (let n = 0; n < 20; n++) await outbox.append({ n, pad: "x".repeat(20) });
    const before = await segmentFiles();
    expect(before).toHaveLength(10); // two 38-byte records per segment
    const { entries, next } = await readAll(outbox);
    expect(entries).toHaveLength(20);

    outbox.commit(entries[9]!.end, 10);
    await vi.waitFor(async () => expect(await segmentFiles()).toEqual(before.slice(5)));
    expect(values((await readAll(outbox)).entries)).toHaveLength(10);

    outbox.commit(next, 10);
    expect(outbox.depth()).toMatchObject({ records: 0, bytes: 0 });
    // The last segment stays: it is the one appends go to.
    await vi.waitFor(async () => expect(await segmentFiles()).toEqual(before.slice(9)));
  });

  it("refuses appends beyond maxBytes with OutboxFullError and one error line, and accepts again once drained", async () => {
    const logger = recordingLogger();
    const outbox = await openOutbox({ maxBytes: 200, segmentBytes: 50, logger });
    const record = { pad: "x".repeat(30) }; // 41 bytes with the newline
    for (let i = 0; i < 4; i++) await outbox.append(record);
    await expect(outbox.append(record)).rejects.toBeInstanceOf(OutboxFullError);
    await expect(outbox.append(record)).rejects.toBeInstanceOf(OutboxFullError);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining("outbox full"), expect.objectContaining({ maxBytes: 200, records: 4 }));

    const { next } = await readAll(outbox);
    outbox.commit(next, 4);
    await expect(outbox.append(record)).resolves.toBeUndefined();
    expect(logger.info).toHaveBeenCalledWith("outbox accepts records again", expect.objectContaining({ refused: 1 }));
  });

  it("lets one process at a time have the directory", async () => {
    const outbox = await openOutbox();
    await expect(FileOutbox.open({ dir })).rejects.toBeInstanceOf(OutboxLockedError);
    await outbox.close();
    await expect(openOutbox()).resolves.toBeInstanceOf(FileOutbox);
  });

  it("rejects appends after close, and close waits for appends under way", async () => {
    let outbox = await openOutbox();
    const pending = Array.from({ length: 20 }, (_, n) => outbox.append({ n }));
    await outbox.close();
    await expect(Promise.all(pending)).resolves.toHaveLength(20);
    await expect(outbox.append({ n: 99 })).rejects.toBeInstanceOf(OutboxClosedError);
    outbox = await openOutbox();
    expect(outbox.depth().records).toBe(20);
  });

  it("tells listeners when appends reached the file", async () => {
    const outbox = await openOutbox();
    const listener = vi.fn();
    const unsubscribe = outbox.onWritten(listener);
    await outbox.append({ n: 1 });
    expect(listener).toHaveBeenCalledTimes(1);
    unsubscribe();
    await outbox.append({ n: 2 });
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
