/**
 * The audit hash chain. Requests insert sealed events without a link, inside their own
 * transactions (durable before the response; no lock shared by every request). The chainer,
 * one at a time across replicas (advisory lock), links committed events in id order: a
 * gapless `chain_seq` and `hash = HMAC(key, previous hash + event)`, and moves the head, which
 * carries a MAC (and marks the events it refuses, never to read them again). It links only
 * events whose seal holds and whose event id is not linked yet (or, while no sealed event
 * exists, events written before seals existed), and only from a head that is authentic, ends
 * the chain, and is not behind the highest head this server has seen: links go forward only.
 *
 * Verify recomputes everything: an edited event breaks its seal and link, a deleted one leaves
 * a gap, a forged or copied one fails its seal or repeats an event id, a moved or edited head
 * disagrees with the chain or its MAC, a wiped log lacks the bootstrap event. A rollback to an
 * earlier genuine state shows only against a head read before: the one this server saw since
 * it started, an expected head given by the caller, or one read from `/metrics` or the log,
 * where every server publishes the head it sees.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Deps } from "../deps.js";
import type { Queryable } from "../db/database.js";
import { orgStore } from "../stores/key-store.js";
import {
  auditKeys,
  eventFields,
  headMac,
  sealOf,
  type AuditKeys,
  type SealedFields,
} from "./audit-seal.js";

export { AUDIT_KEY_LABEL } from "./audit-seal.js";

const CHAIN_LOCK = 7_700_002;
export const GENESIS = "0".repeat(64);
const GENESIS_HEAD: ChainHead = { seq: 0, digest: GENESIS };
const BATCH = 2000;
/** The `hash` of an unlinked row the chainer refused: it never reads the row again. */
export const REFUSED = "refused";
/** The head goes to the log at most this often while it moves (and at each verify). */
const HEAD_LOG_MS = 60_000;
/** Verify lists at most this many problems. */
const MAX_PROBLEMS = 200;

/** A chain head: how many events are linked, and the last link. */
export interface ChainHead {
  seq: number;
  digest: string;
}

interface EventRow extends Omit<SealedFields, "event_id"> {
  id: number;
  event_id: string | null;
  seal: string | null;
  chain_seq: number | null;
  hash: string | null;
}

interface HeadRow {
  seq: number;
  hash: string;
  mac: string | null;
}

/** (An edited time may be infinite: it then reads as text, and fails its seal and link.) */
const EVENT_COLUMNS = `id, event_id,
  CASE WHEN isfinite(at) THEN (extract(epoch FROM at) * 1000000)::bigint::text ELSE at::text END AS at_us,
  actor, token_id, action, resource, result, ip, request_id, details, seal, chain_seq, hash`;

/**
 * An event's link. A sealed event's covers its event id and seal too, under a label of its
 * own: with its seal set to NULL it no longer passes as an event linked before seals existed
 * (whose link, the formula from before migration 003, covers neither).
 */
function link(key: Buffer, previous: string, seq: number, e: EventRow): string {
  const body =
    e.seal === null
      ? JSON.stringify([seq, e.id, ...eventFields(e)])
      : JSON.stringify(["coffer-audit-link/v2", seq, e.id, e.event_id, e.seal, ...eventFields(e)]);
  return createHmac("sha256", key).update(previous).update("\n").update(body).digest("hex");
}

/** An event as written before migration 003: no seal, no event id. */
const legacy = (e: EventRow): boolean => e.seal === null && e.event_id === null;

/** Equal strings, compared in constant time (any text: an attacker writes these columns). */
function same(a: string | null, b: string): boolean {
  if (a === null) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Why an unlinked event may not be linked, or null when its seal holds. */
function sealTrouble(keys: AuditKeys, e: EventRow): string | null {
  if (e.seal === null || e.event_id === null) return "has no seal";
  if (!same(e.seal, sealOf(keys.seal, { ...e, event_id: e.event_id })))
    return "does not match its seal";
  return null;
}

async function readHead(q: Queryable): Promise<HeadRow | undefined> {
  const [head] = await q.query<HeadRow>("SELECT seq, hash, mac FROM audit_chain_head");
  return head;
}

/**
 * A head is authentic when its MAC holds; a head without a MAC only while it ends the events
 * linked before seals existed (migration 003): no linked event is sealed, and the head's event
 * is unsealed and linked to the one before it.
 */
async function headAuthentic(q: Queryable, keys: AuditKeys, head: HeadRow): Promise<boolean> {
  if (head.mac !== null) return same(head.mac, headMac(keys.chain, head.seq, head.hash));
  const [sealed] = await q.query<{ any: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM audit_events WHERE chain_seq IS NOT NULL AND seal IS NOT NULL) AS any",
  );
  if (sealed?.any !== false) return false;
  const rows = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE chain_seq IN ($1, $2) ORDER BY chain_seq`,
    [head.seq - 1, head.seq],
  );
  const row = rows.at(-1);
  const previous = head.seq === 1 ? GENESIS : rows.length === 2 ? rows[0]!.hash : null;
  return (
    row !== undefined &&
    row.chain_seq === head.seq &&
    legacy(row) &&
    previous !== null &&
    same(row.hash, link(keys.chain, previous, head.seq, row)) &&
    same(head.hash, row.hash!)
  );
}

/**
 * Links what the server before migration 003 wrote but did not link, while no sealed event
 * exists (the first start after the upgrade): the server's start runs this before anything
 * writes a sealed event. Afterwards an unsealed event is refused as forged. (Someone who deletes
 * every sealed event with SQL and writes unsealed ones has them linked too: as a rollback, that
 * shows only against a head kept outside the database.)
 */
export async function linkPreSealEvents(deps: Deps): Promise<void> {
  const [state] = await deps.db.query<{ pending: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM audit_events WHERE chain_seq IS NULL AND hash IS NULL AND seal IS NULL)
       AND NOT EXISTS (SELECT 1 FROM audit_events WHERE seal IS NOT NULL) AS pending`,
  );
  if (state?.pending) await new AuditChain(deps).chainPending();
}

export class AuditChain {
  /** The highest authentic head this server has seen: the chain may never go behind it. */
  #highest: ChainHead = { seq: 0, digest: GENESIS };
  #loggedAt = 0;
  #lastRefusal: string | null = null;

  constructor(private readonly deps: Deps) {}

  /** Links every committed, sealed, unlinked event; returns how many it linked. */
  async chainPending(): Promise<number> {
    let total = 0;
    const refused: Refused = { count: 0, first: 0, last: 0, why: new Set() };
    try {
      for (;;) {
        const batch = await this.deps.db.transaction((tx) => this.#chainBatch(tx, refused));
        if (batch.head) this.#note(batch.head);
        total += batch.linked;
        if (batch.read < BATCH) return total;
      }
    } finally {
      // One line per pass, however many: each refused row is marked and never read again.
      if (refused.count > 0)
        this.deps.log.error(
          { auditEventIds: { from: refused.first, to: refused.last }, count: refused.count },
          `${refused.count} audit events (ids ${refused.first} to ${refused.last}) not linked (${[...refused.why].join(", ")}): run audit verify`,
        );
    }
  }

  async #chainBatch(
    tx: Queryable,
    refused: Refused,
  ): Promise<{ linked: number; read: number; head: ChainHead | undefined }> {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [CHAIN_LOCK]);
    const keys = await auditKeys(this.deps, tx);
    const head = await readHead(tx);
    const trouble = await this.#headTrouble(tx, keys, head);
    if (trouble !== null) {
      this.#refuse(`audit chaining stopped: ${trouble}`);
      return { linked: 0, read: 0, head: undefined };
    }
    this.#lastRefusal = null;
    const from: ChainHead = head ? { seq: head.seq, digest: head.hash } : GENESIS_HEAD;
    const events = await tx.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events
       WHERE chain_seq IS NULL AND hash IS NULL ORDER BY id LIMIT ${BATCH}`,
    );
    if (events.length === 0) return { linked: 0, read: 0, head: from };
    // Events from before seals exist are linked only while no sealed one does (see above).
    const [sealed] = await tx.query<{ any: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM audit_events WHERE seal IS NOT NULL) AS any",
    );
    const legacyLinkable = sealed?.any === false;
    const linkedIds = new Set(
      (
        await tx.query<{ event_id: string }>(
          "SELECT event_id FROM audit_events WHERE event_id = ANY($1::text[]) AND chain_seq IS NOT NULL",
          [events.flatMap((e) => (e.event_id === null ? [] : [e.event_id]))],
        )
      ).map((r) => r.event_id),
    );
    let seq = from.seq;
    let hash = from.digest;
    const ids: number[] = [];
    const seqs: number[] = [];
    const hashes: string[] = [];
    const refusedIds: number[] = [];
    for (const e of events) {
      const why =
        legacyLinkable && legacy(e)
          ? null
          : (sealTrouble(keys, e) ??
            (linkedIds.has(e.event_id!) ? "repeats a linked event" : null));
      if (why !== null) {
        refusedIds.push(e.id);
        if (refused.count === 0) refused.first = e.id;
        refused.last = e.id;
        refused.count += 1;
        refused.why.add(why);
        continue;
      }
      if (e.event_id !== null) linkedIds.add(e.event_id);
      seq += 1;
      hash = link(keys.chain, hash, seq, e);
      ids.push(e.id);
      seqs.push(seq);
      hashes.push(hash);
    }
    if (refusedIds.length > 0)
      await tx.query(
        "UPDATE audit_events SET hash = $2 WHERE id = ANY($1::bigint[]) AND chain_seq IS NULL",
        [refusedIds, REFUSED],
      );
    if (ids.length > 0) {
      await tx.query(
        `UPDATE audit_events a SET chain_seq = u.seq, hash = u.hash
         FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(id, seq, hash) WHERE a.id = u.id`,
        [ids, seqs, hashes],
      );
      await tx.query(
        `INSERT INTO audit_chain_head (singleton, seq, hash, mac) VALUES (true, $1, $2, $3)
         ON CONFLICT (singleton) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, mac = EXCLUDED.mac`,
        [seq, hash, headMac(keys.chain, seq, hash)],
      );
    }
    return { linked: ids.length, read: events.length, head: { seq, digest: hash } };
  }

  /** Why the chain may not be extended from this head, or null. */
  async #headTrouble(
    q: Queryable,
    keys: AuditKeys,
    head: HeadRow | undefined,
  ): Promise<string | null> {
    const [last] = await q.query<{ chain_seq: number; hash: string }>(
      "SELECT chain_seq, hash FROM audit_events WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1",
    );
    if (!head) {
      if (last) return `the chain head is missing while events up to ${last.chain_seq} are linked`;
      return this.#wentBack(undefined);
    }
    if (!(await headAuthentic(q, keys, head))) return "the chain head's MAC does not verify";
    const back = this.#wentBack(head);
    if (back !== null) return back;
    if (!last || last.chain_seq !== head.seq || last.hash !== head.hash)
      return `the last linked event (${last?.chain_seq ?? "none"}) is not the head (${head.seq})`;
    return null;
  }

  #wentBack(head: HeadRow | undefined): string | null {
    const seen = this.#highest;
    const seq = head?.seq ?? 0;
    if (seq < seen.seq)
      return `the chain head went back from event ${seen.seq}, which this server saw, to ${seq}`;
    if (seq === seen.seq && seq > 0 && head!.hash !== seen.digest)
      return `the chain head at event ${seq} changed since this server saw it`;
    return null;
  }

  #refuse(message: string): void {
    if (message === this.#lastRefusal) return;
    this.#lastRefusal = message;
    this.deps.log.error(message);
  }

  /** Takes an authentic head: the highest one is kept, published in /metrics and logged. */
  #note(head: ChainHead, always = false): void {
    if (head.seq > this.#highest.seq) this.#highest = head;
    const { seq, digest } = this.#highest;
    this.deps.metrics.auditHeadSeq.set(seq);
    this.deps.metrics.auditHeadInfo.reset();
    if (seq > 0) this.deps.metrics.auditHeadInfo.set({ digest }, 1);
    const now = Date.now();
    if (always || now - this.#loggedAt >= HEAD_LOG_MS) {
      this.#loggedAt = now;
      this.deps.log.info({ auditHead: { seq, digest } }, "audit chain head");
    }
  }

  /** Links what is pending, then checks the whole chain (and against `expect`, if given). */
  async verify(expect?: ChainHead): Promise<AuditVerification> {
    await this.chainPending().catch((err: unknown) =>
      this.deps.log.error({ err }, "audit chaining failed"),
    );
    const db = this.deps.db;
    const keys = await auditKeys(this.deps, db);
    const problems: string[] = [];
    // Taken before the walk: the head read after it is at least as far.
    const seen = this.#highest;
    const walk: Walk = { last: { ...GENESIS_HEAD }, checked: 0, sealed: false, first: undefined };
    await this.#walk(db, keys, walk, problems);
    let head = await readHead(db);
    // A head ahead of the walk may have moved meanwhile (a chainer runs on every replica):
    // its events are committed with it, so walk on to them before calling them missing.
    for (let tries = 0; head && head.seq > walk.last.seq && tries < 5; tries++) {
      const before = walk.checked;
      await this.#walk(db, keys, walk, problems);
      if (walk.checked === before) break;
      head = await readHead(db);
    }
    const authentic = head !== undefined && (await headAuthentic(db, keys, head));
    const last = walk.last;
    if (!head) {
      if (last.seq > 0) problems.push(`the chain head is missing (${last.seq} events are linked)`);
    } else {
      if (!authentic) problems.push("the chain head was altered: its MAC does not verify");
      if (head.seq > last.seq)
        problems.push(`events ${last.seq + 1} to ${head.seq} of the chain are missing`);
      else if (head.seq < last.seq)
        problems.push(
          `events ${head.seq + 1} to ${last.seq} are linked after the head: the head was moved back`,
        );
      else if (head.hash !== last.digest)
        problems.push("the chain head does not match the last event");
    }
    const reported: ChainHead = head ? { seq: head.seq, digest: head.hash } : { ...GENESIS_HEAD };
    const against = async (anchor: ChainHead, name: string): Promise<void> => {
      if (anchor.seq === 0) return;
      const [row] = await db.query<{ hash: string }>(
        "SELECT hash FROM audit_events WHERE chain_seq = $1",
        [anchor.seq],
      );
      if (!row || reported.seq < anchor.seq)
        problems.push(
          `the chain is shorter than ${name} (event ${anchor.seq}): the head is at event ${reported.seq}`,
        );
      else if (row.hash !== anchor.digest)
        problems.push(`event ${anchor.seq} does not have the digest of ${name}: it was rewritten`);
    };
    if (expect) await against(expect, "the expected head");
    await against(seen, "the head this server saw since it started");
    const copied = await this.#checkDuplicates(db, problems);
    await this.#checkUnlinked(db, keys, copied, problems);
    await this.#checkBeginning(db, walk.first, problems);
    if (authentic && problems.length === 0) this.#note(reported, true);
    else this.deps.log.info({ auditHead: reported, ok: false }, "audit chain head");
    const [unlinked] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE chain_seq IS NULL",
    );
    const shown =
      problems.length > MAX_PROBLEMS
        ? [...problems.slice(0, MAX_PROBLEMS), `and ${problems.length - MAX_PROBLEMS} more`]
        : problems;
    return {
      ok: problems.length === 0,
      checked: walk.checked,
      unlinked: unlinked?.n ?? 0,
      head: reported,
      problems: shown,
    };
  }

  /** Walks the linked events in order: links, seals, gaps. */
  /** Walks the linked events from where `w` stands, in order: links, seals, gaps. */
  async #walk(q: Queryable, keys: AuditKeys, w: Walk, problems: string[]): Promise<void> {
    for (;;) {
      const events = await q.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE chain_seq >= $1 ORDER BY chain_seq LIMIT ${BATCH}`,
        [w.last.seq + 1],
      );
      for (const e of events) {
        const seq = e.chain_seq!;
        if (seq === 1) w.first = e;
        let altered = false;
        if (seq !== w.last.seq + 1) {
          problems.push(`events ${w.last.seq + 1} to ${seq - 1} of the chain are missing`);
        } else {
          altered = !same(e.hash, link(keys.chain, w.last.digest, seq, e));
        }
        if (e.seal === null) {
          // (Its link is the formula from before seals: a sealed event's no longer holds.)
          if (w.sealed) problems.push(`event ${seq} (id ${e.id}) has no seal`);
        } else {
          w.sealed = true;
          altered ||= sealTrouble(keys, e) !== null;
        }
        if (altered) problems.push(`event ${seq} (id ${e.id}) was altered`);
        w.last = { seq, digest: e.hash ?? GENESIS };
        w.checked += 1;
      }
      if (events.length < BATCH) return;
    }
  }

  /**
   * Events outside the chain: unlinked ones not sealed by the server were inserted or edited
   * with SQL (each listed, up to a limit, and counted); a genuine one marked refused was kept
   * out of the chain with SQL (a copy of a linked event is reported as a duplicate instead);
   * a link number below 1 is no link the chainer gives.
   */
  async #checkUnlinked(
    q: Queryable,
    keys: AuditKeys,
    copied: Set<string>,
    problems: string[],
  ): Promise<void> {
    const forged: Refused = { count: 0, first: 0, last: 0, why: new Set() };
    const listed: string[] = [];
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const events = await q.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE (chain_seq IS NULL OR chain_seq < 1) AND id > $1
         ORDER BY id LIMIT ${BATCH}`,
        [after],
      );
      for (const e of events) {
        after = e.id;
        if (e.chain_seq !== null) {
          problems.push(`event id ${e.id} has the link number ${e.chain_seq}, which no event gets`);
          continue;
        }
        const why = sealTrouble(keys, e);
        if (why === null) {
          if (e.hash !== null && !copied.has(e.event_id!))
            problems.push(
              `event id ${e.id} holds its seal but is marked refused: it was kept out of the chain`,
            );
          continue;
        }
        if (forged.count === 0) forged.first = e.id;
        forged.last = e.id;
        forged.count += 1;
        if (listed.length < MAX_PROBLEMS)
          listed.push(`event id ${e.id} is not linked and ${why}: it was forged or edited`);
      }
      if (events.length < BATCH) break;
    }
    if (forged.count > 1)
      problems.push(
        `${forged.count} events outside the chain (ids ${forged.first} to ${forged.last}) fail their seal: they were forged or edited`,
      );
    problems.push(...listed);
  }

  /** Event ids that appear more than once, each reported. */
  async #checkDuplicates(q: Queryable, problems: string[]): Promise<Set<string>> {
    const copies = await q.query<{ event_id: string; ids: number[] }>(
      `SELECT event_id, array_agg(id ORDER BY id) AS ids FROM audit_events
       WHERE event_id IS NOT NULL GROUP BY event_id HAVING count(*) > 1 LIMIT ${MAX_PROBLEMS}`,
    );
    for (const c of copies)
      problems.push(`event ${c.event_id} appears ${c.ids.length} times (ids ${c.ids.join(", ")})`);
    return new Set(copies.map((c) => c.event_id));
  }
  /** Once the org is set up, the chain begins with its bootstrap event. */
  async #checkBeginning(
    q: Queryable,
    first: EventRow | undefined,
    problems: string[],
  ): Promise<void> {
    const [state] = await q.query<{ org: boolean; events: boolean }>(
      `SELECT ${orgStore.existsSql} AS org, EXISTS (SELECT 1 FROM audit_events) AS events`,
    );
    if (!state?.org) return;
    if (!state.events)
      problems.push("the audit log is empty although the org is set up: it was wiped");
    else if (first?.action !== "org.bootstrap")
      problems.push(
        "the chain does not begin with the org's bootstrap event: the log was cut or replaced",
      );
  }
}

/** Unlinked events refused (by the chainer) or found forged (by verify), counted. */
interface Refused {
  count: number;
  first: number;
  last: number;
  why: Set<string>;
}

/** Where a walk along the chain stands. */
interface Walk {
  last: ChainHead;
  checked: number;
  /** A sealed event was passed: no unsealed one may follow. */
  sealed: boolean;
  first: EventRow | undefined;
}

export interface AuditVerification {
  ok: boolean;
  /** Events whose link was checked. */
  checked: number;
  /** Events not linked when the check ended (written meanwhile, or refused). */
  unlinked: number;
  /** The chain head as stored: keep it, to check a later verify against it (expectHead). */
  head: ChainHead;
  problems: string[];
}
