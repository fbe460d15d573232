/**
 * Helpers for the hook fault tests: a receiver that can hold requests open, and what arrived
 * at it counted per event (a secret's version), with the `webhook-id`s and event ids it came
 * under.
 */
import type { ServerResponse } from "node:http";
import { expect } from "vitest";
import { startReceiver, type Received, type Receiver } from "../webhooks/test-receiver.js";

export interface HoldingReceiver extends Receiver {
  /** From now on, requests are kept unanswered (until `release`, or the sender dies). */
  hold(): void;
  /** Answers every held request (204) and stops holding. */
  release(): void;
}

export async function holdingReceiver(): Promise<HoldingReceiver> {
  const held: ServerResponse[] = [];
  const state = { hold: false };
  const receiver: Receiver = await startReceiver((res) => {
    if (state.hold) held.push(res);
    else res.writeHead(204).end();
  });
  const close = receiver.close;
  return Object.assign(receiver, {
    hold() {
      state.hold = true;
    },
    release() {
      state.hold = false;
      for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(204).end();
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      await close();
    },
  });
}

/** What arrived for one event: how often, under which webhook-ids and event ids. */
export interface Arrivals {
  count: number;
  messageIds: Set<string>;
  eventIds: Set<string>;
}

/** The requests a default-body hook received, per `uri#version` (one event each). */
export function arrivals(received: readonly Received[]): Map<string, Arrivals> {
  const out = new Map<string, Arrivals>();
  for (const request of received) {
    const body = JSON.parse(request.body.toString("utf8")) as {
      id: string;
      data: { secret: { uri: string; version: number } };
    };
    const key = `${body.data.secret.uri}#${body.data.secret.version}`;
    const entry = out.get(key) ?? { count: 0, messageIds: new Set(), eventIds: new Set() };
    entry.count++;
    entry.messageIds.add(String(request.headers["webhook-id"]));
    entry.eventIds.add(body.id);
    out.set(key, entry);
  }
  return out;
}

/**
 * Every one of `expected` (`uri#version`) arrived at least once, each under one webhook-id and
 * one event id, and no webhook-id names two events. Returns the arrivals for more checks.
 */
export function expectAtLeastOnce(
  received: readonly Received[],
  expected: readonly string[],
): Map<string, Arrivals> {
  const seen = arrivals(received);
  expect([...seen.keys()].sort()).toStrictEqual([...expected].sort());
  const owners = new Map<string, string>();
  for (const [key, entry] of seen) {
    expect(entry.messageIds.size, `${key} arrived under ${[...entry.messageIds].join(", ")}`).toBe(
      1,
    );
    expect(entry.eventIds.size, `${key} arrived as events ${[...entry.eventIds].join(", ")}`).toBe(
      1,
    );
    const id = [...entry.messageIds][0]!;
    expect(owners.get(id), `webhook-id ${id} names two events`).toBeUndefined();
    owners.set(id, key);
  }
  return seen;
}
