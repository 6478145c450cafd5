import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { LoginForm } from "../../components/auth/login-form";
import { getCurrentUser } from "../../lib/auth/current-user";

export const metadata: Metadata = { title: "Log in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  if (await getCurrentUser()) redirect("/todos");
  const { registered } = await searchParams;
  return (
    <>
      <h1>Log in</h1>
      {registered === "1" ? (
        <p className="notice" role="status">
          Your account is ready. Log in with your e-mail and password.
        </p>
      ) : null}
      <LoginForm />
      <p>
        New to TaskFlow? <Link href="/register">Create an account</Link>
      </p>
    </>
  );
}
