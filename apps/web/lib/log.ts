import { jsonLinesLogger, type Logger } from "@taskflow/kafka";

/**
 * The web server's structured log: one JSON object per line, `service: "web"`,
 * and the event id as `eventId` on every tracking line, so a page view can be
 * followed from the browser to Cassandra with one grep.
 */
export const log: Logger = jsonLinesLogger({ service: "web" });
