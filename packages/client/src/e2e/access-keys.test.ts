/** Signed requests with access keys over real HTTP: good, skewed, tampered, replayed. */
import { signRequest, type MintedAccessKey } from "@coffer/core";
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
}, 60_000);

afterAll(async () => {
  await e2e?.stop();
});

const PATH = "/trpc/secret.reveal";
const BODY = JSON.stringify({ secret: "admin/machine_key" });

function post(headers: Record<string, string>, path = PATH): Promise<Response> {
  return fetch(`${e2e.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: BODY,
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
    const response = await post(signRequest({ method: "POST", pathAndQuery: PATH }, key));
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
      const response = await post(
        signRequest({ method: "POST", pathAndQuery: PATH }, key, Date.now() + offset),
      );
      expect(response.status).toBe(401);
      expect((await errorOf(response)).details.reason).toBe("clock-skew");
    }
  });

  it("any changed part is refused: method, path, query, timestamp, key, signature, secret", async () => {
    const good = signRequest({ method: "POST", pathAndQuery: PATH }, key);
    const cases: [string, Record<string, string>, string?][] = [
      ["method", signRequest({ method: "GET", pathAndQuery: PATH }, key)],
      ["path", signRequest({ method: "POST", pathAndQuery: "/trpc/secret.describe" }, key)],
      ["query", good, `${PATH}?trace=1`],
      [
        "timestamp",
        { ...good, "x-coffer-timestamp": String(Number(good["x-coffer-timestamp"]) + 1) },
      ],
      ["signature", { ...good, "x-coffer-signature": Buffer.alloc(32, 1).toString("base64") }],
      [
        "secret",
        signRequest(
          { method: "POST", pathAndQuery: PATH },
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
    const headers = signRequest({ method: "POST", pathAndQuery: PATH }, key);
    expect((await post(headers)).status).toBe(200);
    const replay = await post(headers);
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).details.reason).toBe("replay");

    await e2e.admin.accessKey.disable.mutate({ id: key.accessKeyId });
    const disabled = await post(signRequest({ method: "POST", pathAndQuery: PATH }, key));
    expect(disabled.status).toBe(401);
    expect((await errorOf(disabled)).details.reason).toBe("unknown-access-key");
    const listed = await e2e.admin.accessKey.list.query();
    expect(JSON.stringify(listed)).not.toContain(key.secret);
  });
});
