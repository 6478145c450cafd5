import Link from "next/link";

export default function HomePage() {
  return (
    <>
      <h1>TaskFlow</h1>
      <p className="lead">
        Plan your tasks and run your workflows. Every page you open and every change you make is recorded as an
        interaction event that travels through Kafka into Cassandra, where the analytics read it.
      </p>
      <p className="actions">
        <Link href="/register" className="button">
          Create an account
        </Link>
        <Link href="/todos">Go to your todos →</Link>
      </p>
    </>
  );
}
