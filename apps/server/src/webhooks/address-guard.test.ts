import { describe, expect, it } from "vitest";
import { bareAddress, createAddressGuard, parseCidr, refusedRange } from "./address-guard.js";

describe("refusedRange", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::127.0.0.1", "ipv4-compatible"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:192.168.0.1", "private"],
    ["169.254.169.254", "link-local"],
    ["::ffff:169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["0.0.0.0", "this-network"],
    ["0.1.2.3", "this-network"],
    ["::", "unspecified"],
    ["100.64.0.1", "shared"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["localhost", "not-an-address"],
  ])("%s is refused as %s", (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.15.255.255",
    "172.32.0.0",
    "192.169.0.1",
    "169.255.0.1",
    "100.128.0.1",
    "11.0.0.1",
    "::ffff:8.8.8.8",
    "2606:4700:4700::1111",
    "2001:db8::1",
    "fbff::1",
    "fe00::1",
  ])("%s is public", (address) => {
    expect(refusedRange(address)).toBeUndefined();
  });
});

describe("createAddressGuard", () => {
  it("lets through what the allow-list names, in IPv4 and IPv4-mapped form, and no more", () => {
    const guard = createAddressGuard(["127.0.0.1/32", "10.20.0.0/16", "fd00::5"]);
    expect(guard.refusal("127.0.0.1")).toBeUndefined();
    expect(guard.refusal("::ffff:127.0.0.1")).toBeUndefined();
    expect(guard.refusal("127.0.0.2")).toBe("loopback");
    expect(guard.refusal("::1")).toBe("loopback");
    expect(guard.refusal("10.20.99.1")).toBeUndefined();
    expect(guard.refusal("10.21.0.1")).toBe("private");
    expect(guard.refusal("fd00::5")).toBeUndefined();
    expect(guard.refusal("fd00::6")).toBe("unique-local");
    expect(guard.refusal("8.8.8.8")).toBeUndefined();
  });

  it("refuses every private range with an empty allow-list, and throws on a bad entry", () => {
    const guard = createAddressGuard([]);
    expect(guard.refusal("192.168.0.10")).toBe("private");
    expect(() => createAddressGuard(["10.0.0.0/33"])).toThrow(RangeError);
  });
});

describe("parseCidr and bareAddress", () => {
  it("reads CIDRs and single addresses, and nothing else", () => {
    expect(parseCidr("10.0.0.0/8")).toEqual({ network: "10.0.0.0", prefix: 8, family: "ipv4" });
    expect(parseCidr("::1")).toEqual({ network: "::1", prefix: 128, family: "ipv6" });
    expect(parseCidr(" 127.0.0.1 ")).toEqual({ network: "127.0.0.1", prefix: 32, family: "ipv4" });
    for (const bad of [
      "10.0.0.0/33",
      "fd00::/129",
      "10.0.0/8",
      "10.0.0.0/8/8",
      "/8",
      "x",
      "",
      "10.0.0.0/",
    ]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });

  it("strips brackets and a zone", () => {
    expect(bareAddress("[fe80::1]")).toBe("fe80::1");
    expect(bareAddress("fe80::1%eth0")).toBe("fe80::1");
    expect(bareAddress("example.com")).toBe("example.com");
  });
});
