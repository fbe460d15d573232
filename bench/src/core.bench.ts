/**
 * core benchmark (issue 2): envelope seal/open of 64 B and 4 KiB values against raw
 * node:crypto AES-256-GCM on the same input, and reference parsing throughput.
 * Run: `pnpm bench` from the repository root.
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";
import {
  findVaultReferences,
  Keyring,
  openWithDataKey,
  parseSecretUri,
  parseTemplate,
  parseVaultReference,
  sealValue,
  unwrapDataKey,
  type VersionContext,
} from "@coffer/core";
import { printPairs, runPairs, runThroughput, type Pair } from "./report.js";

const keyring = new Keyring("default", [randomBytes(32)]);
keyring.createProtectionKey("pk_bench");
const ctx: VersionContext = { org: "default", owner: "ml", name: "openai_key", version: 7 };

const rawKey = createSecretKey(randomBytes(32));

function rawEncrypt(plain: Buffer): { iv: Buffer; ct: Buffer; tag: Buffer } {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", rawKey, iv);
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { iv, ct, tag: cipher.getAuthTag() };
}

function rawDecrypt(box: { iv: Buffer; ct: Buffer; tag: Buffer }): string {
  const decipher = createDecipheriv("aes-256-gcm", rawKey, box.iv);
  decipher.setAuthTag(box.tag);
  return Buffer.concat([decipher.update(box.ct), decipher.final()]).toString("utf8");
}

const pairs: Pair[] = [];
const coldPairs: Pair[] = [];
for (const [label, size] of [
  ["64 B", 64],
  ["4 KiB", 4096],
] as const) {
  const value = "v".repeat(size);
  const plain = Buffer.from(value, "utf8");
  const sealed = keyring.seal(value, ctx, "pk_bench");
  const box = rawEncrypt(plain);
  if (keyring.open(sealed, ctx) !== value || rawDecrypt(box) !== value)
    throw new Error("self-check failed");
  pairs.push({
    name: `seal ${label}`,
    baseline: { name: `raw encrypt ${label}`, fn: () => rawEncrypt(Buffer.from(value, "utf8")) },
    candidate: { name: `envelope seal ${label}`, fn: () => keyring.seal(value, ctx, "pk_bench") },
  });
  pairs.push({
    name: `open ${label} (warm keys)`,
    baseline: { name: `raw decrypt ${label}`, fn: () => rawDecrypt(box) },
    candidate: { name: `envelope open ${label}`, fn: () => keyring.open(sealed, ctx) },
    target: 0.8,
  });
  const protectionKey = { id: "pk_bench_cold", key: createSecretKey(randomBytes(32)) };
  const coldSealed = sealValue(value, ctx, protectionKey);
  coldPairs.push({
    name: `open ${label} (data key unwrapped every time)`,
    baseline: { name: `raw decrypt ${label}`, fn: () => rawDecrypt(box) },
    candidate: {
      name: `envelope open cold ${label}`,
      fn: () => openWithDataKey(coldSealed, ctx, unwrapDataKey(coldSealed, ctx, protectionKey)),
    },
  });
}

const references = [
  "{vault://coffer/ml/openai_key}",
  "{vault://env/my-secret/key?prefix=app-&ttl=30}",
  "{vault://coffer/ml/db_creds/username?stage=previous&ttl=60&resurrect_ttl=3600}",
];
const header = "Bearer {vault://coffer/ml/openai_key} and {vault://env/region}";

console.log("Coffer core benchmark");
printPairs("Envelope encryption against raw AES-256-GCM", await runPairs(pairs));
printPairs("Cold open (no data-key cache), for reference", await runPairs(coldPairs));
await runThroughput("Reference parsing", [
  {
    name: "parseVaultReference (3 typical references)",
    fn: () => references.map((r) => parseVaultReference(r)),
  },
  { name: "findVaultReferences in a header with 2", fn: () => findVaultReferences(header) },
  { name: "parseSecretUri", fn: () => parseSecretUri("secret://default/ml/openai_key#12") },
  {
    name: "parseTemplate with 2 references",
    fn: () => parseTemplate('{"key":"${ml/openai_key}","u":"${db/creds/user}"}'),
  },
]);
