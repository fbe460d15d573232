import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CONTENT_SHA256_HEADER,
  MAX_CLOCK_SKEW_MS,
  MemoryReplayStore,
  SIGNATURE_HEADERS,
  isWellFormedAccessKeySecret,
  mintAccessKey,
  signRequest,
  stringToSign,
  verifySignedRequest,
  type MintedAccessKey,
  type ReplayStore,
  type RequestToSign,
  type SignedRequest,
  type VerifySignatureDeps,
} from "./access-key.js";
import { expectCofferError, expectNotLeaking } from "./test-errors.js";

const KEY = mintAccessKey();
const OTHER_KEY = mintAccessKey();
const UNKNOWN_KEY = mintAccessKey();
const SECRETS = new Map([
  [KEY.accessKeyId, KEY.secret],
  [OTHER_KEY.accessKeyId, OTHER_KEY.secret],
]);
const REQUEST = { method: "POST", pathAndQuery: "/trpc/secret.reveal?input=%7B%22n%22%3A1%7D" };

/** Deps with an in-memory secret lookup; `now` defaults to the real clock, as in production. */
function deps(
  options: { now?: number; store?: ReplayStore; lookup?: "sync" | "async" } = {},
): VerifySignatureDeps {
  const secretFor =
    options.lookup === "async"
      ? (id: string): Promise<string | undefined> => Promise.resolve(SECRETS.get(id))
      : (id: string): string | undefined => SECRETS.get(id);
  return {
    secretFor,
    replayStore: options.store ?? new MemoryReplayStore(),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
}

function signed(
  request: RequestToSign = REQUEST,
  key: MintedAccessKey = KEY,
  now = Date.now(),
): SignedRequest & { headers: Record<string, string> } {
  return { ...request, headers: signRequest(request, key, now) };
}

async function expectRefused(
  promise: Promise<unknown>,
  reason: string,
  secret: string = KEY.secret,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, `expected refusal with reason ${reason}`).toBeDefined();
  const coffer = expectCofferError(error, "UNAUTHORIZED", reason);
  expectNotLeaking(coffer, secret);
}

describe("access keys: minting and the string to sign", () => {
  it("mints a cfk_ id of 20 base62 characters and a well-formed cfs_ secret", () => {
    const keys = Array.from({ length: 200 }, () => mintAccessKey());
    for (const key of keys) {
      expect(key.accessKeyId).toMatch(/^cfk_[0-9A-Za-z]{20}$/);
      expect(key.secret).toMatch(/^cfs_[0-9A-Za-z]{49}$/);
      expect(isWellFormedAccessKeySecret(key.secret)).toBe(true);
    }
    expect(new Set(keys.map((k) => k.accessKeyId)).size).toBe(200);
    expect(new Set(keys.map((k) => k.secret)).size).toBe(200);
    expect(isWellFormedAccessKeySecret(KEY.secret.slice(0, -1) + "!")).toBe(false);
  });

  it("signs METHOD + ' ' + PATH_AND_QUERY + '\\n' + TIMESTAMP + '\\n' + ACCESS_KEY (SPEC §4)", () => {
    expect(stringToSign("get", "/a?b=1", "1700000000000", "cfk_x")).toBe(
      "GET /a?b=1\n1700000000000\ncfk_x",
    );
    const now = 1_700_000_000_123;
    const headers = signRequest(REQUEST, KEY, now);
    const text = `POST ${REQUEST.pathAndQuery}\n${now}\n${KEY.accessKeyId}`;
    expect(headers).toEqual({
      "x-coffer-timestamp": String(now),
      "x-coffer-access-key": KEY.accessKeyId,
      "x-coffer-signature": createHmac("sha256", KEY.secret).update(text).digest("base64"),
    });
    expect(Object.values(SIGNATURE_HEADERS).sort()).toEqual(Object.keys(headers).sort());
    expect(JSON.stringify(headers)).not.toContain(KEY.secret);
  });

  it("with a body: sends its hex SHA-256 and signs it as a last line (SPEC §4)", () => {
    const now = 1_700_000_000_123;
    const body = '{"0":{"secret":"fake-é"}}';
    const hash = createHash("sha256").update(Buffer.from(body, "utf8")).digest("hex");
    expect(stringToSign("post", "/a", "1", "cfk_x", hash)).toBe(`POST /a\n1\ncfk_x\n${hash}`);
    const headers = signRequest({ ...REQUEST, body }, KEY, now);
    const text = `POST ${REQUEST.pathAndQuery}\n${now}\n${KEY.accessKeyId}\n${hash}`;
    expect(headers[CONTENT_SHA256_HEADER]).toBe(hash);
    expect(headers[SIGNATURE_HEADERS.signature]).toBe(
      createHmac("sha256", KEY.secret).update(text).digest("base64"),
    );
    // Bytes and the same text as UTF-8 sign alike; an empty body is no body.
    expect(signRequest({ ...REQUEST, body: Buffer.from(body) }, KEY, now)).toEqual(headers);
    expect(signRequest({ ...REQUEST, body: "" }, KEY, now)).toEqual(signRequest(REQUEST, KEY, now));
  });
});

describe("verifySignedRequest: the body", () => {
  const BODY = '{"0":{"secret":"admin/fake_key"}}';
  const withBody = signed({ ...REQUEST, body: BODY });

  it("a signed body verifies, as text or as the bytes received", async () => {
    await expect(verifySignedRequest(withBody, deps())).resolves.toEqual({
      accessKeyId: KEY.accessKeyId,
    });
    const again = signed({ ...REQUEST, body: Buffer.from(BODY) });
    await expect(verifySignedRequest(again, deps())).resolves.toBeDefined();
  });

  it("another body under a captured signature is refused", async () => {
    const tampered = { ...withBody, body: BODY.replace("fake_key", "other_key") };
    await expectRefused(verifySignedRequest(tampered, deps()), "body-mismatch");
    // Sending the new body's hash too does not help: the signature covers the hash.
    const rehashed = {
      ...tampered,
      headers: {
        ...withBody.headers,
        [CONTENT_SHA256_HEADER]: createHash("sha256").update(tampered.body).digest("hex"),
      },
    };
    await expectRefused(verifySignedRequest(rehashed, deps()), "bad-signature");
    // Nor does dropping the body (the hash is then checked against the empty body's).
    await expectRefused(
      verifySignedRequest({ ...withBody, body: undefined }, deps()),
      "body-mismatch",
    );
  });

  it("a body without the hash header is refused with a message that names it", async () => {
    // An old-style signature (the body not signed) on a request with a body.
    const oldStyle = { ...signed(REQUEST), body: BODY };
    const error = await verifySignedRequest(oldStyle, deps()).catch((e: unknown) => e);
    expect(expectCofferError(error, "UNAUTHORIZED", "missing-content-hash").message).toContain(
      CONTENT_SHA256_HEADER,
    );
    // The header added afterwards: the signature did not cover it.
    const hashAdded = {
      ...oldStyle,
      headers: {
        ...oldStyle.headers,
        [CONTENT_SHA256_HEADER]: withBody.headers[CONTENT_SHA256_HEADER],
      },
    };
    await expectRefused(verifySignedRequest(hashAdded, deps()), "bad-signature");
  });

  it("a malformed hash is refused before any key lookup", async () => {
    let lookups = 0;
    const counting = { ...deps(), secretFor: () => (lookups++, KEY.secret) };
    for (const bad of ["ABC", withBody.headers[CONTENT_SHA256_HEADER]!.toUpperCase()]) {
      const request = {
        ...withBody,
        headers: { ...withBody.headers, [CONTENT_SHA256_HEADER]: bad },
      };
      await expectRefused(verifySignedRequest(request, counting), "bad-content-hash");
    }
    expect(lookups).toBe(0);
  });
});

describe("verifySignedRequest", () => {
  it("property: a signed request verifies and returns its access key id", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "patch"),
        fc.webPath(),
        fc.option(fc.webQueryParameters(), { nil: undefined }),
        fc.constantFrom("sync", "async"),
        async (method, path, query, lookup) => {
          const request = { method, pathAndQuery: (path || "/") + (query ? `?${query}` : "") };
          const result = await verifySignedRequest(signed(request), deps({ lookup }));
          expect(result).toEqual({ accessKeyId: KEY.accessKeyId });
        },
      ),
    );
  });

  it("accepts header values given as arrays (Node's repeated headers)", async () => {
    const { headers } = signed();
    const asArrays = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
    await expect(verifySignedRequest({ ...REQUEST, headers: asArrays }, deps())).resolves.toEqual({
      accessKeyId: KEY.accessKeyId,
    });
  });

  describe("clock skew", () => {
    const T = 1_700_000_000_000;

    it.each([
      ["exactly 5 minutes late", MAX_CLOCK_SKEW_MS],
      ["exactly 5 minutes early", -MAX_CLOCK_SKEW_MS],
      ["on time", 0],
    ])("passes %s", async (_label, offset) => {
      await expect(
        verifySignedRequest(signed(REQUEST, KEY, T), deps({ now: T + offset })),
      ).resolves.toEqual({ accessKeyId: KEY.accessKeyId });
    });

    it("property: any skew within 5 minutes passes, any skew over fails with clock-skew", async () => {
      expect(MAX_CLOCK_SKEW_MS).toBe(300_000);
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: -MAX_CLOCK_SKEW_MS, max: MAX_CLOCK_SKEW_MS }),
          fc.integer({ min: MAX_CLOCK_SKEW_MS + 1, max: 10 * 365 * 86_400_000 }),
          fc.boolean(),
          async (within, over, early) => {
            await verifySignedRequest(signed(REQUEST, KEY, T), deps({ now: T + within }));
            await expectRefused(
              verifySignedRequest(
                signed(REQUEST, KEY, T),
                deps({ now: early ? T - over : T + over }),
              ),
              "clock-skew",
            );
          },
        ),
      );
    });

    it.each([["abc"], ["-1000"], ["1.7e12"], [" 1700000000000"], ["17000000000000000"], ["0x10"]])(
      "refuses a timestamp of %j with bad-timestamp",
      async (timestamp) => {
        const request = signed(REQUEST, KEY, T);
        request.headers[SIGNATURE_HEADERS.timestamp] = timestamp;
        await expectRefused(verifySignedRequest(request, deps({ now: T })), "bad-timestamp");
      },
    );
  });

  describe("tampering", () => {
    type Part = "method" | "path" | "query" | "timestamp" | "accessKey" | "signature";
    const change = fc.record({
      part: fc.constantFrom<Part>("method", "path", "query", "timestamp", "accessKey", "signature"),
      method: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "HEAD"),
      pathSuffix: fc.string({
        unit: fc.constantFrom("a", "/", "%", "2", "."),
        minLength: 1,
        maxLength: 5,
      }),
      query: fc.webQueryParameters(),
      delta: fc.integer({ min: -MAX_CLOCK_SKEW_MS, max: MAX_CLOCK_SKEW_MS }).filter((d) => d !== 0),
      otherKey: fc.constantFrom("known", "unknown"),
      signatureIndex: fc.nat({ max: 43 }),
      signatureChar: fc.constantFrom(
        ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
      ),
    });

    it("property: changing any part of a signed request makes it fail, and the real one still passes", async () => {
      await fc.assert(
        fc.asyncProperty(change, async (c) => {
          const now = Date.now();
          const genuine = signed(REQUEST, KEY, now);
          const tampered: SignedRequest & { headers: Record<string, string> } = {
            ...genuine,
            headers: { ...genuine.headers },
          };
          let reason = "bad-signature";
          const [path = "", query = ""] = REQUEST.pathAndQuery.split("?");
          switch (c.part) {
            case "method":
              tampered.method = c.method;
              break;
            case "path":
              tampered.pathAndQuery = `${path}${c.pathSuffix}?${query}`;
              break;
            case "query":
              fc.pre(c.query !== query);
              tampered.pathAndQuery = `${path}?${c.query}`;
              break;
            case "timestamp":
              tampered.headers[SIGNATURE_HEADERS.timestamp] = String(now + c.delta);
              break;
            case "accessKey":
              tampered.headers[SIGNATURE_HEADERS.accessKey] =
                c.otherKey === "known" ? OTHER_KEY.accessKeyId : UNKNOWN_KEY.accessKeyId;
              if (c.otherKey === "unknown") reason = "unknown-access-key";
              break;
            case "signature": {
              const signature = genuine.headers[SIGNATURE_HEADERS.signature] ?? "";
              fc.pre(signature[c.signatureIndex] !== c.signatureChar);
              tampered.headers[SIGNATURE_HEADERS.signature] =
                signature.slice(0, c.signatureIndex) +
                c.signatureChar +
                signature.slice(c.signatureIndex + 1);
              break;
            }
          }
          const store = new MemoryReplayStore();
          await expectRefused(verifySignedRequest(tampered, deps({ now, store })), reason);
          expect(store.size).toBe(0);
          await expect(verifySignedRequest(genuine, deps({ now, store }))).resolves.toEqual({
            accessKeyId: KEY.accessKeyId,
          });
          await expectRefused(verifySignedRequest(genuine, deps({ now, store })), "replay");
        }),
        { numRuns: 300 },
      );
    });

    it("a signature made with another key's secret fails", async () => {
      const forged = signed(REQUEST, { accessKeyId: KEY.accessKeyId, secret: OTHER_KEY.secret });
      await expectRefused(verifySignedRequest(forged, deps()), "bad-signature");
    });

    it("a truncated or re-padded signature fails", async () => {
      const request = signed();
      const signature = request.headers[SIGNATURE_HEADERS.signature] ?? "";
      for (const variant of [
        signature.slice(0, -1),
        signature.replace(/=$/, ""),
        `${signature}=`,
        "",
      ]) {
        const reason = variant === "" ? "missing-header" : "bad-signature";
        await expectRefused(
          verifySignedRequest(
            { ...request, headers: { ...request.headers, [SIGNATURE_HEADERS.signature]: variant } },
            deps(),
          ),
          reason,
        );
      }
    });
  });

  describe("replay", () => {
    it("the same headers twice: the second is refused with replay", async () => {
      const store = new MemoryReplayStore();
      const request = signed();
      await verifySignedRequest(request, deps({ store }));
      await expectRefused(verifySignedRequest(request, deps({ store })), "replay");
      // Another request at the same millisecond has another signature: not a replay.
      const sibling = signed(
        { ...REQUEST, pathAndQuery: "/trpc/secret.list" },
        KEY,
        Number(request.headers[SIGNATURE_HEADERS.timestamp]),
      );
      await expect(verifySignedRequest(sibling, deps({ store }))).resolves.toBeDefined();
    });

    it("a replay is refused for as long as the timestamp is accepted, up to the last millisecond", async () => {
      const T = 1_700_000_000_000;
      // The verifier hands its own clock to the store, so the two cannot disagree.
      const store = new MemoryReplayStore();
      const request = signed(REQUEST, KEY, T);
      await verifySignedRequest(request, deps({ now: T, store }));
      for (const at of [T + 1, T + MAX_CLOCK_SKEW_MS - 1, T + MAX_CLOCK_SKEW_MS]) {
        await expectRefused(verifySignedRequest(request, deps({ now: at, store })), "replay");
      }
      await expectRefused(
        verifySignedRequest(request, deps({ now: T + MAX_CLOCK_SKEW_MS + 1, store })),
        "clock-skew",
      );
    });

    it("a forged signature is not recorded: after failed attempts the real request still passes", async () => {
      const store = new MemoryReplayStore();
      const request = signed();
      const forged = {
        ...request,
        headers: {
          ...request.headers,
          [SIGNATURE_HEADERS.signature]: "ZmFrZS1zaWduYXR1cmUtZmFrZS1zaWduYXR1cmUtMTI=",
        },
      };
      for (let i = 0; i < 3; i++)
        await expectRefused(verifySignedRequest(forged, deps({ store })), "bad-signature");
      expect(store.size).toBe(0);
      // The real signature sent with another (unknown) key id is not recorded either.
      const wrongKey = {
        ...request,
        headers: { ...request.headers, [SIGNATURE_HEADERS.accessKey]: UNKNOWN_KEY.accessKeyId },
      };
      await expectRefused(verifySignedRequest(wrongKey, deps({ store })), "unknown-access-key");
      expect(store.size).toBe(0);
      await expect(verifySignedRequest(request, deps({ store }))).resolves.toEqual({
        accessKeyId: KEY.accessKeyId,
      });
      expect(store.size).toBe(1);
    });
  });

  it("refuses an unknown (or disabled) access key", async () => {
    await expectRefused(
      verifySignedRequest(signed(REQUEST, UNKNOWN_KEY), deps()),
      "unknown-access-key",
      UNKNOWN_KEY.secret,
    );
    await expectRefused(
      verifySignedRequest(signed(REQUEST, KEY), {
        ...deps(),
        secretFor: () => Promise.resolve(undefined),
      }),
      "unknown-access-key",
    );
  });

  it.each([
    ["cfk_short"],
    ["cfs_" + "A".repeat(20)],
    ["cfk_" + "A".repeat(19) + "-"],
    ["CFK_" + "A".repeat(20)],
  ])("refuses a malformed access key id %j without looking it up", async (accessKeyId) => {
    let lookups = 0;
    const counting: VerifySignatureDeps = {
      ...deps(),
      secretFor: () => {
        lookups++;
        return KEY.secret;
      },
    };
    const request = signed(REQUEST, { accessKeyId, secret: KEY.secret });
    await expectRefused(verifySignedRequest(request, counting), "bad-access-key");
    expect(lookups).toBe(0);
  });

  it.each(
    Object.values(SIGNATURE_HEADERS).flatMap((name) => [
      [name, "absent"],
      [name, "empty"],
    ]),
  )("refuses a request whose %s header is %s with missing-header", async (name, how) => {
    const request = signed();
    const headers: Record<string, string | undefined> = { ...request.headers };
    if (how === "absent") delete headers[name];
    else headers[name] = "";
    await expectRefused(verifySignedRequest({ ...REQUEST, headers }, deps()), "missing-header");
    await expectRefused(
      verifySignedRequest({ ...REQUEST, headers: { ...headers, [name]: [] } }, deps()),
      "missing-header",
    );
  });
});

describe("MemoryReplayStore", () => {
  it("remembers until the expiry, then forgets", () => {
    const store = new MemoryReplayStore();
    expect(store.remember("sig-a", 1_000, 0)).toBe(true);
    expect(store.remember("sig-a", 1_000, 999)).toBe(false);
    expect(store.remember("sig-a", 2_000, 1_000)).toBe(true);
    expect(store.remember("sig-a", 2_000, 1_999)).toBe(false);
    expect(store.remember("sig-b", 2_000, 1_999)).toBe(true);
  });

  it("prune forgets expired entries and keeps live ones", () => {
    const store = new MemoryReplayStore();
    for (let i = 0; i < 10; i++) store.remember(`old-${i}`, 100, 0);
    for (let i = 0; i < 5; i++) store.remember(`live-${i}`, 500, 0);
    expect(store.size).toBe(15);
    store.prune(99);
    expect(store.size).toBe(15);
    store.prune(100);
    expect(store.size).toBe(5);
    expect(store.remember("live-0", 500, 200)).toBe(false);
    store.prune(1_000);
    expect(store.size).toBe(0);
  });

  it("prunes by itself as it grows, so expired signatures do not pile up", () => {
    const store = new MemoryReplayStore();
    for (let i = 0; i < 1024; i++) expect(store.remember(`sig-${i}`, 100, 0)).toBe(true);
    expect(store.size).toBe(1024);
    expect(store.remember("fresh", 10_000, 200)).toBe(true);
    expect(store.size).toBe(1);
  });
});
