/**
 * The audit hash chain. Requests insert events without a link, inside their own transactions
 * (durable before the response; no lock shared by every request). The chainer, one at a time
 * across replicas (advisory lock), gives committed events a gapless `chain_seq` in order and
 * `hash = HMAC(key, previous hash + event)`, and moves the head. Verify recomputes the chain:
 * an edited event breaks its hash, a deleted one leaves a gap, a cut tail disagrees with the
 * head. The HMAC key is derived from the audit protection key, so rewriting the chain needs
 * the root key, not only the database.
 */
import { createHmac } from "node:crypto";
import type { Deps } from "../deps.js";
import type { Queryable } from "../db/database.js";

const CHAIN_LOCK = 7_700_002;
const GENESIS = "0".repeat(64);
const BATCH = 2000;
export const AUDIT_KEY_LABEL = "coffer/audit-chain/v1";

interface EventRow {
  id: number;
  at_us: string;
  actor: string | null;
  token_id: string | null;
  action: string;
  resource: string | null;
  result: string;
  ip: string | null;
  request_id: string | null;
  details: unknown;
  chain_seq: number | null;
  hash: string | null;
}

const EVENT_COLUMNS = `id, (extract(epoch FROM at) * 1000000)::bigint::text AS at_us, actor, token_id, action,
  resource, result, ip, request_id, details, chain_seq, hash`;

function link(key: Buffer, previous: string, seq: number, e: EventRow): string {
  const body = JSON.stringify([
    seq,
    e.id,
    e.at_us,
    e.actor,
    e.token_id,
    e.action,
    e.resource,
    e.result,
    e.ip,
    e.request_id,
    e.details,
  ]);
  return createHmac("sha256", key).update(previous).update("\n").update(body).digest("hex");
}

export class AuditChain {
  #key: Buffer | undefined;

  constructor(private readonly deps: Deps) {}

  async #chainKey(q: Queryable): Promise<Buffer> {
    if (!this.#key) {
      const [row] = await q.query<{ id: string }>(
        "SELECT id FROM protection_keys ORDER BY created_at, id LIMIT 1",
      );
      if (!row) throw new Error("no protection key to derive the audit key from");
      await this.deps.protectionKeys.ensureLoaded(row.id, q);
      this.#key = this.deps.keyring.deriveKey(row.id, AUDIT_KEY_LABEL);
    }
    return this.#key;
  }

  /** Links every committed, unlinked event; returns how many it linked. */
  async chainPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const linked = await this.deps.db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock($1)", [CHAIN_LOCK]);
        const key = await this.#chainKey(tx);
        const [head] = await tx.query<{ seq: number; hash: string }>(
          "SELECT seq, hash FROM audit_chain_head",
        );
        let seq = head?.seq ?? 0;
        let hash = head?.hash ?? GENESIS;
        const events = await tx.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE chain_seq IS NULL ORDER BY id LIMIT ${BATCH}`,
        );
        if (events.length === 0) return 0;
        const ids: number[] = [];
        const seqs: number[] = [];
        const hashes: string[] = [];
        for (const e of events) {
          seq += 1;
          hash = link(key, hash, seq, e);
          ids.push(e.id);
          seqs.push(seq);
          hashes.push(hash);
        }
        await tx.query(
          `UPDATE audit_events a SET chain_seq = u.seq, hash = u.hash
           FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(id, seq, hash) WHERE a.id = u.id`,
          [ids, seqs, hashes],
        );
        await tx.query(
          `INSERT INTO audit_chain_head (singleton, seq, hash) VALUES (true, $1, $2)
           ON CONFLICT (singleton) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash`,
          [seq, hash],
        );
        return events.length;
      });
      total += linked;
      if (linked < BATCH) return total;
    }
  }

  /** Links what is pending, then checks the whole chain. */
  async verify(): Promise<AuditVerification> {
    await this.chainPending();
    const key = await this.#chainKey(this.deps.db);
    const problems: string[] = [];
    let expected = 1;
    let hash = GENESIS;
    let checked = 0;
    for (;;) {
      const events = await this.deps.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE chain_seq >= $1 ORDER BY chain_seq LIMIT ${BATCH}`,
        [expected],
      );
      for (const e of events) {
        if (e.chain_seq !== expected) {
          problems.push(`events ${expected} to ${e.chain_seq! - 1} of the chain are missing`);
          expected = e.chain_seq!;
          hash = e.hash ?? GENESIS;
          expected += 1;
          checked += 1;
          continue;
        }
        const recomputed = link(key, hash, expected, e);
        if (recomputed !== e.hash) problems.push(`event ${expected} (id ${e.id}) was altered`);
        hash = e.hash ?? recomputed;
        expected += 1;
        checked += 1;
      }
      if (events.length < BATCH) break;
    }
    const [head] = await this.deps.db.query<{ seq: number; hash: string }>(
      "SELECT seq, hash FROM audit_chain_head",
    );
    const last = expected - 1;
    if (head && head.seq > last)
      problems.push(`events ${last + 1} to ${head.seq} of the chain are missing`);
    else if (head && head.seq === last && head.hash !== hash)
      problems.push("the chain head does not match the last event");
    const [unlinked] = await this.deps.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE chain_seq IS NULL",
    );
    return { ok: problems.length === 0, checked, unlinked: unlinked?.n ?? 0, problems };
  }
}

export interface AuditVerification {
  ok: boolean;
  /** Events whose link was checked. */
  checked: number;
  /** Events committed after this check began linking. */
  unlinked: number;
  problems: string[];
}
