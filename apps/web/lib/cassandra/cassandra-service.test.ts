import { silentLogger } from "@taskflow/kafka";
import type cassandra from "cassandra-driver";
import { describe, expect, it, vi } from "vitest";
import { CassandraService, DatabaseUnavailableError } from "./cassandra-service";

const fakeClient = () => ({ shutdown: vi.fn(async () => undefined) }) as unknown as cassandra.Client & { shutdown: ReturnType<typeof vi.fn> };

describe("CassandraService", () => {
  it("refuses to hand out a client before it is connected, then hands out the one it connected", async () => {
    const client = fakeClient();
    let connect!: (value: cassandra.Client) => void;
    const service = new CassandraService({ connect: () => new Promise((resolve) => (connect = resolve)), logger: silentLogger });
    expect(() => service.client()).toThrow(DatabaseUnavailableError);

    service.start();
    expect(service.status).toBe("connecting");
    expect(() => service.client()).toThrow(DatabaseUnavailableError);
    connect(client);
    await vi.waitFor(() => expect(service.status).toBe("ready"));
    expect(service.client()).toBe(client);
  });

  it("keeps retrying with backoff while Cassandra is unreachable", async () => {
    const client = fakeClient();
    const connect = vi
      .fn<() => Promise<cassandra.Client>>()
      .mockRejectedValueOnce(new Error("ECONNREFUSED"))
      .mockRejectedValueOnce(new Error("ECONNREFUSED"))
      .mockResolvedValue(client);
    const service = new CassandraService({ connect, logger: silentLogger, retry: { initialDelayMs: 1, maxDelayMs: 2 } });
    service.start();
    await vi.waitFor(() => expect(service.status).toBe("ready"));
    expect(connect).toHaveBeenCalledTimes(3);
  });

  it("stops idempotently, shutting the client down once", async () => {
    const client = fakeClient();
    const service = new CassandraService({ connect: async () => client, logger: silentLogger });
    service.start();
    await vi.waitFor(() => expect(service.status).toBe("ready"));
    await service.stop();
    await service.stop();
    expect(client.shutdown).toHaveBeenCalledTimes(1);
    expect(() => service.client()).toThrow(DatabaseUnavailableError);
  });

  it("stops a retry loop that has not connected yet, and closes a connection that lands after stop", async () => {
    const client = fakeClient();
    let connect!: (value: cassandra.Client) => void;
    const service = new CassandraService({ connect: () => new Promise((resolve) => (connect = resolve)), logger: silentLogger });
    service.start();
    await service.stop();
    connect(client);
    await vi.waitFor(() => expect(client.shutdown).toHaveBeenCalledTimes(1));
    expect(service.status).toBe("stopped");
  });
});
