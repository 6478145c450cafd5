"use server";

import { redirect } from "next/navigation";
import { getCurrentUser } from "../../auth/current-user";
import { clearSessionCookie, readSessionToken } from "../../auth/session-cookie";
import { appStores } from "../../app-stores";
import { log } from "../../log";
import { newCorrelationId, recordInteraction } from "../../tracking/track-interaction";

/**
 * The nav's logout button: deletes the session row (the token stops working
 * everywhere at once), clears the cookie, tracks `logout` by the e-mail and goes
 * home. Without a live session it only clears the cookie and tracks nothing.
 */
export async function logOutUser(): Promise<void> {
  const correlationId = newCorrelationId();
  try {
    const user = await getCurrentUser();
    const token = await readSessionToken();
    if (token) await appStores().sessions.revoke(token);
    await clearSessionCookie();
    if (user) {
      log.info("user logged out", { correlationId, userId: user.id });
      await recordInteraction({ action: "logout", who: user.email, what: "logout", correlationId });
    }
  } catch (error) {
    // NOTE: the session row stays until its TTL; the cookie is cleared anyway.
    log.error("logout failed", { correlationId, error });
    await clearSessionCookie();
  }
  redirect("/");
}
