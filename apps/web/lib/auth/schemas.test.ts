import { describe, expect, it } from "vitest";
import { z } from "zod";
import { logInInputSchema, registerInputSchema } from "./schemas";

function errorsOf(result: { success: boolean; error?: z.ZodError }): Record<string, string[] | undefined> {
  return result.error ? z.flattenError(result.error).fieldErrors : {};
}

const localPart = (length: number) => "a".repeat(length);

describe("registerInputSchema", () => {
  it("accepts an e-mail and a password, trimming and lower-casing the e-mail", () => {
    const result = registerInputSchema.safeParse({ email: "  Ada.Lovelace@Example.COM ", password: "analytical engine" });
    expect(result.success && result.data).toEqual({ email: "ada.lovelace@example.com", password: "analytical engine" });
  });

  it("keeps the password exactly as typed (spaces are password characters)", () => {
    const result = registerInputSchema.safeParse({ email: "a@example.com", password: "  spaced  " });
    expect(result.success && result.data.password).toBe("  spaced  ");
  });

  it.each([
    ["a missing e-mail", { password: "long enough" }, "email", "Enter your e-mail address."],
    ["a blank e-mail", { email: "   ", password: "long enough" }, "email", "Enter your e-mail address."],
    ["an e-mail without a domain", { email: "ada@", password: "long enough" }, "email", "Enter a valid e-mail address, like name@example.com."],
    ["an e-mail without a top-level domain", { email: "ada@localhost", password: "long enough" }, "email", "Enter a valid e-mail address, like name@example.com."],
    ["markup instead of an e-mail", { email: "<script>@x.com", password: "long enough" }, "email", "Enter a valid e-mail address, like name@example.com."],
    ["a 255-character e-mail", { email: `${localPart(243)}@example.com`, password: "long enough" }, "email", "E-mail addresses have at most 254 characters."],
    ["a 7-character password", { email: "a@example.com", password: "1234567" }, "password", "Use at least 8 characters."],
    ["a 129-character password", { email: "a@example.com", password: "p".repeat(129) }, "password", "Use at most 128 characters."],
    ["a missing password", { email: "a@example.com" }, "password", "Choose a password."],
    ["a password that is not text", { email: "a@example.com", password: 12345678 }, "password", "Choose a password."],
  ])("refuses %s with a message for that field", (_label, input, field, message) => {
    const result = registerInputSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(errorsOf(result)[field]?.[0]).toBe(message);
  });

  it("accepts the bounds themselves: a 254-character e-mail, 8- and 128-character passwords", () => {
    const email = `${localPart(242)}@example.com`;
    expect(email).toHaveLength(254);
    expect(registerInputSchema.safeParse({ email, password: "12345678" }).success).toBe(true);
    expect(registerInputSchema.safeParse({ email, password: "p".repeat(128) }).success).toBe(true);
  });
});

describe("logInInputSchema", () => {
  it("does not hold the password to the sign-up rules, only to its bounds", () => {
    expect(logInInputSchema.safeParse({ email: "a@example.com", password: "short" }).success).toBe(true);
    expect(errorsOf(logInInputSchema.safeParse({ email: "a@example.com", password: "" })).password).toEqual(["Enter your password."]);
    expect(errorsOf(logInInputSchema.safeParse({ email: "a@example.com", password: "p".repeat(129) })).password).toEqual([
      "Passwords have at most 128 characters.",
    ]);
  });

  it("normalizes the e-mail like registration does, so any capitalization logs in", () => {
    const result = logInInputSchema.safeParse({ email: " ADA@example.com", password: "x" });
    expect(result.success && result.data.email).toBe("ada@example.com");
  });
});
