import { describe, expect, it } from "vitest";
import { delayQueueName, jobsQueueArguments, jobsTopology } from "./topology.ts";

describe("jobsTopology", () => {
  it("defaults to the seed's queue name, with the dead-letter names derived from it", () => {
    expect(jobsTopology()).toEqual({
      queue: "flowcraft-jobs",
      deadLetterExchange: "flowcraft-jobs.dlx",
      deadLetterQueue: "flowcraft-jobs.dlq",
      deliveryLimit: 20,
    });
    expect(jobsTopology({ queue: "jobs-b", deliveryLimit: 3 })).toMatchObject({ deadLetterQueue: "jobs-b.dlq", deliveryLimit: 3 });
  });

  it("declares a quorum queue that dead-letters into its own dead-letter queue", () => {
    expect(jobsQueueArguments(jobsTopology())).toEqual({
      "x-queue-type": "quorum",
      "x-dead-letter-exchange": "flowcraft-jobs.dlx",
      "x-dead-letter-routing-key": "flowcraft-jobs.dlq",
      "x-delivery-limit": 20,
    });
  });

  it("rejects names and limits the broker would refuse", () => {
    expect(() => jobsTopology({ queue: "amq.jobs" })).toThrow(/reserved/);
    expect(() => jobsTopology({ queue: "" })).toThrow(/1 to 238 bytes/);
    expect(() => jobsTopology({ queue: "q".repeat(239) })).toThrow(/got 239/);
    expect(() => jobsTopology({ deliveryLimit: 0 })).toThrow(/deliveryLimit/);
    expect(() => jobsTopology({ deliveryLimit: 1.5 })).toThrow(/deliveryLimit/);
  });

  it("names one delay queue per whole-millisecond delay", () => {
    expect(delayQueueName(jobsTopology(), 1000)).toBe("flowcraft-jobs.delay.1000");
    expect(() => delayQueueName(jobsTopology(), 0)).toThrow(/delayMs/);
    expect(() => delayQueueName(jobsTopology(), 2.5)).toThrow(/delayMs/);
  });
});
