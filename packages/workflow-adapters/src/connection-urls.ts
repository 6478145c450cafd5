import { z } from "zod";

/** The native stack's (scripts/stack) RabbitMQ and PostgreSQL; also the examples in messages. */
export const NATIVE_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";
export const NATIVE_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/taskflow";

/**
 * A zod schema of a connection URL with one of `schemes` (env files of the worker and the
 * setup). The message says what is wrong without echoing the value, which may hold a password.
 */
export function connectionUrl(schemes: readonly string[], example: string, needs: { database?: boolean } = {}) {
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      // `host:5432/db` parses, as scheme `host:`; a connection URL needs `scheme://`.
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new Error("no scheme://");
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: `does not parse as a URL (expected e.g. ${example})` });
      return;
    }
    const scheme = url.protocol.slice(0, -1);
    if (!schemes.includes(scheme)) {
      ctx.addIssue({ code: "custom", message: `has scheme ${scheme}:, expected ${schemes.map((s) => `${s}://`).join(" or ")} (e.g. ${example})` });
    } else if (!url.hostname) {
      ctx.addIssue({ code: "custom", message: `names no host (expected e.g. ${example})` });
    } else if (needs.database && url.pathname.length <= 1) {
      ctx.addIssue({ code: "custom", message: `names no database (expected e.g. ${example})` });
    }
  });
}

/** `RABBITMQ_URL`: amqp(s)://user:password@host:port/vhost. */
export const rabbitMqUrlSchema = () => connectionUrl(["amqp", "amqps"], NATIVE_RABBITMQ_URL);
/** `DATABASE_URL`: postgres(ql)://user@host:port/database. */
export const databaseUrlSchema = () => connectionUrl(["postgres", "postgresql"], NATIVE_DATABASE_URL, { database: true });
