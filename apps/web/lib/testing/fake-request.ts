/**
 * Test doubles for the request-scoped Next APIs the server actions use
 * (`cookies`, `after`, `revalidatePath`), so actions run in vitest as they do in
 * a request. A test file wires them up with:
 *
 *   vi.mock("next/headers", async () => (await import("../../testing/fake-request")).nextHeadersModule);
 *   vi.mock("next/server", async () => (await import("../../testing/fake-request")).nextServerModule);
 *   vi.mock("next/cache", async () => (await import("../../testing/fake-request")).nextCacheModule);
 */

interface CookieOptions {
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "lax" | "strict" | "none";
  path?: string;
}

/** The cookies the browser holds, and what the action asked the response to set. */
export const browserCookies = new Map<string, string>();
export const cookiesSet: { name: string; value: string; options: CookieOptions }[] = [];
const afterCallbacks: (() => unknown)[] = [];

/** Runs the callbacks scheduled with `after` (the response has been sent) and waits for them. */
export async function finishResponse(): Promise<void> {
  const callbacks = afterCallbacks.splice(0);
  await Promise.all(callbacks.map((callback) => callback()));
}

/** How many `after` callbacks wait for the response to finish. */
export function pendingAfterCallbacks(): number {
  return afterCallbacks.length;
}

/** Forgets every cookie and pending callback (call in `afterEach`). */
export function resetFakeRequest(): void {
  browserCookies.clear();
  cookiesSet.length = 0;
  afterCallbacks.length = 0;
}

export const nextHeadersModule = {
  cookies: async () => ({
    get: (name: string) => (browserCookies.has(name) ? { name, value: browserCookies.get(name)! } : undefined),
    set: (name: string, value: string, options: CookieOptions = {}) => {
      cookiesSet.push({ name, value, options });
      if (options.maxAge === 0) browserCookies.delete(name);
      else browserCookies.set(name, value);
    },
  }),
};

export const nextServerModule = {
  after: (callback: () => unknown) => {
    afterCallbacks.push(callback);
  },
};

export const nextCacheModule = {
  revalidatePath: () => undefined,
};

/** The URL a `redirect()` error points to, or undefined if `error` is not one. */
export function redirectTarget(error: unknown): string | undefined {
  const digest = (error as { digest?: unknown } | null)?.digest;
  if (typeof digest !== "string" || !digest.startsWith("NEXT_REDIRECT;")) return undefined;
  return digest.split(";")[2];
}
