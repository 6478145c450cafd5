import type { InteractionEvent } from "@taskflow/events";
import { silentLogger, type EmitAck } from "@taskflow/kafka";
import { installTrackingService } from "../tracking/server";
import { TrackingService } from "../tracking/tracking-service";

/**
 * Installs a real TrackingService whose emitter acknowledges at once and keeps
 * what it was given: what the actions see in production, minus Kafka.
 * Returns the list the emitted events land in.
 */
export async function installCapturingTracking(): Promise<InteractionEvent[]> {
  const emitted: InteractionEvent[] = [];
  const emitter = {
    emit: async (event: InteractionEvent): Promise<EmitAck> => {
      emitted.push(event);
      return { eventId: event.id, topic: "taskflow-interactions", partition: 0, offset: String(emitted.length) };
    },
  };
  const service = new TrackingService({ connect: async () => ({ emitter, close: async () => undefined }), logger: silentLogger });
  service.start();
  for (let i = 0; service.status !== "ready"; i++) {
    if (i > 100) throw new Error("capturing tracking did not become ready");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  installTrackingService(service);
  return emitted;
}
