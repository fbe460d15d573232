/**
 * `coffer rotation retry|rollback` against a real server whose rotation executor runs. These
 * need the server's `rotation.retry` and `rotation.rollback` (SPEC §11). Values are fake.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCoffer, type Result, startTestServer, type TestServer } from "./test-support.js";

let started: TestServer | undefined;

function coffer(args: string[]): Promise<Result> {
  return runCoffer(started!.home, args);
}

interface Job {
  id: string;
  state: string;
  error: string | null;
}

beforeAll(async () => {
  started = await startTestServer("coffer-cli-rotation-retry-");
  const { server } = started;
  const login = await coffer(["login", "--url", server.url, "--token", server.adminToken!]);
  expect(login.code, login.stderr).toBe(0);
  const add = await coffer(["rotator", "add", "fake-rnd", "--kind", "random"]);
  expect(add.code, add.stderr).toBe(0);
});

afterAll(async () => {
  await started?.close();
});

/** Each test runs `coffer` a dozen times: seconds on a loaded machine, so a generous bound. */
describe("rotation retry and rollback", { timeout: 60_000 }, () => {
  it("rollback --wait puts the value from before the rotation back", async () => {
    expect((await coffer(["secret", "add", "fake-rb", "fake-rb-initial"])).code).toBe(0);
    const set = await coffer(["rotation", "set", "fake-rb", "--rotator", "fake-rnd", "--no-auto"]);
    expect(set.code, set.stderr).toBe(0);
    const run = await coffer(["rotation", "run", "fake-rb", "--wait", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const rotated = JSON.parse(run.stdout) as Job;
    expect(rotated.state).toBe("succeeded");
    const newValue = (await coffer(["secret", "get", "fake-rb"])).stdout;
    expect(newValue).not.toBe("fake-rb-initial");

    const rollback = await coffer(["rotation", "rollback", "fake-rb", "--wait", "--json"]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ id: rotated.id, state: "rolled_back" });
    expect((await coffer(["secret", "get", "fake-rb"])).stdout).toBe("fake-rb-initial");
    expect(rollback.stdout).not.toContain(newValue);

    const again = await coffer(["rotation", "rollback", "fake-rb", "--wait"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^coffer: [A-Z_]+: /);
    expect((await coffer(["secret", "get", "fake-rb"])).stdout).toBe("fake-rb-initial");
  });

  it("retry --wait exits 1 while the job fails again, 0 once the cause is fixed", async () => {
    expect((await coffer(["secret", "add", "fake-retry", "fake-not-json"])).code).toBe(0);
    const set = await coffer(
      "rotation set fake-retry --rotator fake-rnd --targets password --no-auto".split(" "),
    );
    expect(set.code, set.stderr).toBe(0);
    const run = await coffer(["rotation", "run", "fake-retry", "--wait", "--json"]);
    expect(run.code).toBe(1);
    const failed = JSON.parse(run.stdout) as Job;
    expect(failed.state).toBe("failed");

    const retried = await coffer(["rotation", "retry", "fake-retry", "--wait"]);
    expect(retried.code).toBe(1);
    expect(retried.stderr).toMatch(/^Job job_\w+ on \S+fake-retry is failed: .*not a JSON object/);

    const fixed = await coffer([
      "secret",
      "rotate",
      "fake-retry",
      '{"user":"fake-user","password":"fake-old-password"}',
    ]);
    expect(fixed.code, fixed.stderr).toBe(0);
    const retry = await coffer(["rotation", "retry", "fake-retry", "--wait", "--json"]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ id: failed.id, state: "succeeded" });
    expect((await coffer(["secret", "get", "fake-retry", "--key", "user"])).stdout).toBe(
      "fake-user",
    );
    const password = (await coffer(["secret", "get", "fake-retry", "--key", "password"])).stdout;
    expect(password).not.toBe("fake-old-password");
    expect(password).toHaveLength(32);
  });
});
