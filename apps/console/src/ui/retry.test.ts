import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { isPassingFault, retryQuery } from "./retry.js";

/** A tRPC client error as the server's errorFormatter shapes it. */
function answered(httpStatus: number, errorCode: string) {
  const data = { httpStatus, code: errorCode };
  const shape = { code: -32600, errorCode, message: "fake", details: {}, data };
  return TRPCClientError.from({ error: shape });
}

describe("retryQuery", () => {
  it("asks again after a network failure and a server fault", () => {
    expect(isPassingFault(TRPCClientError.from(new TypeError("Failed to fetch")))).toBe(true);
    expect(isPassingFault(answered(500, "INTERNAL_SERVER_ERROR"))).toBe(true);
    expect(isPassingFault(answered(503, "UNAVAILABLE"))).toBe(true);
    expect(retryQuery(0, answered(500, "INTERNAL_SERVER_ERROR"))).toBe(true);
    expect(retryQuery(2, answered(500, "INTERNAL_SERVER_ERROR"))).toBe(false);
  });

  it("never asks again after a refusal", () => {
    for (const [status, code] of [
      [401, "UNAUTHORIZED"],
      [403, "FORBIDDEN"],
      [404, "NOT_FOUND"],
      [400, "INVALID_REQUEST"],
      [429, "RATE_LIMITED"],
    ] as const)
      expect(retryQuery(0, answered(status, code))).toBe(false);
  });
});
