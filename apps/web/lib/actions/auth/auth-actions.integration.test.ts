import type { InteractionEvent } from "@taskflow/events";
import type cassandra from "cassandra-driver";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getCurrentUser } from "../../auth/current-user";
import { SESSION_COOKIE } from "../../auth/session-cookie";
import { hashSessionToken } from "../../auth/session-token";
import type { CassandraService } from "../../cassandra/cassandra-service";
import { installCassandraService } from "../../cassandra/server";
import { idleFormState } from "../../forms/form-state";
import { installCapturingTracking } from "../../testing/capturing-tracking";
import { browserCookies, cookiesSet, finishResponse, redirectTarget, resetFakeRequest } from "../../testing/fake-request";
import { connectTestCassandra, installTestCassandra, uniqueEmail } from "../../testing/services";
import { installTrackingService } from "../../tracking/server";
import { logInUser } from "./log-in-user";
import { logOutUser } from "./log-out-user";
import { registerUser } from "./register-user";

vi.mock("next/headers", async () => (await import("../../testing/fake-request")).nextHeadersModule);
vi.mock("next/server", async () => (await import("../../testing/fake-request")).nextServerModule);
vi.mock("../../log", async () => ({ log: (await import("@taskflow/kafka")).silentLogger }));

/**
 * The auth actions against the real Cassandra tables, with Next's request APIs
 * faked (cookies, after) and Kafka replaced by a capturing emitter.
 */
let client: cassandra.Client;
let service: CassandraService;
let emitted: InteractionEvent[];

beforeAll(async () => {
  client = await connectTestCassandra();
  service = await installTestCassandra(client);
});

afterAll(async () => {
  installCassandraService(undefined);
  await service?.stop();
});

beforeEach(async () => {
  emitted = await installCapturingTracking();
});

afterEach(() => {
  installTrackingService(undefined);
  resetFakeRequest();
});

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

/** Runs an action that should redirect; returns where to. */
async function redirectOf(action: Promise<unknown>): Promise<string | undefined> {
  try {
    await action;
  } catch (error) {
    const target = redirectTarget(error);
    if (target) return target;
    throw error;
  }
  return undefined;
}

async function register(email: string, password = "a good password"): Promise<void> {
  expect(await redirectOf(registerUser(idleFormState, form({ email, password })))).toBe("/login?registered=1");
}

describe("registerUser", () => {
  it("creates the account, sends the user to log in, and tracks register by the e-mail", async () => {
    const email = uniqueEmail("reg");
    await register(`  ${email.toUpperCase()} `);
    await finishResponse();
    await vi.waitFor(() => expect(emitted).toHaveLength(1));
    expect(emitted).toEqual([
      { id: expect.any(String), action: "register", who: email, what: "register", time: expect.any(Date), correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    ]);
    const row = await client.execute("SELECT password_hash FROM taskflow.users_by_email WHERE email = ?", [email], { prepare: true });
    expect(row.first()?.get("password_hash")).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(browserCookies.size).toBe(0); // registering does not log in
  });

  it("refuses a duplicate e-mail next to the e-mail field, and tracks nothing", async () => {
    const email = uniqueEmail("dup");
    await register(email);
    await finishResponse();
    emitted.length = 0;

    const state = await registerUser(idleFormState, form({ email, password: "another password" }));
    expect(state).toEqual({ status: "error", fieldErrors: { email: "An account with this e-mail already exists. Log in instead." }, values: { email } });
    await finishResponse();
    expect(emitted).toEqual([]);
  });

  it("refuses malformed input field by field, echoing the e-mail but never the password", async () => {
    const state = await registerUser(idleFormState, form({ email: "not-an-email", password: "short" }));
    expect(state).toEqual({
      status: "error",
      fieldErrors: { email: "Enter a valid e-mail address, like name@example.com.", password: "Use at least 8 characters." },
      values: { email: "not-an-email" },
    });
    await finishResponse();
    expect(emitted).toEqual([]);
  });

  it("refuses a call that posts no form at all", async () => {
    const state = await registerUser(idleFormState, "email=a@example.com" as unknown as FormData);
    expect(state.status).toBe("error");
  });
});

describe("logInUser", () => {
  it("opens a session: an http-only, Secure, SameSite=Lax cookie whose token's hash is the session row; tracks login", async () => {
    const email = uniqueEmail("login");
    await register(email);
    await finishResponse();
    emitted.length = 0;

    expect(await redirectOf(logInUser(idleFormState, form({ email, password: "a good password" })))).toBe("/todos");
    const cookie = cookiesSet.find((set) => set.name === SESSION_COOKIE)!;
    expect(cookie.options).toEqual({ httpOnly: true, secure: true, sameSite: "lax", path: "/", maxAge: 604_800 });
    const row = await client.execute("SELECT email, TTL(email) AS ttl FROM taskflow.sessions WHERE token_hash = ?", [hashSessionToken(cookie.value)], {
      prepare: true,
    });
    expect(row.first()?.get("email")).toBe(email);
    expect(row.first()?.get("ttl")).toBeGreaterThan(604_000);
    await expect(getCurrentUser()).resolves.toEqual({ id: expect.any(String), email });

    await finishResponse();
    expect(emitted).toMatchObject([{ action: "login", who: email, what: "login" }]);
  });

  it("says the same thing for a wrong password and an unknown e-mail, next to the password, and tracks nothing", async () => {
    const email = uniqueEmail("wrong");
    await register(email);
    await finishResponse();
    emitted.length = 0;

    const wrongPassword = await logInUser(idleFormState, form({ email, password: "not the password" }));
    const unknownEmail = await logInUser(idleFormState, form({ email: uniqueEmail("nobody"), password: "a good password" }));
    const message = { password: "The e-mail or password is incorrect." };
    expect(wrongPassword).toEqual({ status: "error", fieldErrors: message, values: { email } });
    expect(unknownEmail).toMatchObject({ status: "error", fieldErrors: message });
    expect(browserCookies.size).toBe(0);
    await finishResponse();
    expect(emitted).toEqual([]);
  });
});

describe("logOutUser", () => {
  it("revokes the session (the old token no longer works), clears the cookie and tracks logout by the e-mail", async () => {
    const email = uniqueEmail("logout");
    await register(email);
    await redirectOf(logInUser(idleFormState, form({ email, password: "a good password" })));
    const token = browserCookies.get(SESSION_COOKIE)!;
    await finishResponse();
    emitted.length = 0;

    expect(await redirectOf(logOutUser())).toBe("/");
    expect(browserCookies.has(SESSION_COOKIE)).toBe(false);
    await finishResponse();
    expect(emitted).toMatchObject([{ action: "logout", who: email, what: "logout" }]);

    // Replaying the old cookie (say, stolen before logout) finds no session.
    browserCookies.set(SESSION_COOKIE, token);
    await expect(getCurrentUser()).resolves.toBeNull();
  });

  it("without a session only clears the cookie and tracks nothing", async () => {
    expect(await redirectOf(logOutUser())).toBe("/");
    await finishResponse();
    expect(emitted).toEqual([]);
  });
});
