/**
 * Hook delivery by two replicas on one PostgreSQL database, each with its worker on (SPEC §12:
 * delivered at least once, by workers across replicas). Real server processes
 * (test-server-child.mjs, a 12 s hook lease), two hooks each with an automation on every
 * secret event:
 * - 200 events written through both replicas: every one delivered to each hook, each
 *   webhook-id arriving once (no lease expires here: the receiver answers at once);
 * - one replica killed while its deliveries are in flight (the other paused meanwhile, so that
 *   the first takes them all): the other finishes them once their lease has ended, under the
 *   same webhook-ids.
 * Skipped without COFFER_TEST_DATABASE_URL.
 */
import type { CofferProcess } from "@coffer/test-kit";
import { eventually } from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killed, processPlace, type ProcessPlace } from "../test-processes.js";
import { httpCaller, POSTGRES_URL } from "../test-support.js";
import { expectAtLeastOnce, holdingReceiver, type HoldingReceiver } from "./test-hooks.js";

const LEASE_MS = 12_000;
const HOOKS = ["h1", "h2"] as const;
const SECRETS = 10;
const VERSIONS = 20; // 10 × 20 = 200 events

describe.skipIf(!POSTGRES_URL)(
  "hook delivery by two replicas on PostgreSQL (skipped without COFFER_TEST_DATABASE_URL)",
  () => {
    let place: ProcessPlace;
    let receiver: HoldingReceiver;
    let a: CofferProcess;
    let b: CofferProcess;
    const api = (replica: CofferProcess) => httpCaller(replica.url, place.token);
    const at = (hook: string) => receiver.received.filter((r) => r.url === `/${hook}`);

    /** Every delivery of both hooks delivered, as `via` reads the log; their count. */
    const allDelivered = (via: CofferProcess) =>
      eventually(
        "every delivery delivered",
        async () => {
          let count = 0;
          for (const hook of HOOKS) {
            for (let cursor: string | undefined, more = true; more;) {
              const page = await api(via).deliveries.list.query({
                hook: `admin/${hook}`,
                limit: 200,
                ...(cursor ? { cursor } : {}),
              });
              if (page.items.some((d) => d.state !== "delivered")) return undefined;
              count += page.items.length;
              cursor = page.nextCursor ?? undefined;
              more = cursor !== undefined;
            }
          }
          return count;
        },
        { intervalMs: 500, timeoutMs: 120_000 },
      );

    /** The delivered attempts a replica made (its /metrics). */
    const deliveredBy = async (replica: CofferProcess): Promise<number> => {
      const text = await (await fetch(`${replica.url}/metrics`)).text();
      const line = /^coffer_hook_delivery_attempts_total\{outcome="delivered"\} (\d+)$/m.exec(text);
      return Number(line?.[1] ?? 0);
    };

    beforeAll(async () => {
      receiver = await holdingReceiver();
      place = await processPlace("postgres", { COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" });
      a = await place.start({ hookLeaseMs: LEASE_MS });
      b = await place.start({ hookLeaseMs: LEASE_MS });
      await api(a).team.create.mutate({ name: "rep" });
      for (const hook of HOOKS) {
        await api(a).hook.create.mutate({ name: hook, url: `${receiver.url}/${hook}` });
        await api(a).automation.create.mutate({
          name: `on_${hook}`,
          on: ["secret.created", "secret.version.created"],
          match: "secret://default/rep/*",
          hook: `admin/${hook}`,
        });
      }
    }, 180_000);
    afterAll(async () => {
      await place?.close();
      await receiver?.close();
    });

    it("delivers 200 events once to each hook, written through both replicas", async () => {
      const expected: string[] = [];
      for (let v = 1; v <= VERSIONS; v++) {
        for (let s = 0; s < SECRETS; s++) {
          const replica = (v + s) % 2 === 0 ? a : b;
          const secret = `rep/s${s}`;
          const value = `fake-${s}-${v}`;
          if (v === 1) await api(replica).secret.create.mutate({ secret, value });
          else await api(replica).secret.put.mutate({ secret, value });
          expected.push(`secret://default/${secret}#${v}`);
        }
      }
      expect(expected).toHaveLength(200);
      expect(await allDelivered(b)).toBe(2 * expected.length);
      for (const hook of HOOKS) {
        const seen = expectAtLeastOnce(at(hook), expected);
        // Each webhook-id once: no two replicas sent the same delivery.
        for (const [key, entry] of seen) expect(entry.count, `${hook} ${key}`).toBe(1);
      }
      // Both replicas' workers delivered, 400 attempts between them.
      const byA = await deliveredBy(a);
      const byB = await deliveredBy(b);
      expect(byA + byB).toBe(2 * expected.length);
      expect(byA).toBeGreaterThan(0);
      expect(byB).toBeGreaterThan(0);
    }, 240_000);

    it("finishes the deliveries of a replica killed mid-flight, once their lease has ended", async () => {
      receiver.received.length = 0;
      b.child.kill("SIGSTOP"); // a takes every new delivery
      receiver.hold();
      const expected: string[] = [];
      for (let v = 1; v <= 10; v++) {
        const value = `fake-late-${v}`;
        if (v === 1) await api(a).secret.create.mutate({ secret: "rep/late", value });
        else await api(a).secret.put.mutate({ secret: "rep/late", value });
        expected.push(`secret://default/rep/late#${v}`);
      }
      await eventually("every delivery held at the receiver", () =>
        receiver.received.length >= HOOKS.length * expected.length ? true : undefined,
      );
      await killed(a);
      receiver.release();
      b.child.kill("SIGCONT");

      const total = 2 * (200 + expected.length);
      expect(await allDelivered(b)).toBe(total);
      for (const hook of HOOKS) {
        const seen = expectAtLeastOnce(at(hook), expected);
        // Sent by a (held, never answered), then by b under the same webhook-id.
        for (const [key, entry] of seen) expect(entry.count, `${hook} ${key}`).toBe(2);
      }
      expect(b.alive(), b.output()).toBe(true);
    }, 240_000);
  },
);
