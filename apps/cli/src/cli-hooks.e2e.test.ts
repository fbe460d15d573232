/**
 * `coffer hook …`, `coffer automation …`, `coffer deliveries …` and `coffer secret used-by|rm|
 * disable` against a real server whose hook worker runs on its own, sending to a receiver on
 * 127.0.0.1 (allowed by COFFER_HOOK_ALLOW_CIDRS). The receiver answers with the header it got,
 * so a value would reach the delivery log if the server did not redact it. No output of
 * `coffer`, but `secret get`'s, may hold a secret's value. Values are fake.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import { eventually, listen, type Listening } from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCli } from "./context.js";
import { main } from "./main.js";
import type { Io } from "./output.js";
import { runCoffer, type Result, startTestServer, type TestServer } from "./test-support.js";

const TOKEN = "fake-hook-token-value-0001";

let started: TestServer | undefined;
let receiver: Listening | undefined;
const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
/** The hook's signing key, read with `secret get` (its output is not one of `outputs`). */
let signingKey = "";
/** What the receiver answers with (a failure to see `hook test` fail). */
let answerStatus = 200;
/** Every output of `coffer` but the values `secret get` prints: none may hold a value. */
const outputs: string[] = [];

async function coffer(args: string[]): Promise<Result> {
  const result = await runCoffer(started!.home, args);
  outputs.push(result.stdout, result.stderr);
  return result;
}

async function ok(args: string[]): Promise<Result> {
  const result = await coffer(args);
  expect(result.code, `coffer ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result;
}

beforeAll(async () => {
  started = await startTestServer("coffer-cli-hooks-", {
    env: { COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" },
  });
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({ url: req.url ?? "", headers: req.headers, body });
      res.writeHead(answerStatus, { "content-type": "text/plain" });
      res.end(`got authorization ${String(req.headers["authorization"])}`);
    });
  });
  receiver = await listen(server);
  await ok(["login", "--url", started.server.url, "--token", started.server.adminToken!]);
  await ok(["secret", "add", "fake-token", TOKEN]);
  await ok(["secret", "add", "fake-model", "fake-model-v1"]);
});

afterAll(async () => {
  await receiver?.close();
  await started?.close();
});

type Delivery = {
  id: string;
  hook: string;
  state: string;
  event: { type: string };
  attempts: { status: number | null }[];
};

describe("hooks, automations and deliveries", { timeout: 120_000 }, () => {
  it("adds a hook with templates and an automation, and delivers a new version", async () => {
    const add = await ok([
      "hook",
      "add",
      "notify",
      "--url",
      `${receiver!.url}/hooks/\${event.type}`,
      "--header",
      "Authorization: Bearer ${admin/fake-token}",
      "--header",
      "X-Event:${event.id}",
      "--body",
      '{"text": "${event.type} on ${secret.uri}"}',
      "--allow-secret",
      "admin/*",
      "--allow-secret",
      "admin/fake-token",
      "--description",
      "fake notifier",
    ]);
    expect(add.stderr).toBe(
      "Hook admin/notify made; it signs with the key in admin/notify_hook_signing_key\n",
    );
    const twice = await coffer([
      "hook",
      "add",
      "x",
      "--url",
      "http://a",
      "--header",
      "A: 1",
      "--header",
      "a:2",
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^coffer: --header a is given twice/);

    signingKey = (await runCoffer(started!.home, ["secret", "get", "notify_hook_signing_key"]))
      .stdout;
    expect(signingKey).toMatch(/^whsec_/);
    const show = await ok(["hook", "show", "notify", "--json"]);
    expect(JSON.parse(show.stdout)).toMatchObject({
      ref: "admin/notify",
      url: `${receiver!.url}/hooks/\${event.type}`,
      headers: { Authorization: "Bearer ${admin/fake-token}", "X-Event": "${event.id}" },
      body: '{"text": "${event.type} on ${secret.uri}"}',
      allowSecrets: ["secret://default/admin/*", "secret://default/admin/fake-token"],
      signingSecret: "admin/notify_hook_signing_key",
      enabled: true,
    });
    const text = (await ok(["hook", "show", "admin/notify"])).stdout;
    expect(text).toContain("header:         Authorization: Bearer ${admin/fake-token}\n");
    expect(text).toContain("state:          enabled\n");
    expect(text).toContain("signing secret: admin/notify_hook_signing_key\n");
    expect((await ok(["hook", "ls"])).stdout).toMatch(
      /^HOOK\s+STATE\s+URL.*\nadmin\/notify\s+enabled/,
    );

    await ok([
      "automation",
      "add",
      "on-model",
      "--on",
      "secret.version.created",
      "--on",
      "secret.promoted,secret.disabled",
      "--match",
      "secret://default/admin/fake-model",
      "--hook",
      "notify",
    ]);
    const automations: unknown = JSON.parse(
      (await ok(["automation", "ls", "--hook", "notify", "--json"])).stdout,
    );
    expect(automations).toMatchObject([
      {
        ref: "admin/on-model",
        on: ["secret.version.created", "secret.promoted", "secret.disabled"],
        match: "secret://default/admin/fake-model",
        hook: "admin/notify",
      },
    ]);
    expect((await ok(["automation", "ls"])).stdout).toMatch(/^AUTOMATION\s+ON\s+MATCH\s+HOOK/);

    await ok(["secret", "rotate", "fake-model", "fake-model-v2"]);
    const delivered = await eventually("the new version's delivery", async () => {
      const ls = await ok(["deliveries", "ls", "--hook", "notify", "--json"]);
      const items = JSON.parse(ls.stdout) as Delivery[];
      return items.find((d) => d.state === "delivered");
    });
    expect(delivered).toMatchObject({
      hook: "admin/notify",
      event: { type: "secret.version.created" },
      attempts: [{ status: 200 }],
    });
    const request = received.find((r) => r.url === "/hooks/secret.version.created");
    expect(request?.headers["authorization"]).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(request!.body)).toStrictEqual({
      text: "secret.version.created on secret://default/admin/fake-model",
    });

    const table = (await ok(["deliveries", "ls"])).stdout;
    expect(table).toMatch(/^DELIVERY\s+HOOK\s+EVENT\s+STATE\s+ATTEMPTS\s+LAST STATUS\s+CREATED\n/);
    expect(table).toMatch(
      new RegExp(
        `${delivered.id}\\s+admin/notify\\s+secret\\.version\\.created\\s+delivered\\s+1\\s+200`,
      ),
    );
    const shown = (await ok(["deliveries", "show", delivered.id])).stdout;
    expect(shown).toContain(`delivery:       ${delivered.id}\n`);
    expect(shown).toContain("secrets used:   secret://default/admin/fake-token v1\n");
    expect(shown).toContain("      response: got authorization Bearer [REDACTED]\n");
    expect(shown).toMatch(
      / {2}#1 {2}\S+ \S+ {2}HTTP 200 {2}\d+ ms\n {6}response: got authorization /,
    );
    const redeliver = await ok(["deliveries", "redeliver", delivered.id]);
    expect(redeliver.stderr).toMatch(new RegExp(`^Redelivering ${delivered.id} as dlv_`));
  });

  it("tests a hook: prints the attempt, exits 1 when it failed", async () => {
    const passed = await ok(["hook", "test", "notify", "--event", "secret.created"]);
    expect(passed.stdout).toContain("event:          secret.created ");
    expect(passed.stdout).toContain("state:          delivered\n");
    expect(passed.stdout).toMatch(/#1 {2}\S+ \S+ {2}HTTP 200 {2}\d+ ms\n/);
    expect(received.at(-1)?.url).toBe("/hooks/secret.created");

    answerStatus = 500;
    try {
      const failed = await coffer(["hook", "test", "notify", "--json"]);
      expect(failed.code).toBe(1);
      const delivery = JSON.parse(failed.stdout) as Delivery;
      expect(delivery.state).not.toBe("delivered");
      expect(delivery.attempts).toMatchObject([{ status: 500 }]);
    } finally {
      answerStatus = 200;
    }
    const bad = await coffer(["hook", "test", "notify", "--event", "secret.bogus"]);
    expect(bad.code).toBe(2);
  });

  it("names a secret's dependents; rm and disable are refused, then done with --yes", async () => {
    const usedBy: unknown = JSON.parse(
      (await ok(["secret", "used-by", "fake-token", "--json"])).stdout,
    );
    expect(usedBy).toStrictEqual({
      secret: "admin/fake-token",
      hooks: [{ ref: "admin/notify", via: "template" }],
      automations: [{ ref: "admin/on-model", hook: "admin/notify" }],
      rotators: [],
      others: 0,
    });
    expect((await ok(["secret", "used-by", "fake-model"])).stdout).toBe(
      "admin/fake-model is used by:\n  automation admin/on-model (fires admin/notify)\n",
    );
    expect((await ok(["secret", "used-by", "notify_hook_signing_key"])).stdout).toBe(
      "admin/notify_hook_signing_key is used by:\n  hook admin/notify (its signing key)\n" +
        "  automation admin/on-model (fires admin/notify)\n",
    );

    for (const verb of ["rm", "disable"]) {
      const refused = await coffer(["secret", verb, "fake-token"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /^coffer: INVALID_STATUS: admin\/fake-token is used by hook admin\/notify, automation admin\/on-model: /,
      );
    }
    expect((await ok(["secret", "describe", "fake-token"])).stdout).toContain(
      "status:         enabled\n",
    );

    const disabled = await ok(["secret", "disable", "fake-token", "--yes"]);
    expect(disabled.stderr).toBe(
      "It is used by:\n  hook admin/notify (a template)\n  automation admin/on-model (fires admin/notify)\n" +
        "secret://default/admin/fake-token is disabled\n",
    );
    await ok(["secret", "enable", "fake-token"]);
    const removed = await ok(["secret", "rm", "fake-token", "--yes"]);
    expect(removed.stderr).toMatch(
      /\nScheduled secret:\/\/default\/admin\/fake-token for deletion on /,
    );
  });

  it("asks on a terminal before deleting a secret in use", async () => {
    await ok(["secret", "add", "fake-signing", "whsec_ZmFrZS1zaWduaW5nLWtleS1mb3ItdGVzdHMtMDE="]);
    await ok([
      "hook",
      "add",
      "signed",
      "--url",
      `${receiver!.url}/signed`,
      "--signing-secret",
      "fake-signing",
    ]);
    const answers = ["n", "y"];
    const questions: string[] = [];
    let err = "";
    const io: Io = {
      out: (text) => outputs.push(text),
      err: (text) => void (err += text),
      isTty: true,
      stdinIsTty: true,
      askHidden: (question) => {
        questions.push(question);
        return Promise.resolve(answers.shift() ?? "");
      },
    };
    const env = {
      url: started!.server.url,
      token: started!.server.adminToken!,
      configDir: started!.home,
    };
    const run = (argv: string[]) =>
      main(
        createCli(env, io, () => Promise.resolve("")),
        argv,
      );

    expect(await run(["secret", "rm", "fake-signing"])).toBe(1);
    expect(err).toBe(
      "It is used by:\n  hook admin/signed (its signing key)\ncoffer: not deleted\n",
    );
    err = "";
    expect(await run(["secret", "rm", "fake-signing"])).toBe(0);
    expect(questions).toStrictEqual(["Delete it anyway? [y/N] ", "Delete it anyway? [y/N] "]);
    expect(err).toMatch(/^It is used by:\n {2}hook admin\/signed \(its signing key\)\nScheduled /);
    outputs.push(err);
  });

  it("removes an automation, then its hook; disables and enables a hook", async () => {
    const inUse = await coffer(["hook", "rm", "notify"]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(
      /^coffer: INVALID_STATUS: hook admin\/notify is used by automation admin\/on-model/,
    );
    expect((await ok(["automation", "rm", "on-model"])).stderr).toBe(
      "Deleted automation admin/on-model\n",
    );
    expect(JSON.parse((await ok(["automation", "ls", "--json"])).stdout)).toStrictEqual([]);

    expect((await ok(["hook", "disable", "notify"])).stderr).toMatch(
      /^Hook admin\/notify is disabled \(manual since \S+ \S+\)\n$/,
    );
    expect((await ok(["hook", "ls"])).stdout).toMatch(/admin\/notify\s+disabled \(manual/);
    expect((await ok(["hook", "enable", "notify"])).stderr).toBe("Hook admin/notify is enabled\n");
    expect((await ok(["hook", "rm", "notify"])).stderr).toBe("Deleted hook admin/notify\n");
    const left = JSON.parse((await ok(["hook", "ls", "--json"])).stdout) as { ref: string }[];
    expect(left.map((h) => h.ref)).toStrictEqual(["admin/signed"]);
  });

  it("printed no secret's value: not the token, not a signing key", () => {
    const all = outputs.join("\n");
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(signingKey);
    expect(all).not.toContain("ZmFrZS1zaWduaW5nLWtleS1mb3ItdGVzdHMtMDE");
    expect(all).toContain("got authorization"); // the response's head was shown, redacted
  });
});
