import { NOT_LOGGED_IN, SOMETHING_WENT_WRONG } from "../forms/messages";
import { log } from "../log";
import { getCurrentUser, type CurrentUser } from "./current-user";

export type SessionUser = { ok: true; user: CurrentUser } | { ok: false; message: string };

/**
 * The gate of every protected server action: the session's user, or the
 * message refusing the call (no session, or the session could not be read).
 * A refused call changes nothing and tracks nothing.
 */
export async function sessionUser(correlationId: string): Promise<SessionUser> {
  try {
    const user = await getCurrentUser();
    return user ? { ok: true, user } : { ok: false, message: NOT_LOGGED_IN };
  } catch (error) {
    log.error("session lookup failed", { correlationId, error });
    return { ok: false, message: SOMETHING_WENT_WRONG };
  }
}
