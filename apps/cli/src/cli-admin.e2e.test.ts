/**
 * The administration commands of the built `coffer` (issue 16): protection keys, access keys,
 * users and teams, and grants by me, to me and on a secret; against a real server. Fake values.
 */
import { createCofferClient } from "@coffer/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  runCoffer,
  startTestServer,
  type Result,
  type RunOptions,
  type TestServer,
} from "./test-support.js";

let started: TestServer | undefined;
let url: string;
let home: string;

function coffer(args: string[], options?: RunOptions): Promise<Result> {
  return runCoffer(home, args, options);
}

async function ok(args: string[], options?: RunOptions): Promise<Result> {
  const result = await coffer(args, options);
  expect(result.code, `coffer ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result;
}

/** Runs as another user, by its token in the environment (never on the command line). */
const as = (token: string): RunOptions => ({
  env: { COFFER_URL: url, COFFER_TOKEN: token },
  configDir: `${home}/nobody`,
});

beforeAll(async () => {
  started = await startTestServer("coffer-cli-admin-", { jobs: false });
  url = started.server.url;
  home = started.home;
  await ok(["login", "--url", url], { stdin: `${started.server.adminToken!}\n` });
});

afterAll(async () => {
  await started?.close();
});

describe("coffer key", () => {
  it("lists, creates a default key, and rotates the root key only when confirmed", async () => {
    const before = JSON.parse((await ok(["key", "ls", "--json"])).stdout) as {
      activeRootKeyId: string;
      protectionKeys: { id: string; isDefault: boolean }[];
    };
    expect(before.protectionKeys.length).toBeGreaterThan(0);

    const made = await ok(["key", "create", "--default"]);
    const id = made.stdout.trim();
    expect(made.stderr).toContain("the default");
    const table = (await ok(["key", "ls"])).stdout;
    expect(table).toMatch(/^ID\s+DEFAULT\s+ROOT KEY\s+CREATED\n/);
    expect(table).toMatch(new RegExp(`^${id}\\s+yes\\s+${before.activeRootKeyId}`, "m"));

    // A secret sealed under the new key, to read back after the rotation.
    await ok(["secret", "add", "after-rotation", "-"], { stdin: "fake-value-1" });

    const unconfirmed = await coffer(["key", "rotate-root"]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/^coffer: rotate-root replaces the root key: add --yes/);

    const rotated = await ok(["key", "rotate-root", "--yes"]);
    expect(rotated.stderr).toMatch(/^Rotated the root key: \d+ protection key\(s\) re-wrapped/);
    const after = JSON.parse((await ok(["key", "ls", "--json"])).stdout) as typeof before;
    expect(after.activeRootKeyId).not.toBe(before.activeRootKeyId);
    expect(after.protectionKeys.every((k) => k.id !== id || k.isDefault)).toBe(true);
    expect((await ok(["secret", "get", "after-rotation"])).stdout).toContain("fake-value-1");
  });
});

describe("coffer access-key", () => {
  it("shows the secret once, on stdout only, and the key signs requests until disabled", async () => {
    const made = await ok(["access-key", "create", "ci", "--expires", "1d", "--json"]);
    const key = JSON.parse(made.stdout) as { accessKeyId: string; secret: string };
    expect(key.accessKeyId).toMatch(/^cfk_/);
    expect(made.stderr).toContain(`Access key ${key.accessKeyId} expires`);
    expect(made.stderr).not.toContain(key.secret);

    const signed = createCofferClient({ url, accessKey: key, retries: 0 });
    expect((await signed.user.whoami.query()).name).toBe("admin");

    const plain = await ok(["access-key", "create", "plain", "--expires", "2h"]);
    expect(plain.stdout).toMatch(/^\S+\n$/);
    expect(plain.stderr).not.toContain(plain.stdout.trim());

    const listed = (await ok(["access-key", "ls"])).stdout;
    expect(listed).toMatch(/^ID\s+NAME\s+KIND\s+OWNER\s+STATUS\s+MADE BY\s+EXPIRES\s+SCOPES\n/);
    expect(listed).toMatch(
      new RegExp(`^${key.accessKeyId}\\s+ci\\s+personal\\s+admin\\s+active`, "m"),
    );
    expect(listed).not.toContain(key.secret);

    await ok(["access-key", "disable", key.accessKeyId]);
    const json = JSON.parse((await ok(["access-key", "ls", "--json"])).stdout) as {
      id: string;
      disabledAt: string | null;
    }[];
    expect(json.find((k) => k.id === key.accessKeyId)?.disabledAt).not.toBeNull();
    await expect(signed.user.whoami.query()).rejects.toThrow();
    expect((await ok(["access-key", "ls"])).stdout).toMatch(
      new RegExp(`^${key.accessKeyId}\\s+ci\\s+personal\\s+admin\\s+disabled`, "m"),
    );

    await ok(["access-key", "rm", key.accessKeyId]);
    expect((await ok(["access-key", "ls"])).stdout).not.toContain(key.accessKeyId);
  });

  it("makes shared keys for a team or the org, with scopes; refuses both", async () => {
    await ok(["team", "create", "keyteam"]);
    const team = await ok([
      "access-key",
      "create",
      "deploy",
      "--expires",
      "1d",
      "--owner",
      "keyteam",
      "--perm",
      "db",
      "--json",
    ]);
    const teamKey = JSON.parse(team.stdout) as { accessKeyId: string };
    const org = await ok([
      "access-key",
      "create",
      "everyone",
      "--expires",
      "1d",
      "--org",
      "--json",
    ]);
    const orgKey = JSON.parse(org.stdout) as { accessKeyId: string };
    const keys = JSON.parse((await ok(["access-key", "ls", "--json"])).stdout) as {
      id: string;
      kind: string;
      owner: string | null;
      scopes: { resource: string; level: string }[];
    }[];
    expect(keys.find((k) => k.id === teamKey.accessKeyId)).toMatchObject({
      kind: "shared",
      owner: "keyteam",
      scopes: [{ resource: "secret://default/keyteam/db", level: "read" }],
    });
    expect(keys.find((k) => k.id === orgKey.accessKeyId)).toMatchObject({
      kind: "shared",
      owner: null,
    });
    const both = await coffer([
      "access-key",
      "create",
      "x",
      "--expires",
      "1d",
      "--owner",
      "keyteam",
      "--org",
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^coffer: --owner TEAM or --org, not both\nusage: /);
    const bare = await coffer([
      "access-key",
      "create",
      "x",
      "--expires",
      "1d",
      "--org",
      "--perm",
      "db",
    ]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(
      /^coffer: scope db: write OWNER\/NAME\nusage: coffer access-key create /,
    );
    const noExpiry = await coffer(["access-key", "create", "x"]);
    expect(noExpiry.code).toBe(2);
  });
});

describe("coffer user and team", () => {
  it("adds, lists, disables and enables users; lists teams and members; removes a member", async () => {
    const added = await ok(["user", "add", "alice"]);
    expect(added.stdout).toMatch(/^cft_\S+\n$/);
    await ok(["user", "add", "bob"]);

    const users = JSON.parse((await ok(["user", "ls", "--json"])).stdout) as {
      name: string;
      status: string;
    }[];
    expect(users.map((u) => u.name)).toEqual(expect.arrayContaining(["admin", "alice", "bob"]));
    await ok(["user", "disable", "bob"]);
    expect((await ok(["user", "ls"])).stdout).toMatch(/^bob\s+member\s+disabled/m);
    const enabled = await ok(["user", "enable", "bob"]);
    expect(enabled.stderr).toMatch(/^User bob is active/);

    await ok(["team", "create", "ml"]);
    await ok(["team", "add", "ml", "alice", "--admin"]);
    await ok(["team", "add", "ml", "bob"]);
    const teams = JSON.parse((await ok(["team", "ls", "--json"])).stdout) as {
      name: string;
      members: number;
    }[];
    expect(teams).toContainEqual({ name: "ml", members: 2 });
    expect((await ok(["team", "ls"])).stdout).toMatch(/^NAME\s+MEMBERS\n(.*\n)*ml\s+2\n/);

    expect(JSON.parse((await ok(["team", "members", "ml", "--json"])).stdout)).toEqual(
      expect.arrayContaining([
        { user: "alice", role: "admin" },
        { user: "bob", role: "member" },
      ]),
    );
    // A team admin removes a member.
    const aliceToken = added.stdout.trim();
    const removed = await ok(["team", "rm-member", "ml", "bob"], as(aliceToken));
    expect(removed.stderr).toBe("bob is no longer in ml\n");
    const members = (await ok(["team", "members", "ml"])).stdout;
    expect(members).toMatch(/^USER\s+ROLE\nalice\s+admin\n$/);

    const again = await coffer(["team", "rm-member", "ml", "bob"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^coffer: NOT_FOUND: bob is not in team ml\n$/);
    const noTeam = await coffer(["team", "members", "nosuchteam"]);
    expect(noTeam.code).toBe(1);
  });
});

describe("coffer share and acl", () => {
  it("takes the level as a third word or --perm, and lists grants by me, to me and on a secret", async () => {
    const carol = (await ok(["user", "add", "carol"])).stdout.trim();
    await ok(["secret", "add", "shared-db", "-"], { stdin: "fake-value-2" });
    await ok(["secret", "add", "shared-api", "-"], { stdin: "fake-value-3" });

    const third = await ok(["share", "secret:shared-db", "carol", "write"]);
    expect(third.stderr).toBe("Shared secret://default/admin/shared-db with carol (write)\n");
    await ok(["share", "admin/shared-api", "carol", "--perm", "list"]);
    const conflict = await coffer([
      "share",
      "secret:shared-db",
      "carol",
      "read",
      "--perm",
      "write",
    ]);
    expect(conflict.code).toBe(2);
    const bad = await coffer(["share", "secret:shared-db", "carol", "owner"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^coffer: the level is list, read, write or manage, not "owner"\n/);

    const byMe = JSON.parse((await ok(["acl", "ls", "--by-me", "--json"])).stdout) as {
      resource: string;
      subject: string;
      level: string;
    }[];
    expect(byMe).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          resource: "secret://default/admin/shared-db",
          subject: "carol",
          level: "write",
        }),
        expect.objectContaining({ resource: "secret://default/admin/shared-api", level: "list" }),
      ]),
    );
    expect(JSON.parse((await ok(["acl", "ls", "--to-me", "--json"])).stdout)).toEqual([]);

    const toCarol = JSON.parse(
      (await ok(["acl", "ls", "--to-me", "--json"], as(carol))).stdout,
    ) as unknown[];
    expect(toCarol).toHaveLength(2);
    const carolTable = (await ok(["acl", "ls"], as(carol))).stdout;
    expect(carolTable).toMatch(/^DIRECTION\s+RESOURCE\s+SUBJECT\s+LEVEL\s+BY\n/);
    expect(carolTable).toMatch(
      /^to you\s+secret:\/\/default\/admin\/shared-db\s+carol\s+write\s+admin$/m,
    );
    // The old form keeps both lists.
    const both = JSON.parse((await ok(["acl", "list", "--json"])).stdout) as object;
    expect(Object.keys(both)).toEqual(["toMe", "byMe"]);

    const onSecret = JSON.parse(
      (await ok(["acl", "ls", "--secret", "admin/shared-db", "--json"])).stdout,
    ) as { subject: string }[];
    expect(onSecret.map((g) => g.subject)).toEqual(["carol"]);
    expect((await ok(["acl", "ls", "--secret", "secret:shared-db"])).stdout).toMatch(
      /^RESOURCE\s+SUBJECT\s+LEVEL\s+BY\nsecret:\/\/default\/admin\/shared-db\s+carol\s+write\s+admin\n$/,
    );
    // Carol may write it but not manage it: not hers to list.
    const notHers = await coffer(["acl", "ls", "--secret", "admin/shared-db"], as(carol));
    expect(notHers.code).toBe(1);
    expect(notHers.stderr).toMatch(/^coffer: FORBIDDEN: /);
    const two = await coffer(["acl", "ls", "--by-me", "--secret", "admin/shared-db"]);
    expect(two.code).toBe(2);
  });
});

describe("--help", () => {
  it.each([["key"], ["access-key"], ["user"], ["team"], ["audit"], ["token"], ["acl"], ["share"]])(
    "coffer %s --help shows examples",
    async (command) => {
      const help = await ok([command, "--help"]);
      expect(help.stdout).toMatch(/\nExamples:\n {2}coffer /);
    },
  );
});
