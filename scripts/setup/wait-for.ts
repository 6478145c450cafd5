/** An error that waiting cannot cure (e.g. a connector task FAILED): waitFor rethrows it at once. */
export class FatalSetupError extends Error {
  override name = "FatalSetupError";
}

/** Polls `check` until it resolves true, printing progress, or throws after `timeoutMs`. */
export async function waitFor(
  label: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 1000,
): Promise<void> {
  const started = Date.now();
  let lastError = "";
  let announced = false;
  for (;;) {
    try {
      if (await check()) {
        console.log(`  ${label}: ready (${((Date.now() - started) / 1000).toFixed(1)}s)`);
        return;
      }
    } catch (error) {
      if (error instanceof FatalSetupError) throw error;
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${label} not ready after ${timeoutMs / 1000}s${lastError ? `: ${lastError}` : ""}`);
    }
    if (!announced) {
      console.log(`  ${label}: waiting…`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
