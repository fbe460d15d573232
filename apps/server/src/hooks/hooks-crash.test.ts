/**
 * Hook delivery across a SIGKILL (SPEC §12: events written with the change, delivered at least
 * once). A real server process with a hook and an automation to a local receiver; N versions
 * written, the server killed, started again on the same data directory and database:
 * - (a) after the writes committed, before any delivery (the first server runs no worker);
 * - (b) while every delivery is in flight (the receiver holds the requests open).
 * Every event arrives at least once, its duplicates under the same `webhook-id` (and event id),
 * no event under two ids, and the delivery log ends with each delivered. The restarted server
 * takes the dead one's leases over once they end: a 12 s hook lease (past the 10 s send
 * timeout), through COFFER_HOOK_LEASE_MS.
 */
import { eventually, type CofferProcess } from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killed, processPlace, type ProcessPlace } from "../test-processes.js";
import { ENGINES, httpCaller } from "../test-support.js";
import { expectAtLeastOnce, holdingReceiver, type HoldingReceiver } from "./test-hooks.js";

const N = 6;
const LEASE_MS = 12_000;
const ENV = { COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" };

describe.each(ENGINES)("hook delivery across a SIGKILL on %s", (engine) => {
  let place: ProcessPlace;
  let receiver: HoldingReceiver;
  let server: CofferProcess;
  const api = () => httpCaller(server.url, place.token);

  /** Writes `secret` and N - 1 more versions of it; the events' `uri#version`. */
  async function writeVersions(secret: string): Promise<string[]> {
    await api().secret.create.mutate({ secret: `crash/${secret}`, value: "fake-v1" });
    for (let v = 2; v <= N; v++) {
      await api().secret.put.mutate({ secret: `crash/${secret}`, value: `fake-v${v}` });
    }
    return Array.from({ length: N }, (_, i) => `secret://default/crash/${secret}#${i + 1}`);
  }

  /** Every delivery of the hook ended delivered (the log agrees with the receiver). */
  const allDelivered = () =>
    eventually(
      "every delivery delivered",
      async () => {
        const { items } = await api().deliveries.list.query({ hook: "admin/h", limit: 200 });
        return items.length > 0 && items.every((d) => d.state === "delivered") ? items : undefined;
      },
      { intervalMs: 250, timeoutMs: 120_000 },
    );

  beforeAll(async () => {
    receiver = await holdingReceiver();
    place = await processPlace(engine, ENV);
    server = await place.start({ jobs: false });
    await api().team.create.mutate({ name: "crash" });
    // The admin's own hook: its signing key is no secret under crash/.
    await api().hook.create.mutate({ name: "h", url: `${receiver.url}/h` });
    await api().automation.create.mutate({
      name: "all",
      on: ["secret.created", "secret.version.created"],
      match: "secret://default/crash/*",
      hook: "admin/h",
    });
  }, 180_000);
  afterAll(async () => {
    await place?.close();
    await receiver?.close();
  });

  it("killed after the writes committed, before any delivery: all arrive after the restart", async () => {
    const expected = await writeVersions("before");
    await killed(server);
    expect(receiver.received).toHaveLength(0);
    server = await place.start({ hookLeaseMs: LEASE_MS });
    await eventually("every event at the receiver", () =>
      arrived(expected.length) ? true : undefined,
    );
    const items = await allDelivered();
    expect(items).toHaveLength(N);
    const seen = expectAtLeastOnce(receiver.received, expected);
    expect(new Set(items.map((d) => d.messageId))).toStrictEqual(
      new Set([...seen.values()].flatMap((e) => [...e.messageIds])),
    );
  }, 180_000);

  it("killed while every delivery is in flight: each is sent again under its webhook-id", async () => {
    receiver.received.length = 0;
    receiver.hold();
    const expected = await writeVersions("inflight");
    await eventually("every event held at the receiver", () =>
      arrived(expected.length) ? true : undefined,
    );
    await killed(server);
    receiver.release();
    server = await place.start({ hookLeaseMs: LEASE_MS });
    await eventually(
      "every event again at the receiver",
      () => (receiver.received.length >= 2 * expected.length ? true : undefined),
      { timeoutMs: 120_000 },
    );
    const items = await allDelivered();
    const seen = expectAtLeastOnce(receiver.received, expected);
    for (const [key, entry] of seen) expect(entry.count, key).toBeGreaterThanOrEqual(2);
    // One delivery per event, both scenarios' (no event dispatched twice).
    expect(items).toHaveLength(2 * N);
  }, 240_000);

  /** Whether `n` distinct events have arrived. */
  function arrived(n: number): boolean {
    const events = new Set(
      receiver.received.map((r) => {
        const body = JSON.parse(r.body.toString("utf8")) as { id: string };
        return body.id;
      }),
    );
    return events.size >= n;
  }
});
