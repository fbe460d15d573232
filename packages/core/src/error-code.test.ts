import { describe, expect, it } from "vitest";
import { safeErrorCode } from "./error-code.js";

describe("safeErrorCode", () => {
  it("finds a code on the error or a cause, and nothing that is not code-shaped", () => {
    expect(safeErrorCode(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe(
      "ECONNREFUSED",
    );
    const wrapped = new Error("fetch failed", { cause: { code: "UND_ERR_SOCKET" } });
    expect(safeErrorCode(wrapped)).toBe("UND_ERR_SOCKET");
    expect(safeErrorCode({ code: "token=fake-secret-value" })).toBe("UNKNOWN");
    expect(safeErrorCode("ECONNRESET")).toBe("UNKNOWN");
    expect(safeErrorCode(null)).toBe("UNKNOWN");
  });
});
