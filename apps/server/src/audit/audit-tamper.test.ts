/**
 * The audit log against someone with SQL access but without the root key: each of twelve
 * tamperings is found by verify, with a message that says what was found. Each starts from
 * the same untampered log (PGlite; PostgreSQL too when COFFER_TEST_DATABASE_URL is set).
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AuditChain,
  linkPreSealEvents,
  type AuditVerification,
  type ChainHead,
} from "./audit-chain.js";
import { auditKeys, deriveAuditKeys, type AuditKeyDeps } from "./audit-seal.js";
import { CofferError, Keyring } from "@coffer/core";
import { ProtectionKeyStore } from "../stores/key-store.js";
import { createLogger } from "../logger.js";
import type { Actor } from "../auth/actor.js";
import {
  actorFor,
  callerAs,
  ENGINES,
  META,
  startTestServer,
  type TestServer,
} from "../test-support.js";

interface HeadRow {
  seq: number;
  hash: string;
  mac: string;
}

interface Ctx {
  server: TestServer;
  q: <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;
  /** The head after the first 6 events (bootstrap, create, 3 reveals, put). */
  early: HeadRow;
  /** The verified head after 9 events. */
  genuine: ChainHead;
  /** The running server's chain (it remembers the highest head it saw). */
  chain: AuditChain;
  chainer: () => Promise<number>;
}

interface Tampering {
  name: string;
  tamper: (ctx: Ctx) => Promise<void>;
  /** By default a verify by a server that just started (it remembers no head). */
  verify?: (ctx: Ctx) => Promise<AuditVerification>;
  found: RegExp[];
}

const fakeHash = (byte: string): string => byte.repeat(32);

/** Rows from `seq` on lose their link; the head goes back to `seq - 1` (its old MAC kept). */
async function unlinkFrom(ctx: Ctx, seq: number): Promise<void> {
  await ctx.q("UPDATE audit_events SET chain_seq = NULL, hash = NULL WHERE chain_seq >= $1", [seq]);
}

async function copyHeadOf(ctx: Ctx, seq: number): Promise<void> {
  const [row] = await ctx.q<{ hash: string }>(
    "SELECT hash FROM audit_events WHERE chain_seq = $1",
    [seq],
  );
  await ctx.q("UPDATE audit_chain_head SET seq = $1, hash = $2", [seq, row!.hash]);
}

/** The tail deleted, and the head row as it was after 6 events put back (MAC and all). */
async function restoreEarlyHead(ctx: Ctx): Promise<void> {
  await ctx.q("DELETE FROM audit_events WHERE chain_seq > $1", [ctx.early.seq]);
  await ctx.q("UPDATE audit_chain_head SET seq = $1, hash = $2, mac = $3", [
    ctx.early.seq,
    ctx.early.hash,
    ctx.early.mac,
  ]);
}

const FORGED_COLUMNS = `(event_id, at, actor, token_id, action, resource, result, ip, request_id,
  details, seal, chain_seq, hash)`;

const TAMPERINGS: Tampering[] = [
  {
    name: "edit a field of a linked event",
    tamper: (ctx) =>
      ctx.q("UPDATE audit_events SET actor = 'mallory' WHERE chain_seq = 4").then(() => undefined),
    found: [/^event 4 \(id \d+\) was altered$/],
  },
  {
    name: "delete an event in the middle",
    tamper: (ctx) => ctx.q("DELETE FROM audit_events WHERE chain_seq = 4").then(() => undefined),
    found: [/^events 4 to 4 of the chain are missing$/],
  },
  {
    name: "delete the first event",
    tamper: (ctx) => ctx.q("DELETE FROM audit_events WHERE chain_seq = 1").then(() => undefined),
    found: [
      /^events 1 to 1 of the chain are missing$/,
      /^the chain does not begin with the org's bootstrap event/,
    ],
  },
  {
    name: "swap the content of two events",
    async tamper(ctx) {
      const cols =
        "event_id, at, actor, token_id, action, resource, result, ip, request_id, details, seal";
      const rows = await ctx.q<Record<string, unknown>>(
        `SELECT chain_seq, ${cols} FROM audit_events WHERE chain_seq IN (3, 6) ORDER BY chain_seq`,
      );
      await ctx.q("UPDATE audit_events SET event_id = NULL WHERE chain_seq IN (3, 6)");
      for (const [target, source] of [
        [3, rows[1]!],
        [6, rows[0]!],
      ] as const) {
        await ctx.q(
          `UPDATE audit_events SET (${cols}) = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           WHERE chain_seq = $1`,
          [target, ...cols.split(", ").map((c) => source[c])],
        );
      }
    },
    found: [/^event 3 \(id \d+\) was altered$/, /^event 6 \(id \d+\) was altered$/],
  },
  {
    name: "insert a forged linked event with a made-up hash (and point the head at it)",
    async tamper(ctx) {
      await ctx.q(
        `INSERT INTO audit_events ${FORGED_COLUMNS} VALUES ($1, now(), 'admin', NULL, 'secret.reveal',
         'secret://default/admin/audited', 'ok', '127.0.0.1', 'forged', '{}', NULL, 10, $2)`,
        [randomBytes(16).toString("hex"), fakeHash("ab")],
      );
      await ctx.q("UPDATE audit_chain_head SET seq = 10, hash = $1", [fakeHash("ab")]);
    },
    found: [
      /^event 10 \(id \d+\) has no seal$/,
      /^event 10 \(id \d+\) was altered$/,
      /^the chain head was altered: its MAC does not verify$/,
    ],
  },
  {
    name: "insert a forged unlinked event, then run the chainer",
    async tamper(ctx) {
      const [row] = await ctx.q<{ id: number }>(
        `INSERT INTO audit_events ${FORGED_COLUMNS} VALUES ($1, now(), 'admin', NULL, 'secret.reveal',
         'secret://default/admin/audited', 'ok', '127.0.0.1', 'forged', '{}', $2, NULL, NULL)
         RETURNING id`,
        [randomBytes(16).toString("hex"), fakeHash("ef")],
      );
      await ctx.chainer();
      const [after] = await ctx.q<{ chain_seq: number | null }>(
        "SELECT chain_seq FROM audit_events WHERE id = $1",
        [row!.id],
      );
      expect(after!.chain_seq).toBeNull();
    },
    found: [/^event id \d+ is not linked and does not match its seal: it was forged or edited$/],
  },
  {
    name: "duplicate a genuine event, then run the chainer",
    async tamper(ctx) {
      await ctx.q("DROP INDEX audit_events_event_id");
      await ctx.q(
        `INSERT INTO audit_events (event_id, at, actor, token_id, action, resource, result, ip,
           request_id, details, seal)
         SELECT event_id, at, actor, token_id, action, resource, result, ip, request_id, details, seal
         FROM audit_events WHERE chain_seq = 4`,
      );
      await ctx.chainer();
      const [unlinked] = await ctx.q<{ n: number }>(
        "SELECT count(*)::int AS n FROM audit_events WHERE chain_seq IS NULL",
      );
      expect(unlinked!.n).toBe(1);
    },
    found: [/^event [0-9a-f]{32} appears 2 times \(ids \d+, \d+\)$/],
  },
  {
    name: "unlink a tail, edit it, move the head back, run the chainer",
    async tamper(ctx) {
      await unlinkFrom(ctx, 8);
      await ctx.q("UPDATE audit_events SET actor = 'mallory' WHERE chain_seq IS NULL");
      await copyHeadOf(ctx, 7);
      await ctx.chainer();
    },
    found: [
      /^the chain head was altered: its MAC does not verify$/,
      /^event id \d+ is not linked and does not match its seal: it was forged or edited$/,
    ],
  },
  {
    name: "delete the last events and the head",
    async tamper(ctx) {
      await ctx.q("DELETE FROM audit_events WHERE chain_seq >= 8");
      await ctx.q("DELETE FROM audit_chain_head");
    },
    found: [/^the chain head is missing \(7 events are linked\)$/],
  },
  {
    name: "truncate both tables",
    tamper: (ctx) => ctx.q("TRUNCATE audit_events, audit_chain_head").then(() => undefined),
    found: [/^the audit log is empty although the org is set up: it was wiped$/],
  },
  {
    name: "delete the tail, restore an earlier genuine head (found with the expected head)",
    tamper: restoreEarlyHead,
    verify: (ctx) => new AuditChain(ctx.server.deps).verify(ctx.genuine),
    found: [/^the chain is shorter than the expected head \(event 9\): the head is at event 6$/],
  },
  {
    name: "delete the tail, restore an earlier genuine head (found by the running server)",
    tamper: restoreEarlyHead,
    verify: (ctx) => ctx.chain.verify(),
    found: [
      /^the chain is shorter than the head this server saw since it started \(event 9\): the head is at event 6$/,
    ],
  },
  {
    name: "edit the head",
    tamper: (ctx) =>
      ctx.q("UPDATE audit_chain_head SET hash = $1", [fakeHash("cd")]).then(() => undefined),
    found: [
      /^the chain head was altered: its MAC does not verify$/,
      /^the chain head does not match the last event$/,
    ],
  },
  {
    name: "null the seals of a prefix, cut the chain there, head without a MAC (a restarted server)",
    async tamper(ctx) {
      await ctx.q("UPDATE audit_events SET event_id = NULL, seal = NULL WHERE chain_seq <= 2");
      await ctx.q("DELETE FROM audit_events WHERE chain_seq > 2");
      await copyHeadOf(ctx, 2);
      await ctx.q("UPDATE audit_chain_head SET mac = NULL");
    },
    found: [
      /^event 1 \(id \d+\) was altered$/,
      /^event 2 \(id \d+\) was altered$/,
      /^the chain head was altered: its MAC does not verify$/,
    ],
  },
  // Beyond the twelve: values verify must survive, not crash on.
  {
    name: "hide a forged event below the chain (link number 0)",
    async tamper(ctx) {
      await ctx.q(
        `INSERT INTO audit_events ${FORGED_COLUMNS} VALUES ($1, now(), 'admin', NULL, 'secret.reveal',
         'secret://default/admin/audited', 'ok', '127.0.0.1', 'forged', '{}', NULL, 0, $2)`,
        [randomBytes(16).toString("hex"), fakeHash("ab")],
      );
    },
    found: [/^event id \d+ has the link number 0, which no event gets$/],
  },
  {
    name: "give an event an infinite time and a seal of another alphabet",
    tamper: (ctx) =>
      ctx
        .q("UPDATE audit_events SET at = 'infinity', seal = $1 WHERE chain_seq = 5", [
          "é".repeat(64),
        ])
        .then(() => undefined),
    found: [/^event 5 \(id \d+\) was altered$/],
  },
];

async function activity(server: TestServer, admin: Actor, first: boolean): Promise<void> {
  const w = server.services.secretWriter;
  const r = server.services.secretReader;
  if (first) await w.create(admin, META, { secret: "audited", value: "fake-audited-1" });
  for (let i = 0; i < (first ? 3 : 2); i++) await r.reveal(admin, META, { secret: "audited" });
  await w.put(admin, META, { secret: "audited", value: "fake-audited-2" });
  await server.services.auditChain.chainPending();
}

describe.each(ENGINES)("audit tampering (%s)", (engine) => {
  let server: TestServer;
  let early: HeadRow;
  let genuine: ChainHead;

  // One server, its log saved once and restored before each case: starting a server per case
  // costs more than the whole suite. Each case gets a chainer of its own (as a server would
  // that has seen the untampered log), so none remembers another's state.
  beforeAll(async () => {
    server = await startTestServer(engine);
    const admin = await actorFor(server, server.adminToken);
    await activity(server, admin, true);
    [early] = (await server.deps.db.query<HeadRow>(
      "SELECT seq, hash, mac FROM audit_chain_head",
    )) as [HeadRow];
    expect(early.seq).toBe(6);
    await activity(server, admin, false);
    const clean = await server.services.auditChain.verify();
    expect(clean).toMatchObject({ ok: true, problems: [], checked: 9, unlinked: 0 });
    genuine = clean.head;
    expect(genuine.seq).toBe(9);
    await server.deps.db.query("CREATE TABLE saved_events AS SELECT * FROM audit_events");
    await server.deps.db.query("CREATE TABLE saved_head AS SELECT * FROM audit_chain_head");
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function setUp(): Promise<Ctx> {
    const s = server;
    const q = <R>(sql: string, params: unknown[] = []) => s.deps.db.query<R>(sql, params);
    await q("TRUNCATE audit_events, audit_chain_head");
    await q("CREATE UNIQUE INDEX IF NOT EXISTS audit_events_event_id ON audit_events (event_id)");
    await q("INSERT INTO audit_events SELECT * FROM saved_events");
    await q("INSERT INTO audit_chain_head SELECT * FROM saved_head");
    const chain = new AuditChain(s.deps);
    expect(await chain.verify()).toMatchObject({ ok: true, head: genuine });
    return { server: s, q, early, genuine, chain, chainer: () => chain.chainPending() };
  }

  it.each(TAMPERINGS.map((t) => [t.name, t] as const))("%s", async (_name, t) => {
    const ctx = await setUp();
    await t.tamper(ctx);
    const result = await (t.verify ?? ((c: Ctx) => new AuditChain(c.server.deps).verify()))(ctx);
    expect(result.ok).toBe(false);
    for (const found of t.found)
      expect(result.problems).toContainEqual(expect.stringMatching(found));
  });

  it("events a server before seals wrote are linked on the first start, and only then", async () => {
    const ctx = await setUp();
    const deps = ctx.server.deps;
    // The old server's log: no event ids, no seals; 6 events linked, 3 left unlinked.
    const oldRows = (where: string) =>
      ctx.q(`INSERT INTO audit_events (at, actor, token_id, action, resource, result, ip, request_id,
             details) SELECT at, actor, token_id, action, resource, result, ip, request_id, details
             FROM saved_events WHERE ${where} ORDER BY id`);
    await ctx.q("TRUNCATE audit_events, audit_chain_head");
    await oldRows("chain_seq <= 6");
    expect(await new AuditChain(deps).chainPending()).toBe(6);
    await ctx.q("UPDATE audit_chain_head SET mac = NULL");
    await oldRows("chain_seq > 6");
    const fresh = () => new AuditChain(deps).verify();
    // The start after the upgrade, before anything is written.
    await linkPreSealEvents(deps);
    const upgraded = await fresh();
    expect(upgraded).toMatchObject({ ok: true, problems: [], checked: 9, unlinked: 0 });

    const chain = new AuditChain(deps);
    const admin = await actorFor(ctx.server, ctx.server.adminToken);
    for (let i = 0; i < 3; i++)
      await ctx.server.services.secretReader.reveal(admin, META, { secret: "audited" });
    expect(await chain.chainPending()).toBe(3);
    const [head] = await ctx.q<{ mac: string | null }>("SELECT mac FROM audit_chain_head");
    expect(head!.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(await fresh()).toMatchObject({ ok: true, problems: [], checked: 12 });

    // Once a sealed event exists, an unsealed one is forged.
    await oldRows("chain_seq = 9");
    await linkPreSealEvents(deps);
    expect(await chain.chainPending()).toBe(0);
    const late = await fresh();
    expect(late.problems).toEqual([
      expect.stringMatching(
        /^event id \d+ is not linked and has no seal: it was forged or edited$/,
      ),
    ]);

    await ctx.q("UPDATE audit_events SET seal = NULL WHERE chain_seq = 11");
    await ctx.q("UPDATE audit_chain_head SET mac = NULL");
    const broken = await fresh();
    expect(broken.problems).toContainEqual(
      expect.stringMatching(/^event 11 \(id \d+\) has no seal$/),
    );
    expect(broken.problems).toContainEqual(
      expect.stringMatching(/^event 11 \(id \d+\) was altered$/),
    );
    expect(broken.problems).toContain("the chain head was altered: its MAC does not verify");
  });

  it("junk rows are refused once, marked, logged in one line, and chaining goes on", async () => {
    const ctx = await setUp();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString("utf8"));
        done();
      },
    });
    const deps = { ...ctx.server.deps, log: createLogger({ logLevel: "error" }, sink) };
    const junk = 3000;
    await ctx.q(
      `INSERT INTO audit_events (event_id, actor, action, result, seal)
       SELECT md5('fake-junk-' || i), 'mallory', 'secret.reveal', 'ok', md5('fake-seal-' || i)
       FROM generate_series(1, $1::int) AS i`,
      [junk],
    );
    const chain = new AuditChain(deps);
    const admin = await actorFor(ctx.server, ctx.server.adminToken);
    await ctx.server.services.secretReader.reveal(admin, META, { secret: "audited" });
    expect(await chain.chainPending()).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `"msg":"${junk} audit events \\(ids \\d+ to \\d+\\) not linked \\(does not match its seal\\)`,
      ),
    );
    const [marked] = await ctx.q<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE chain_seq IS NULL AND hash = 'refused'",
    );
    expect(marked!.n).toBe(junk);
    // A restarted server does not read them again.
    await ctx.server.services.secretReader.reveal(admin, META, { secret: "audited" });
    expect(await new AuditChain(deps).chainPending()).toBe(1);
    expect(lines).toHaveLength(1);

    // A genuine event marked refused with SQL, to keep it out of the chain, is found too.
    await ctx.server.services.secretReader.reveal(admin, META, { secret: "audited" });
    await ctx.q(
      "UPDATE audit_events SET hash = 'refused' WHERE chain_seq IS NULL AND hash IS NULL",
    );
    const result = await new AuditChain(deps).verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(
      expect.stringMatching(
        new RegExp(`^${junk} events outside the chain \\(ids \\d+ to \\d+\\) fail their seal`),
      ),
    );
    expect(result.problems).toContainEqual(
      expect.stringMatching(
        /^event id \d+ holds its seal but is marked refused: it was kept out of the chain$/,
      ),
    );
  });

  it("the audit keys stay pinned to their protection key; a moved pin fails every seal", async () => {
    const ctx = await setUp();
    const deps = ctx.server.deps;
    const restarted = (): AuditKeyDeps => {
      const keyring = new Keyring(deps.org, [deps.root.active]);
      return { keyring, protectionKeys: new ProtectionKeyStore(deps.db, keyring) };
    };
    const [pin] = await ctx.q<{ id: string }>("SELECT audit_key_id AS id FROM org");
    const other = await deps.protectionKeys.create(deps.db);
    try {
      // The pinned key no longer the oldest (an edited created_at, a clock stepped back).
      await ctx.q(
        "UPDATE protection_keys SET created_at = now() + interval '1 day' WHERE id = $1",
        [pin!.id],
      );
      const keys = await deriveAuditKeys(restarted(), deps.db);
      expect(keys).toEqual(await auditKeys(deps, deps.db));
      await ctx.q("UPDATE org SET audit_key_id = $1", [other]);
      const result = await new AuditChain({ ...deps, ...restarted() }).verify();
      expect(result.ok).toBe(false);
      expect(result.problems).toContainEqual(
        expect.stringMatching(/^event 1 \(id \d+\) was altered$/),
      );
      expect(result.problems).toContain("the chain head was altered: its MAC does not verify");
    } finally {
      await ctx.q("UPDATE org SET audit_key_id = $1", [pin!.id]);
      await ctx.q(
        "UPDATE protection_keys SET created_at = now() - interval '1 day' WHERE id = $1",
        [pin!.id],
      );
    }
  });

  it("an untampered log written concurrently verifies, also against its earlier head", async () => {
    const ctx = await setUp();
    const admin = await actorFor(ctx.server, ctx.server.adminToken);
    const { secretWriter: w, secretReader: r } = ctx.server.services;
    const auditChain = ctx.chain;
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        w.put(admin, META, { secret: "audited", value: `fake-concurrent-${i}` }),
      ),
      ...Array.from({ length: 30 }, () => r.reveal(admin, META, { secret: "audited" })),
      ...Array.from({ length: 5 }, () =>
        r.reveal(admin, META, { secret: "missing" }).catch(() => undefined),
      ),
      auditChain.chainPending(),
      // A second replica's chainer, and verifies while the chain grows.
      ctx.server.services.auditChain.chainPending(),
      ...Array.from({ length: 3 }, () =>
        auditChain.verify().then((v) => expect(v.problems).toEqual([])),
      ),
    ]);
    const [{ n }] = (await ctx.q<{ n: number }>("SELECT count(*)::int AS n FROM audit_events")) as [
      { n: number },
    ];
    for (const verify of [
      () => auditChain.verify(ctx.genuine),
      () => new AuditChain(ctx.server.deps).verify(ctx.genuine),
    ]) {
      const result = await verify();
      expect(result).toMatchObject({ ok: true, problems: [], checked: n, unlinked: 0 });
      expect(result.head.seq).toBe(n);
    }
  });
});

describe("the audit head outside the database", () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it("is published in /metrics and the log, and an expected head is checked by audit.verify", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString("utf8"));
        done();
      },
    });
    server = await startTestServer("pglite", { log: createLogger({ logLevel: "info" }, sink) });
    const admin = await actorFor(server, server.adminToken);
    await activity(server, admin, true);
    const { head } = await server.services.audit.verify(admin, {});
    expect(head.seq).toBe(6);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`coffer_audit_chain_head_seq ${head.seq}`);
    expect(metrics.match(/^coffer_audit_chain_head_info\{.*$/gm)).toEqual([
      `coffer_audit_chain_head_info{digest="${head.digest}"} 1`,
    ]);
    const logged = lines
      .map((l) => JSON.parse(l) as { auditHead?: ChainHead })
      .filter((l) => l.auditHead !== undefined);
    expect(logged.at(-1)!.auditHead).toEqual(head);

    const caller = callerAs(server, admin);
    const later = await caller.audit.verify({ expectHead: head });
    expect(later).toMatchObject({ ok: true, head });
    for (const expectHead of [
      { seq: 0, digest: head.digest },
      { seq: 1, digest: "not-hex" },
      { seq: 1.5, digest: head.digest },
    ]) {
      const refused = await caller.audit.verify({ expectHead }).then(
        () => undefined,
        (error: { cause?: unknown }) => error.cause,
      );
      expect(refused).toBeInstanceOf(CofferError);
      expect((refused as CofferError).errorCode).toBe("INVALID_REQUEST");
    }
    const wrong = await server.services.audit.verify(admin, {
      expectHead: { seq: head.seq, digest: fakeHash("01") },
    });
    expect(wrong.problems).toContainEqual(
      expect.stringMatching(
        /^event 6 does not have the digest of the expected head: it was rewritten$/,
      ),
    );
  });
});
