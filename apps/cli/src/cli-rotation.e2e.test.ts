/**
 * `coffer rotation …` and `coffer rotator …` against a real server whose rotation executor
 * runs (jobs on), so `rotation run --wait` sees a job end. Values are fake.
 */
import { type CofferServer } from "@coffer/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCoffer, type Result, startTestServer, type TestServer } from "./test-support.js";

let server: CofferServer;
let started: TestServer | undefined;

function coffer(args: string[]): Promise<Result> {
  return runCoffer(started!.home, args);
}

beforeAll(async () => {
  started = await startTestServer("coffer-cli-rotation-");
  server = started.server;
  const login = await coffer(["login", "--url", server.url, "--token", server.adminToken!]);
  expect(login.code, login.stderr).toBe(0);
});

afterAll(async () => {
  await started?.close();
});

describe("rotators and rotation", () => {
  it("adds, lists and removes a rotator; refuses to remove one in use", async () => {
    const add = await coffer(["rotator", "add", "fake-rnd", "--kind", "random"]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain("admin/fake-rnd");
    const spare = await coffer(["rotator", "add", "fake-spare", "--kind", "random"]);
    expect(spare.code, spare.stderr).toBe(0);
    const ls = await coffer(["rotator", "ls", "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    const refs = (JSON.parse(ls.stdout) as { ref: string; kind: string }[]).map((r) => r.ref);
    expect(refs).toEqual(expect.arrayContaining(["admin/fake-rnd", "admin/fake-spare"]));
    expect((await coffer(["rotator", "ls"])).stdout).toMatch(/^ROTATOR\s+KIND/);

    const usage = await coffer(["rotator", "add", "fake-pg", "--kind", "postgres"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--admin-secret and --role");

    expect((await coffer(["secret", "add", "fake-rotated", "fake-initial-value"])).code).toBe(0);
    const set = await coffer([
      "rotation",
      "set",
      "fake-rotated",
      "--rotator",
      "fake-rnd",
      "--every",
      "30d",
      "--no-auto",
    ]);
    expect(set.code, set.stderr).toBe(0);
    const show = await coffer(["rotation", "show", "fake-rotated", "--json"]);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      rotator: "admin/fake-rnd",
      every: "30d",
      auto: false,
      activeJob: null,
    });

    const inUse = await coffer(["rotator", "rm", "fake-rnd"]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/^coffer: INVALID_STATUS: rotator admin\/fake-rnd is in use by /);
    const rm = await coffer(["rotator", "rm", "fake-spare"]);
    expect(rm.code, rm.stderr).toBe(0);
    const after = JSON.parse((await coffer(["rotator", "ls", "--json"])).stdout) as {
      ref: string;
    }[];
    expect(after.map((r) => r.ref)).not.toContain("admin/fake-spare");
  });

  it("runs a rotation to its end with --wait, and lists the job", async () => {
    const run = await coffer(["rotation", "run", "fake-rotated", "--wait", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const job = JSON.parse(run.stdout) as { id: string; state: string };
    expect(job.state).toBe("succeeded");
    const value = await coffer(["secret", "get", "fake-rotated"]);
    expect(value.code, value.stderr).toBe(0);
    expect(value.stdout).not.toBe("fake-initial-value");
    expect(value.stdout.length).toBeGreaterThan(0);

    const jobs = await coffer(["rotation", "jobs", "fake-rotated", "--json"]);
    expect(jobs.code, jobs.stderr).toBe(0);
    const items = JSON.parse(jobs.stdout) as { id: string; state: string; trigger: string }[];
    expect(items[0]).toMatchObject({ id: job.id, state: "succeeded", trigger: "manual" });
    expect(jobs.stdout).not.toContain(value.stdout);
    expect((await coffer(["rotation", "jobs", "fake-rotated"])).stdout).toMatch(/^JOB\s+MODE/);
  });

  it("run --wait exits 1 when the job fails, and nothing is promoted", async () => {
    expect((await coffer(["secret", "add", "fake-plain", "fake-plain-value"])).code).toBe(0);
    const set = await coffer([
      "rotation",
      "set",
      "fake-plain",
      "--rotator",
      "fake-rnd",
      "--targets",
      "password",
      "--no-auto",
    ]);
    expect(set.code, set.stderr).toBe(0);
    const bad = await coffer([
      "rotation",
      "set",
      "fake-plain",
      "--rotator",
      "fake-rnd",
      "--every",
      "5x",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      "coffer: INVALID_REQUEST: --every must be hours or days, such as 12h or 90d\n",
    );
    const run = await coffer(["rotation", "run", "fake-plain", "--wait"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is failed: .*not a JSON object/);
    expect((await coffer(["secret", "get", "fake-plain"])).stdout).toBe("fake-plain-value");
  });

  it("cancel with no active job fails with the server's message", async () => {
    const cancel = await coffer(["rotation", "cancel", "fake-rotated"]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/^coffer: INVALID_STATUS: .*has no active rotation job/);
  });
});
