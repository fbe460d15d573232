/**
 * SPEC §10's "one round trip for all references", counted at the HTTP level by a proxy
 * between the bundle and the server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingProxy, type CountingProxy } from "@coffer/test-kit";
import { runAction } from "./test-action.js";
import { seededSuite } from "./test-fixtures.js";

const BULK = 150;
const names = Array.from({ length: BULK }, (_, i) => `s${String(i).padStart(3, "0")}`);

const suite = seededSuite();
let proxy: CountingProxy;

beforeAll(async () => {
  const { admin } = suite.coffer;
  await admin.team.create.mutate({ name: "bulk" });
  await admin.team.addMember.mutate({ team: "bulk", user: "ci" });
  await Promise.all(
    names.map((name) =>
      admin.secret.create.mutate({ secret: `bulk/${name}`, value: `fake-bulk-${name}` }),
    ),
  );
  proxy = await countingProxy(suite.coffer.url);
});

afterAll(async () => {
  await proxy?.close();
});

const run = async (secrets: string) => {
  proxy.requests.length = 0;
  const result = await runAction({ inputs: { url: proxy.url, token: suite.ciToken, secrets } });
  expect(result.code, result.stdout).toBe(0);
  return result;
};

const explicitLines = names.map((name) => `bulk/${name}`).join("\n");

describe("round trips", () => {
  it(`${BULK} explicit references (two batches of up to 100) go in one HTTP request`, async () => {
    const result = await run(explicitLines);
    expect(Object.keys(result.env)).toHaveLength(BULK);
    expect(result.env["S149"]).toBe("fake-bulk-s149");
    expect(proxy.requests).toEqual(["POST /trpc/secret.batchReveal,secret.batchReveal"]);
  });

  it("OWNER/* lines add one listing request beside it, then one reveal request", async () => {
    const result = await run(`${explicitLines}\nml/* > ML_\nadmin/*`);
    expect(Object.keys(result.env)).toHaveLength(BULK + 4 + 1);
    const [first, second, ...rest] = proxy.requests;
    expect([first, second].sort()).toEqual([
      "GET /trpc/secret.list,secret.list",
      "POST /trpc/secret.batchReveal,secret.batchReveal",
    ]);
    expect(rest).toEqual(["POST /trpc/secret.batchReveal"]);
  });
});
