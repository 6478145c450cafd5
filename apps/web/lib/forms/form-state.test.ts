import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldErrorsOf, formFields } from "./form-state";

describe("formFields", () => {
  it("reads the named text fields of a FormData and ignores the rest", () => {
    const data = new FormData();
    data.set("email", "a@example.com");
    data.set("extra", "ignored");
    expect(formFields(data, ["email", "password"])).toEqual({ email: "a@example.com", password: undefined });
  });

  it("turns a file into undefined (for the schema to refuse)", () => {
    const data = new FormData();
    data.set("title", new Blob(["x"]), "x.txt");
    expect(formFields(data, ["title"])).toEqual({ title: undefined });
  });

  it("copes with a caller that posts something other than a FormData", () => {
    expect(formFields({ email: "a@example.com" }, ["email"])).toEqual({ email: undefined });
    expect(formFields(null, ["email"])).toEqual({ email: undefined });
  });
});

describe("fieldErrorsOf", () => {
  it("keeps the first message of each field", () => {
    const schema = z.object({ a: z.string().min(3, "too short").regex(/x/, "needs an x"), b: z.string("missing") });
    const result = schema.safeParse({ a: "y" });
    expect(fieldErrorsOf(result.error!)).toEqual({ a: "too short", b: "missing" });
  });
});
