import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { RegisterForm } from "../../components/auth/register-form";
import { getCurrentUser } from "../../lib/auth/current-user";

export const metadata: Metadata = { title: "Register" };

export default async function RegisterPage() {
  if (await getCurrentUser()) redirect("/todos");
  return (
    <>
      <h1>Create your account</h1>
      <RegisterForm />
      <p>
        Already have an account? <Link href="/login">Log in</Link>
      </p>
    </>
  );
}
