import { expect, test, type Page } from "@playwright/test";
import type cassandra from "cassandra-driver";
import { connectE2eCassandra } from "./cassandra.ts";

/**
 * The seed's promise, end to end: a page view in a real browser becomes an
 * InteractionEvent on Kafka, and Kafka Connect writes it to both Cassandra tables.
 * Needs the stack up and bootstrapped (scripts/setup-kafka.sh) and a built app.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PIPELINE_TIMEOUT_MS = 20_000;

let client: cassandra.Client;

test.beforeAll(async () => {
  client = await connectE2eCassandra();
});

test.afterAll(async () => {
  await client?.shutdown();
});

/** Waits until the tracker reports the view of `path`, and returns its event id. */
async function trackedEventId(page: Page, path: string): Promise<string> {
  const marker = page.getByTestId("page-view-tracker");
  await expect(marker).toHaveAttribute("data-last-path", path);
  // Kafka acknowledged it (acks = all) within TRACKING_SEND_TIMEOUT_MS.
  await expect(marker).toHaveAttribute("data-delivered", "true");
  const eventId = await marker.getAttribute("data-last-event-id");
  expect(eventId).toMatch(UUID);
  return eventId!;
}

interface InteractionRow {
  id: string;
  action: string;
  who: string;
  what: string;
  time: Date;
}

/** The row of `id` in taskflow.interactions, polled until the sink wrote it. */
async function interactionRow(id: string): Promise<InteractionRow> {
  let row: InteractionRow | undefined;
  await expect
    .poll(
      async () => {
        const result = await client.execute("SELECT id, action, who, what, time FROM taskflow.interactions WHERE id = ?", [id], { prepare: true });
        row = result.first() as unknown as InteractionRow | undefined;
        return row?.id;
      },
      { timeout: PIPELINE_TIMEOUT_MS, message: `taskflow.interactions has no row ${id}` },
    )
    .toBe(id);
  return row!;
}

/** The same event in taskflow.interactions_by_day, looked up by its full primary key. */
async function dayRow(day: string, time: Date, id: string): Promise<InteractionRow | undefined> {
  let row: InteractionRow | undefined;
  await expect
    .poll(
      async () => {
        const result = await client.execute(
          "SELECT id, action, who, what, time FROM taskflow.interactions_by_day WHERE day = ? AND time = ? AND id = ?",
          [day, time, id],
          { prepare: true },
        );
        row = result.first() as unknown as InteractionRow | undefined;
        return row?.id;
      },
      { timeout: PIPELINE_TIMEOUT_MS, message: `taskflow.interactions_by_day has no row ${id} on ${day}` },
    )
    .toBe(id);
  return row;
}

const utcDay = (date: Date) => date.toISOString().slice(0, 10);

test("page views travel from the browser through Kafka to Cassandra", async ({ page }) => {
  const daysOfTheTest = new Set([utcDay(new Date())]);

  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "TaskFlow" })).toBeVisible();
  const homeViewId = await trackedEventId(page, "/");

  await page.getByRole("link", { name: /about/i }).click();
  await expect(page).toHaveURL(/\/about$/);
  await expect(page.getByRole("heading", { level: 1, name: "About" })).toBeVisible();
  const aboutViewId = await trackedEventId(page, "/about");
  expect(aboutViewId).not.toBe(homeViewId);
  daysOfTheTest.add(utcDay(new Date())); // the test may straddle midnight UTC

  for (const [eventId, path] of [
    [homeViewId, "/"],
    [aboutViewId, "/about"],
  ] as const) {
    const row = await interactionRow(eventId);
    expect(row).toMatchObject({ id: eventId, action: "view", who: "anonymous", what: path });
    const day = utcDay(row.time);
    expect(daysOfTheTest).toContain(day);

    const byDay = await dayRow(day, row.time, eventId);
    expect(byDay).toMatchObject({ id: eventId, action: "view", who: "anonymous", what: path });
  }
});
