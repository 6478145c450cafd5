import { cookies } from "next/headers";
import { isWellFormedSessionToken } from "./session-token";

/**
 * `__Host-`: the browser only accepts it Secure, on path /, without a Domain,
 * so no subdomain or plain-http page can set or shadow the session.
 * NOTE: browsers count http://localhost and http://127.0.0.1 as secure contexts,
 * so Secure cookies work in local development too.
 */
export const SESSION_COOKIE = "__Host-taskflow-session";

/** The session token the browser sent, if it could be one of ours. */
export async function readSessionToken(): Promise<string | undefined> {
  const value = (await cookies()).get(SESSION_COOKIE)?.value;
  return value && isWellFormedSessionToken(value) ? value : undefined;
}

/**
 * Hands `token` to the browser: http-only (no script reads it), Secure,
 * SameSite=Lax (not sent on cross-site POSTs), expiring with the session row.
 */
export async function writeSessionCookie(token: string, maxAgeSeconds: number): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, token, { httpOnly: true, secure: true, sameSite: "lax", path: "/", maxAge: maxAgeSeconds });
}

export async function clearSessionCookie(): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, "", { httpOnly: true, secure: true, sameSite: "lax", path: "/", maxAge: 0 });
}
