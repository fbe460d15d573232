/**
 * Which addresses an outbound webhook may connect to (SPEC §12): none in loopback, private,
 * link-local, unique-local, unspecified, shared, multicast or reserved ranges, in IPv4, IPv6 or
 * IPv4-mapped IPv6 form, unless the operator's allow-list (COFFER_HOOK_ALLOW_CIDRS) names it.
 * Pure: outbound.ts applies it to the address a socket actually connects to.
 */
import { BlockList, isIP } from "node:net";

type Family = "ipv4" | "ipv6";

/**
 * Range name, network, prefix length; the first name that matches is the one reported. Node's
 * BlockList matches an IPv4 range against its IPv4-mapped IPv6 forms (`::ffff:127.0.0.1`,
 * `::ffff:7f00:1`) too; the deprecated IPv4-compatible forms (`::127.0.0.1`) are refused whole.
 */
const REFUSED_RANGES: readonly (readonly [string, string, number])[] = [
  ["this-network", "0.0.0.0", 8],
  ["private", "10.0.0.0", 8],
  ["shared", "100.64.0.0", 10],
  ["loopback", "127.0.0.0", 8],
  ["link-local", "169.254.0.0", 16],
  ["private", "172.16.0.0", 12],
  ["private", "192.168.0.0", 16],
  ["multicast", "224.0.0.0", 4],
  ["reserved", "240.0.0.0", 4],
  ["unspecified", "::", 128],
  ["loopback", "::1", 128],
  ["ipv4-compatible", "::", 96],
  ["unique-local", "fc00::", 7],
  ["link-local", "fe80::", 10],
  ["site-local", "fec0::", 10],
  ["multicast", "ff00::", 8],
];

const familyOf = (address: string): Family | undefined => {
  const version = isIP(address);
  return version === 4 ? "ipv4" : version === 6 ? "ipv6" : undefined;
};

/** `[::1]` (a URL's hostname) and `fe80::1%eth0` (a zone) to the bare address. */
export function bareAddress(host: string): string {
  const unbracketed = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const zone = unbracketed.indexOf("%");
  return zone >= 0 && isIP(unbracketed) === 6 ? unbracketed.slice(0, zone) : unbracketed;
}

interface Cidr {
  network: string;
  prefix: number;
  family: Family;
}

/** `10.0.0.0/8`, `fd00::/8` or a single address (a /32 or /128); undefined if neither. */
export function parseCidr(text: string): Cidr | undefined {
  const [network = "", bits, ...rest] = text.trim().split("/");
  const family = familyOf(network);
  if (family === undefined || rest.length > 0) return undefined;
  const max = family === "ipv4" ? 32 : 128;
  if (bits === undefined) return { network, prefix: max, family };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  return { network, prefix: Number(bits), family };
}

const refusedLists: ReadonlyMap<string, BlockList> = (() => {
  const lists = new Map<string, BlockList>();
  for (const [name, network, prefix] of REFUSED_RANGES) {
    const list = lists.get(name) ?? new BlockList();
    list.addSubnet(network, prefix, familyOf(network));
    lists.set(name, list);
  }
  return lists;
})();

/** The refused range `address` lies in, or undefined for a public address. */
export function refusedRange(address: string): string | undefined {
  const bare = bareAddress(address);
  const family = familyOf(bare);
  if (family === undefined) return "not-an-address";
  for (const [name, list] of refusedLists) if (list.check(bare, family)) return name;
  return undefined;
}

export interface AddressGuard {
  /** Why a connection to `address` is refused (the range's name), or undefined if it may go. */
  refusal(address: string): string | undefined;
}

/**
 * A guard that lets through public addresses and those the allow-list names. Throws a
 * RangeError for an entry that is not a CIDR or an address (env.ts checks them first).
 */
export function createAddressGuard(allowCidrs: readonly string[]): AddressGuard {
  const allowed = new BlockList();
  for (const entry of allowCidrs) {
    const cidr = parseCidr(entry);
    if (cidr === undefined) throw new RangeError("an allowed CIDR is malformed");
    allowed.addSubnet(cidr.network, cidr.prefix, cidr.family);
  }
  return {
    refusal(address) {
      const range = refusedRange(address);
      if (range === undefined || range === "not-an-address") return range;
      const bare = bareAddress(address);
      return allowed.check(bare, familyOf(bare)) ? undefined : range;
    },
  };
}
