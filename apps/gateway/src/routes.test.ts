import { describe, expect, it } from "vitest";
import { createRouteTable, isForwardablePath, upstreamPath } from "./routes.js";

describe("createRouteTable", () => {
  const table = createRouteTable([{ path: "/openai" }, { path: "/openai/v2" }, { path: "/maps" }]);

  it.each([
    ["/openai", "/openai", ""],
    ["/openai/", "/openai", "/"],
    ["/openai/chat/completions", "/openai", "/chat/completions"],
    ["/openai/v2", "/openai/v2", ""],
    ["/openai/v2/x", "/openai/v2", "/x"],
    ["/openai/v2x", "/openai", "/v2x"],
    ["/maps/a", "/maps", "/a"],
  ])("%s → route %s, rest %j", (pathname, route, rest) => {
    expect(table.match(pathname)).toEqual({ route: { path: route }, rest });
  });

  it.each(["/openaix", "/open", "/", "/mapsx/a", "/OPENAI", ""])("%j matches nothing", (p) => {
    expect(table.match(p)).toBeUndefined();
  });

  it("a route at / catches what no longer prefix takes", () => {
    const withRoot = createRouteTable([{ path: "/" }, { path: "/a" }]);
    expect(withRoot.match("/a/b")).toEqual({ route: { path: "/a" }, rest: "/b" });
    expect(withRoot.match("/ab")).toEqual({ route: { path: "/" }, rest: "/ab" });
    expect(withRoot.match("/")).toEqual({ route: { path: "/" }, rest: "/" });
  });
});

describe("isForwardablePath", () => {
  it.each([
    ["/a/b", true],
    ["/", true],
    ["/a/...", true],
    ["/a/.hidden", true],
    ["/a/..b", true],
    ["/a/../b", false],
    ["/a/./b", false],
    ["/a/..", false],
    ["/a/%2e%2E/b", false],
    ["/a/.%2e", false],
    ["/a/%2E", false],
    ["http://evil.example/a", false],
    ["*", false],
    ["/a/..%2fb", false],
    ["/projects/group%2Fproject", true],
    ["/a/%2F..%2Fb", false],
    ["/a/..%5cb", false],
    ["/a/..\\b", false],
  ])("%s → %s", (p, ok) => {
    expect(isForwardablePath(p)).toBe(ok);
  });
});

describe("upstreamPath", () => {
  it.each([
    ["/", "", "/"],
    ["/", "/x", "/x"],
    ["/v1", "", "/v1"],
    ["/v1", "/", "/v1/"],
    ["/v1", "/chat", "/v1/chat"],
    ["/v1/", "", "/v1/"],
    ["/v1/", "/chat", "/v1/chat"],
  ])("base %s + rest %j → %s", (base, rest, out) => {
    expect(upstreamPath(base, rest)).toBe(out);
  });
});
