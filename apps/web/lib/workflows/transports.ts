import type { WorkflowTransport } from "@taskflow/workflow-adapters";

export type { WorkflowTransport };

/**
 * The transports a run can be requested on (issue #6), as the pages name them. The ids
 * are the command schema's (`run.request`'s `transport`, kafka/schemas/workflow-command.avsc)
 * and the events' `transport`; `satisfies` keeps this list equal to the adapters' one.
 * NOTE: a type-only import, so client components (the start form) can use this file.
 */
export const TRANSPORT_LABELS = {
  kafka: "Kafka",
  rabbitmq: "RabbitMQ",
} as const satisfies Record<WorkflowTransport, string>;

export const TRANSPORT_IDS = Object.keys(TRANSPORT_LABELS) as [WorkflowTransport, ...WorkflowTransport[]];

/** The transport a run is started on when the form does not say (the command's default). */
export const DEFAULT_TRANSPORT: WorkflowTransport = "kafka";

/** A stored transport's label; an unknown or missing one (a row folded before the column existed) reads "?". */
export function transportLabel(transport: string | null | undefined): string {
  return transport && Object.hasOwn(TRANSPORT_LABELS, transport) ? TRANSPORT_LABELS[transport as WorkflowTransport] : "?";
}
