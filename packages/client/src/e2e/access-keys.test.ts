/**
 * Signed requests with access keys over real HTTP: good, skewed, tampered, replayed; the body
 * covered by the signature; batches of calls under one signature.
 */
import {
  CONTENT_SHA256_HEADER,
  MAX_BATCH_CALLS,
  signRequest,
  type MintedAccessKey,
} from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCofferClient } from "../client.js";
import { failure } from "./test-errors.js";
import { startE2eServer, type E2eServer } from "./test-server.js";

let e2e: E2eServer;
let key: MintedAccessKey;

beforeAll(async () => {
  e2e = await startE2eServer();
  await e2e.admin.secret.create.mutate({ secret: "machine_key", value: "fake-machine-secret" });
  const made = await e2e.admin.accessKey.create.mutate({
    name: "deployer",
    expiresInSeconds: 3600,
    scopes: [{ resource: "secret://default/admin/machine_key", level: "read" }],
  });
  expect(made.id).toMatch(/^cfk_[0-9A-Za-z]{20}$/);
  expect(made.secret).toMatch(/^cfs_[0-9A-Za-z]{49}$/);
  key = { accessKeyId: made.id, secret: made.secret };
});

afterAll(async () => {
  await e2e?.stop();
});

/** A new access key that may read admin/machine_key. */
async function readerKey(name: string): Promise<MintedAccessKey> {
  const made = await e2e.admin.accessKey.create.mutate({
    name,
    expiresInSeconds: 3600,
    scopes: [{ resource: "secret://default/admin/machine_key", level: "read" }],
  });
  return { accessKeyId: made.id, secret: made.secret };
}

const PATH = "/trpc/secret.reveal";
const BODY = JSON.stringify({ secret: "admin/machine_key" });
/** The reveal, signed as SPEC §4 says: the body's hash too. */
const signed = (at?: number, pathAndQuery = PATH, method = "POST") =>
  signRequest({ method, pathAndQuery, body: BODY }, key, at);

function post(headers: Record<string, string>, path = PATH, body = BODY): Promise<Response> {
  return fetch(`${e2e.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

async function errorOf(
  response: Response,
): Promise<{ errorCode: string; details: { reason?: string } }> {
  return ((await response.json()) as { error: { errorCode: string; details: { reason?: string } } })
    .error;
}

describe("signed requests", () => {
  it("a good signature is accepted, through the typed client too; the key's scopes apply", async () => {
    const response = await post(signed());
    expect(response.status).toBe(200);
    const client = createCofferClient({ url: e2e.url, accessKey: key, retries: 0 });
    expect((await client.secret.reveal.mutate({ secret: "admin/machine_key" })).value).toBe(
      "fake-machine-secret",
    );
    expect((await client.user.whoami.query()).tokenId).toBe(key.accessKeyId);
    expect(
      (await failure(client.secret.create.mutate({ secret: "admin/other", value: "fake" })))
        .errorCode,
    ).toBe("FORBIDDEN");
  });

  it("a skewed clock is refused, either way", async () => {
    for (const offset of [6 * 60_000, -6 * 60_000]) {
      const response = await post(signed(Date.now() + offset));
      expect(response.status).toBe(401);
      expect((await errorOf(response)).details.reason).toBe("clock-skew");
    }
  });

  it("any changed part is refused: method, path, query, timestamp, key, signature, secret", async () => {
    const good = signed();
    const cases: [string, Record<string, string>, string?][] = [
      ["method", signed(undefined, PATH, "GET")],
      ["path", signed(undefined, "/trpc/secret.describe")],
      ["query", good, `${PATH}?trace=1`],
      [
        "timestamp",
        { ...good, "x-coffer-timestamp": String(Number(good["x-coffer-timestamp"]) + 1) },
      ],
      ["signature", { ...good, "x-coffer-signature": Buffer.alloc(32, 1).toString("base64") }],
      [
        "secret",
        signRequest(
          { method: "POST", pathAndQuery: PATH, body: BODY },
          { ...key, secret: `cfs_${"B".repeat(49)}` },
        ),
      ],
    ];
    for (const [what, headers, path] of cases) {
      const response = await post(headers, path);
      expect(response.status, what).toBe(401);
      expect((await errorOf(response)).details.reason, what).toBe("bad-signature");
    }
    const unknown = await post({ ...good, "x-coffer-access-key": `cfk_${"C".repeat(20)}` });
    expect((await errorOf(unknown)).details.reason).toBe("unknown-access-key");
  });

  it("a replayed signature is refused; a disabled key too", async () => {
    const headers = signed();
    expect((await post(headers)).status).toBe(200);
    const replay = await post(headers);
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).details.reason).toBe("replay");

    await e2e.admin.accessKey.disable.mutate({ id: key.accessKeyId });
    const disabled = await post(signed());
    expect(disabled.status).toBe(401);
    expect((await errorOf(disabled)).details.reason).toBe("unknown-access-key");
    const listed = await e2e.admin.accessKey.list.query();
    expect(JSON.stringify(listed)).not.toContain(key.secret);
  });
});

describe("the signature covers the body (SPEC §4)", () => {
  let bodyKey: MintedAccessKey;

  beforeAll(async () => {
    bodyKey = await readerKey("body-signer");
  });

  const sign = (body?: string, pathAndQuery = PATH, method = "POST") =>
    signRequest({ method, pathAndQuery, ...(body === undefined ? {} : { body }) }, bodyKey);

  it("another body under a captured signature is refused", async () => {
    const captured = sign(BODY);
    const other = JSON.stringify({ secret: "admin/other_key" });
    const tampered = await post(captured, PATH, other);
    expect(tampered.status).toBe(401);
    expect((await errorOf(tampered)).details.reason).toBe("body-mismatch");
    // With the new body's hash as well: the signature covered the old one.
    const rehashed = await post(
      { ...sign(BODY), [CONTENT_SHA256_HEADER]: sign(other)[CONTENT_SHA256_HEADER]! },
      PATH,
      other,
    );
    expect(rehashed.status).toBe(401);
    expect((await errorOf(rehashed)).details.reason).toBe("bad-signature");
    expect((await post(captured)).status).toBe(200);
  });

  it("an old-style signature on a request with a body is refused, with a clear message", async () => {
    const oldStyle = await post(sign());
    expect(oldStyle.status).toBe(401);
    const error = (await oldStyle.json()) as { error: { message: string; details: object } };
    expect(error.error.details).toEqual({ reason: "missing-content-hash" });
    expect(error.error.message).toContain("x-coffer-content-sha256");
    // The header added afterwards does not help: the signature did not cover it.
    const added = await post({
      ...sign(),
      [CONTENT_SHA256_HEADER]: sign(BODY)[CONTENT_SHA256_HEADER]!,
    });
    expect((await errorOf(added)).details.reason).toBe("bad-signature");
  });

  it("GET queries are signed as before, without a body hash", async () => {
    const input = encodeURIComponent(JSON.stringify({ secret: "admin/machine_key" }));
    const path = `/trpc/secret.describe?input=${input}`;
    const headers = sign(undefined, path, "GET");
    expect(headers[CONTENT_SHA256_HEADER]).toBeUndefined();
    const response = await fetch(`${e2e.url}${path}`, { headers });
    expect(response.status).toBe(200);
  });
});

describe("a batch is one request, one authentication", () => {
  let batchKey: MintedAccessKey;

  beforeAll(async () => {
    batchKey = await readerKey("batcher");
  });

  it("the typed client's batched calls under one signature all succeed", async () => {
    let requests = 0;
    const client = createCofferClient({
      url: e2e.url,
      accessKey: batchKey,
      retries: 0,
      onAttempt: () => requests++,
    });
    const reveal = () => client.secret.reveal.mutate({ secret: "admin/machine_key" });
    const revealed = await Promise.all([reveal(), reveal(), reveal()]);
    expect(revealed.map((r) => r.value)).toEqual(Array(3).fill("fake-machine-secret"));
    expect(requests).toBe(1);
    const [me, described] = await Promise.all([
      client.user.whoami.query(),
      client.secret.describe.query({ secret: "admin/machine_key" }),
      client.user.whoami.query(),
    ]);
    expect(me.tokenId).toBe(batchKey.accessKeyId);
    expect(described.name).toBe("machine_key");
    expect(requests).toBe(2);
    // More calls than one batch may hold go out as several requests.
    const many = await Promise.all(
      Array.from({ length: MAX_BATCH_CALLS + 10 }, () => client.user.whoami.query()),
    );
    expect(many).toHaveLength(MAX_BATCH_CALLS + 10);
    expect(requests).toBe(4);
  });

  it(`a batch of more than ${MAX_BATCH_CALLS} calls is refused with 400, naming the limit`, async () => {
    const batch = (calls: number, comma = ",", query = "batch=1") =>
      fetch(
        `${e2e.url}/trpc/${Array<string>(calls).fill("user.whoami").join(comma)}?${query}&input=%7B%7D`,
        { headers: { authorization: `Bearer ${e2e.adminToken}` } },
      );
    expect((await batch(MAX_BATCH_CALLS)).status).toBe(200);
    // Escaped commas, a repeated `batch` (tRPC reads the first), and a `?` inside the query
    // string count the same.
    for (const [comma, query] of [
      [","],
      ["%2C"],
      [",", "batch=1&batch=0"],
      [",", "x=?&batch=1"],
    ] as const) {
      const response = await batch(MAX_BATCH_CALLS + 1, comma, query);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as {
        error: { errorCode: string; message: string; details: object };
      };
      expect(error.errorCode).toBe("INVALID_REQUEST");
      expect(error.message).toContain(`at most ${MAX_BATCH_CALLS} calls`);
      expect(error.details).toEqual({ maxCalls: MAX_BATCH_CALLS, calls: MAX_BATCH_CALLS + 1 });
    }
  });
});

it("a body over 1 MiB is refused in the SPEC's format, before anything reads it", async () => {
  const response = await fetch(`${e2e.url}/trpc/secret.create`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${e2e.adminToken}` },
    body: JSON.stringify({ secret: "big", value: "x".repeat(1024 * 1024) }),
  });
  expect(response.status).toBe(400); // the SPEC's one status for INVALID_REQUEST
  expect(((await response.json()) as { error: { errorCode: string } }).error.errorCode).toBe(
    "INVALID_REQUEST",
  );
});
