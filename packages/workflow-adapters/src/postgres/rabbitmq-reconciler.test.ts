import type pg from "pg";
import type { ReconcilableEngine } from "@taskflow/workflow";
import { describe, expect, it } from "vitest";
import { createRabbitMqReconciler } from "./rabbitmq-reconciler.ts";

describe("createRabbitMqReconciler", () => {
  const adapter: ReconcilableEngine = { reconcileRun: async () => ({ kind: "skipped", reason: "" }), failRun: async () => false };
  const pgClient = {} as pg.Pool;

  it("accepts a table name, optionally schema-qualified", () => {
    for (const statusTableName of ["flowcraft_statuses", "taskflow.flowcraft_statuses", "_t1"]) {
      expect(() => createRabbitMqReconciler({ adapter, pgClient, statusTableName, stalledThresholdSeconds: 300 })).not.toThrow();
    }
  });

  it("refuses a status table name that is not one, naming it", () => {
    for (const statusTableName of ["flowcraft_statuses; DROP TABLE x", "", "a.b.c", '"quoted"', "1table"]) {
      expect(() => createRabbitMqReconciler({ adapter, pgClient, statusTableName, stalledThresholdSeconds: 300 })).toThrow(`statusTableName "${statusTableName}" is not a table name`);
    }
  });
});
