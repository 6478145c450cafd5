"use client";

/**
 * Shown when a page fails on the server (e.g. Cassandra is unreachable). The
 * details stay in the server log; production sends only a digest to match them.
 */
export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <>
      <h1>Something went wrong</h1>
      <p>This page could not be loaded just now. Please try again in a moment.</p>
      {digest ? <p className="muted">Reference: {digest}</p> : null}
      <button type="button" onClick={() => retry()}>
        Try again
      </button>
    </>
  );
}
