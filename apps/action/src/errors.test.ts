import { CofferError } from "@coffer/core";
import { describe, expect, it } from "vitest";
import { ActionError, calling, failureMessage } from "./errors.js";

describe("failureMessage", () => {
  it("shows an Error's message and never stringifies anything else", () => {
    expect(failureMessage(new ActionError("files line 1: cannot write /x"))).toBe(
      "files line 1: cannot write /x",
    );
    for (const thrown of ["fake-thrown-value", { value: "fake-value" }, 42, undefined]) {
      expect(failureMessage(thrown)).toBe(
        "the action stopped on an unexpected failure (a non-Error was thrown; not shown)",
      );
    }
  });
});

describe("calling", () => {
  it("says what was being done, with the server's message and code", async () => {
    const refused = calling("reading the secrets failed", () =>
      Promise.reject(new CofferError("UNAUTHORIZED", "the token has expired")),
    );
    await expect(refused).rejects.toThrow(ActionError);
    await expect(refused).rejects.toThrow(
      "reading the secrets failed: the token has expired (UNAUTHORIZED)",
    );
    await expect(calling("x", () => Promise.resolve(7))).resolves.toBe(7);
  });
});
