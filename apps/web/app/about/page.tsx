import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "About" };

export default function AboutPage() {
  return (
    <>
      <h1>About</h1>
      <p>
        TaskFlow records interactions as Avro events on the <code>taskflow-interactions</code> topic. Kafka Connect
        writes them to Cassandra tables keyed by event and by day.
      </p>
      <p>
        <Link href="/">← Back home</Link>
      </p>
    </>
  );
}
