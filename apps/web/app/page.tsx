import Link from "next/link";

export default function HomePage() {
  return (
    <>
      <h1>TaskFlow</h1>
      <p>
        Plan your tasks and run your workflows. Every page you open is recorded as an interaction event that travels
        through Kafka into Cassandra, where the analytics read it.
      </p>
      <p>
        <Link href="/about">About TaskFlow →</Link>
      </p>
    </>
  );
}
