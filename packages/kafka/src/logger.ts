/** Structured log fields; `eventId` is the one every tracking line carries. */
export type LogFields = Record<string, unknown>;

/**
 * What this package logs through. Apps pass their own (JSON lines, service name);
 * the package never writes to the console on its own except through `jsonLinesLogger`.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogLevel = keyof Logger;
const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * One JSON object per line on stdout (debug/info) or stderr (warn/error), with
 * `base` merged into every line; lines below `minLevel` (default info) are dropped.
 */
export function jsonLinesLogger(base: LogFields = {}, minLevel: LogLevel = "info"): Logger {
  const write = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minLevel]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...base, ...serializeFields(fields) });
    if (level === "warn" || level === "error") process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Errors do not survive JSON.stringify; turn them into plain fields. */
export function serializeFields(fields: LogFields | undefined): LogFields {
  if (!fields) return {};
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) out[key] = value instanceof Error ? describeError(value) : value;
  return out;
}

/** name, message, retriable flag and the cause chain of an error, for logs. */
export function describeError(error: unknown, depth = 0): LogFields {
  if (!(error instanceof Error)) return { message: String(error) };
  const described: LogFields = { name: error.name, message: error.message };
  const retriable = (error as { retriable?: unknown }).retriable;
  if (typeof retriable === "boolean") described.retriable = retriable;
  if (error.cause !== undefined && error.cause !== error && depth < 3) described.cause = describeError(error.cause, depth + 1);
  return described;
}
