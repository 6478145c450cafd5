import { redirect } from "next/navigation";
import { cache } from "react";
import { appStores } from "../app-stores";
import { readSessionToken } from "./session-cookie";

/** The logged-in user, as pages and actions see them. */
export interface CurrentUser {
  id: string;
  email: string;
}

/**
 * The user whose session cookie came with this request, or null (no cookie, or
 * a session that expired or was revoked). Looked up once per request (React
 * `cache`). Throws DatabaseUnavailableError while Cassandra is not connected:
 * an outage must not look like being logged out.
 */
export const getCurrentUser: () => Promise<CurrentUser | null> = cache(async () => {
  const token = await readSessionToken();
  if (!token) return null;
  const session = await appStores().sessions.find(token);
  return session ? { id: session.userId, email: session.email } : null;
});

/** The logged-in user; anyone else is sent to the login page. For pages. */
export async function requireUser(): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  return user;
}
