import Link from "next/link";
import { unstable_rethrow } from "next/navigation";
import { logOutUser } from "../lib/actions/auth/log-out-user";
import { getCurrentUser, type CurrentUser } from "../lib/auth/current-user";
import { log } from "../lib/log";
import { NavLink } from "./nav-link";

/** The site's header nav: the sections, and either Log in/Register or the user's e-mail with Log out. */
export async function SiteNav() {
  let user: CurrentUser | null = null;
  try {
    user = await getCurrentUser();
  } catch (error) {
    // Next's own control flow (e.g. "this route is dynamic" at build) passes through.
    unstable_rethrow(error);
    // The nav must not take every page down with it; the page itself reports the outage if it needs data.
    log.error("nav: session lookup failed", { error });
  }
  return (
    <nav className="site-nav" aria-label="Main">
      <Link href="/" className="brand">
        TaskFlow
      </Link>
      <ul className="nav-links">
        <li>
          <NavLink href="/todos">Todos</NavLink>
        </li>
        <li>
          <NavLink href="/runs">Runs</NavLink>
        </li>
        <li>
          <NavLink href="/analytics">Analytics</NavLink>
        </li>
        <li>
          <NavLink href="/about">About</NavLink>
        </li>
      </ul>
      <div className="nav-account">
        {user ? (
          <>
            <span className="nav-user" data-testid="nav-user">
              {user.email}
            </span>
            <form action={logOutUser}>
              <button type="submit" className="button-secondary">
                Log out
              </button>
            </form>
          </>
        ) : (
          <>
            <NavLink href="/login">Log in</NavLink>
            <Link href="/register" className="button">
              Register
            </Link>
          </>
        )}
      </div>
    </nav>
  );
}
