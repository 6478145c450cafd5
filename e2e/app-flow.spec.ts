import { randomUUID } from "node:crypto";
import { expect, test, type Locator, type Page } from "@playwright/test";
import type cassandra from "cassandra-driver";
import { connectE2eCassandra } from "./cassandra.ts";

/**
 * A user's whole visit in a real browser: register, log in, manage todos, look
 * around, log out. Then the proof the seed asks for: the exact set of
 * InteractionEvents for that e-mail, read back from Cassandra (written there by
 * Kafka Connect), each with its server action's correlation id.
 * Needs the stack up and bootstrapped (scripts/setup-kafka.sh) and a built app.
 */

const PIPELINE_TIMEOUT_MS = 20_000;
const SESSION_COOKIE = "__Host-taskflow-session";

let client: cassandra.Client;

test.beforeAll(async () => {
  client = await connectE2eCassandra();
});

test.afterAll(async () => {
  await client?.shutdown();
});

/**
 * Waits until the page-view tracker reports a delivered view of `path` (a new
 * one when `previousEventId` is given: a reload of the same path) and returns
 * its event id.
 */
async function trackedView(page: Page, path: string, previousEventId?: string): Promise<string> {
  const marker = page.getByTestId("page-view-tracker");
  await expect(marker).toHaveAttribute("data-last-path", path);
  if (previousEventId) await expect(marker).not.toHaveAttribute("data-last-event-id", previousEventId);
  await expect(marker).toHaveAttribute("data-delivered", "true");
  return (await marker.getAttribute("data-last-event-id"))!;
}

interface UserEventRow {
  id: string;
  action: string;
  what: string;
  correlationId: string | null;
}

/** The user's rows in taskflow.interactions_by_user (the partition of `who`), prepared. */
async function eventsOf(who: string): Promise<UserEventRow[]> {
  const result = await client.execute("SELECT id, action, what, correlation_id FROM taskflow.interactions_by_user WHERE who = ?", [who], {
    prepare: true,
  });
  return result.rows.map((row) => ({
    id: row.get("id") as string,
    action: row.get("action") as string,
    what: row.get("what") as string,
    correlationId: (row.get("correlation_id") as string | null) ?? null,
  }));
}

/** `action what` of each event, sorted: a multiset that compares with toEqual. */
const multiset = (events: { action: string; what: string }[]) => events.map((event) => `${event.action} ${event.what}`).sort();

function todoItem(page: Page, title: string): Locator {
  return page.getByRole("list", { name: "Todos" }).getByRole("listitem").filter({ hasText: title });
}

test("a user's visit, from registration to logout, lands in Cassandra as exactly their interactions", async ({ page }) => {
  test.setTimeout(120_000);
  const email = `e2e-${Date.now()}-${randomUUID().slice(0, 8)}@example.com`;
  const password = "correct horse battery staple";
  const titles = {
    milk: "Buy milk",
    markup: `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> & "quotes"`,
    report: "Write the quarterly report",
  };
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const nav = page.getByRole("navigation", { name: "Main" });
  /** Views while logged in: these, and only these, are `who = email`. */
  const userViews: { path: string; eventId: string }[] = [];

  // Home, anonymous.
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "TaskFlow" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Log in" })).toBeVisible();
  await trackedView(page, "/");
  await page.screenshot({ path: test.info().outputPath("home.png"), fullPage: true });

  // Register: a malformed e-mail (one the browser's own check lets through) is refused next to the field.
  await nav.getByRole("link", { name: "Register" }).click();
  await expect(page).toHaveURL(/\/register$/);
  await trackedView(page, "/register");
  await page.getByLabel("E-mail").fill("someone@localhost");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Enter a valid e-mail address, like name@example.com.")).toBeVisible();
  await expect(page.getByLabel("E-mail")).toHaveValue("someone@localhost");
  await page.screenshot({ path: test.info().outputPath("register.png"), fullPage: true });
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/login\?registered=1$/);
  await expect(page.getByRole("status")).toContainText("Your account is ready");
  await trackedView(page, "/login");

  // The same e-mail cannot register twice.
  await page.getByRole("main").getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveURL(/\/register$/);
  await trackedView(page, "/register");
  await page.getByLabel("E-mail").fill(email.toUpperCase());
  await page.getByLabel("Password").fill("another password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("An account with this e-mail already exists. Log in instead.")).toBeVisible();

  // Log in: a wrong password is refused without saying which of the two was wrong.
  await page.getByRole("main").getByRole("link", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await trackedView(page, "/login");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill("not my password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByText("The e-mail or password is incorrect.")).toBeVisible();
  await expect(page.getByLabel("E-mail")).toHaveValue(email);
  await page.screenshot({ path: test.info().outputPath("login.png"), fullPage: true });
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/todos$/);
  userViews.push({ path: "/todos", eventId: await trackedView(page, "/todos") });
  await expect(page.getByTestId("nav-user")).toHaveText(email);

  // The session cookie: http-only (no script sees it), Secure, SameSite=Lax.
  const sessionCookie = (await page.context().cookies()).find((cookie) => cookie.name === SESSION_COOKIE);
  expect(sessionCookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
  expect(await page.evaluate("document.cookie")).not.toContain(SESSION_COOKIE);

  // Todos: create three (one full of markup, which must show as text), complete one, delete one.
  for (const title of [titles.milk, titles.markup, titles.report]) {
    await page.getByLabel("New todo").fill(title);
    await page.getByRole("button", { name: "Add" }).click();
    await expect(todoItem(page, title)).toHaveCount(1);
    await expect(page.getByLabel("New todo")).toHaveValue("");
  }
  await expect(page.getByText(titles.markup, { exact: true })).toBeVisible();
  await expect(page.getByRole("list", { name: "Todos" }).locator("img, script")).toHaveCount(0);
  expect(await page.evaluate("window.__xss")).toBeUndefined();

  await todoItem(page, titles.milk).getByRole("button", { name: "Complete" }).click();
  await expect(todoItem(page, titles.milk)).toHaveAttribute("data-completed", "true");
  await expect(todoItem(page, titles.milk).getByRole("button", { name: "Undo" })).toBeVisible();
  await todoItem(page, titles.report).getByRole("button", { name: "Delete" }).click();
  await expect(todoItem(page, titles.report)).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Todos" }).getByRole("listitem")).toHaveCount(2);
  await expect(page.getByText("1 of 2 still to do.")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("todos.png"), fullPage: true });

  // Analytics shows this user's recent activity. It reads what the pipeline has
  // written and refreshes itself every few seconds; should it still lack an
  // event, reload (each reload is one more view, counted).
  await nav.getByRole("link", { name: "Analytics" }).click();
  await expect(page).toHaveURL(/\/analytics$/);
  let analyticsViewId = await trackedView(page, "/analytics");
  userViews.push({ path: "/analytics", eventId: analyticsViewId });
  const recentActivity = page.getByTestId("recent-activity");
  const activity = (action: string, what: string) => recentActivity.getByRole("listitem").filter({ hasText: action }).filter({ hasText: what });
  await expect(async () => {
    try {
      for (const [action, what] of [
        ["create", titles.milk],
        ["create", titles.markup],
        ["create", titles.report],
        ["complete", titles.milk],
        ["delete", titles.report],
      ]) {
        await expect(activity(action!, what!).first()).toBeVisible({ timeout: 6_000 });
      }
    } catch (error) {
      await page.reload();
      analyticsViewId = await trackedView(page, "/analytics", analyticsViewId);
      userViews.push({ path: "/analytics", eventId: analyticsViewId });
      throw error;
    }
  }).toPass({ timeout: 2 * PIPELINE_TIMEOUT_MS });
  await expect(recentActivity.locator("img, script")).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath("analytics.png"), fullPage: true });

  // Two more pages, then log out.
  await nav.getByRole("link", { name: "About" }).click();
  await expect(page).toHaveURL(/\/about$/);
  userViews.push({ path: "/about", eventId: await trackedView(page, "/about") });
  await nav.getByRole("link", { name: "Todos" }).click();
  await expect(page).toHaveURL(/\/todos$/);
  userViews.push({ path: "/todos", eventId: await trackedView(page, "/todos") });
  await expect(page.getByRole("list", { name: "Todos" }).getByRole("listitem")).toHaveCount(2);

  await nav.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(nav.getByRole("link", { name: "Log in" })).toBeVisible();
  const viewAfterLogout = await trackedView(page, "/");
  expect((await page.context().cookies()).map((cookie) => cookie.name)).not.toContain(SESSION_COOKIE);
  // The todos are private again.
  await page.goto("/todos");
  await expect(page).toHaveURL(/\/login$/);
  expect(dialogs).toEqual([]);

  // Cassandra holds exactly this user's interactions: no more, no fewer.
  const expected = multiset([
    { action: "register", what: "register" },
    { action: "login", what: "login" },
    { action: "create", what: titles.milk },
    { action: "create", what: titles.markup },
    { action: "create", what: titles.report },
    { action: "complete", what: titles.milk },
    { action: "delete", what: titles.report },
    { action: "logout", what: "logout" },
    ...userViews.map((view) => ({ action: "view", what: view.path })),
  ]);
  let rows: UserEventRow[] = [];
  await expect
    .poll(
      async () => {
        rows = await eventsOf(email);
        return multiset(rows);
      },
      { timeout: PIPELINE_TIMEOUT_MS, message: `taskflow.interactions_by_user for ${email}` },
    )
    .toEqual(expected);

  // The views are the very events the browser was told about.
  expect(
    rows
      .filter((row) => row.action === "view")
      .map((row) => row.id)
      .sort(),
  ).toEqual(userViews.map((view) => view.eventId).sort());
  // One correlation id per server-action call, on every row.
  const correlationIds = rows.map((row) => row.correlationId);
  for (const id of correlationIds) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(new Set(correlationIds).size).toBe(rows.length);

  // After logout the same browser is anonymous again: the server, not the page, decides `who`.
  await expect
    .poll(
      async () => {
        const result = await client.execute("SELECT who FROM taskflow.interactions WHERE id = ?", [viewAfterLogout], { prepare: true });
        return result.first()?.get("who") as string | undefined;
      },
      { timeout: PIPELINE_TIMEOUT_MS },
    )
    .toBe("anonymous");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the forms still work (they post to the server actions), and the actions are still tracked", async ({ page }) => {
    const email = `e2e-nojs-${Date.now()}-${randomUUID().slice(0, 8)}@example.com`;
    const password = "no scripts needed";

    await page.goto("/register");
    await page.getByLabel("E-mail").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/login\?registered=1$/);

    await page.getByLabel("E-mail").fill(email);
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByText("The e-mail or password is incorrect.")).toBeVisible();
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/todos$/);

    await page.getByLabel("New todo").fill("Works without scripts");
    await page.getByRole("button", { name: "Add" }).click();
    await expect(todoItem(page, "Works without scripts")).toHaveCount(1);
    await todoItem(page, "Works without scripts").getByRole("button", { name: "Complete" }).click();
    await expect(todoItem(page, "Works without scripts")).toHaveAttribute("data-completed", "true");
    await todoItem(page, "Works without scripts").getByRole("button", { name: "Delete" }).click();
    await expect(todoItem(page, "Works without scripts")).toHaveCount(0);
    await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: "Log out" }).click();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Log in" })).toBeVisible();

    // No page views (the tracker is a script), every action still on the record.
    await expect
      .poll(async () => multiset(await eventsOf(email)), { timeout: PIPELINE_TIMEOUT_MS })
      .toEqual(
        multiset([
          { action: "register", what: "register" },
          { action: "login", what: "login" },
          { action: "create", what: "Works without scripts" },
          { action: "complete", what: "Works without scripts" },
          { action: "delete", what: "Works without scripts" },
          { action: "logout", what: "logout" },
        ]),
      );
  });
});
