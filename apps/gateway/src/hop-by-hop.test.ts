import { describe, expect, it } from "vitest";
import { connectionTokens, stripHopByHop } from "./hop-by-hop.js";

describe("stripHopByHop", () => {
  it("drops the RFC 9110 hop-by-hop headers and keeps end-to-end ones", () => {
    const out = stripHopByHop({
      connection: "keep-alive",
      "keep-alive": "timeout=5",
      "proxy-authenticate": "Basic",
      "proxy-authorization": "Basic eA==",
      "proxy-connection": "keep-alive",
      te: "trailers",
      trailer: "x-checksum",
      "transfer-encoding": "chunked",
      upgrade: "h2c",
      "content-type": "text/plain",
      "set-cookie": ["a=1", "b=2"],
      "content-length": 12,
      authorization: "Bearer x",
    });
    expect(out).toEqual({
      "content-type": "text/plain",
      "set-cookie": ["a=1", "b=2"],
      "content-length": "12",
      authorization: "Bearer x",
    });
  });

  it("drops the headers the Connection header names, in any case and spacing", () => {
    const out = stripHopByHop({
      connection: ["close ,X-Foo", " x-bar"],
      "x-foo": "1",
      "x-bar": "2",
      "x-baz": "3",
    });
    expect(out).toEqual({ "x-baz": "3" });
  });

  it("keeps the names in keep even when the Connection header names them", () => {
    const out = stripHopByHop(
      { connection: "Authorization, x-foo", authorization: "Bearer x", "x-foo": "1" },
      undefined,
      new Set(["authorization"]),
    );
    expect(out).toEqual({ authorization: "Bearer x" });
  });

  it("drops extra names on request, and skips undefined values", () => {
    expect(
      stripHopByHop(
        { host: "a", expect: "100-continue", accept: undefined, x: "1" },
        new Set(["host", "expect"]),
      ),
    ).toEqual({ x: "1" });
  });

  it("does not change its input", () => {
    const input = { connection: "x-a", "x-a": "1", b: "2" };
    stripHopByHop(input);
    expect(input).toEqual({ connection: "x-a", "x-a": "1", b: "2" });
  });
});

describe("connectionTokens", () => {
  it("reads a comma list, lowercased, empty items skipped", () => {
    expect([...connectionTokens("Keep-Alive, ,Upgrade")]).toEqual(["keep-alive", "upgrade"]);
    expect(connectionTokens(undefined).size).toBe(0);
  });
});
