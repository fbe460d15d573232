import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { CofferClient } from "@coffer/client";
import {
  DEFAULT_BACKENDS,
  parseVaultReference,
  type RevealInput,
  type SecretChange,
} from "@coffer/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { changeOf, cofferBackend } from "./coffer-backend.js";
import { createResolver } from "./resolver.js";
import { settle } from "./test-backend.js";
import type { BackendChange } from "./types.js";

const parse = (text: string) =>
  parseVaultReference(text, { backends: { coffer: DEFAULT_BACKENDS["coffer"]! } });

interface FeedHandlers {
  onStarted?: () => void;
  onData?: (data: unknown) => void;
  onError?: (error: unknown) => void;
  onComplete?: () => void;
}

/** A client with batch reveal over a map of values, and a change feed driven by the test. */
function fakeClient(values: Record<string, string>) {
  const calls: RevealInput[][] = [];
  const feed = { subscribed: 0, unsubscribed: 0, handlers: undefined as FeedHandlers | undefined };
  let failWith: Error | undefined;
  const client = {
    secret: {
      batchReveal: {
        mutate: ({ items }: { items: RevealInput[] }) => {
          calls.push(items);
          if (failWith !== undefined) return Promise.reject(failWith);
          return Promise.resolve(
            items.map((item) => {
              const key = `${item.secret}${item.version ? `#${item.version}` : ""}${item.stage ? `@${item.stage}` : ""}${item.key ? `/${item.key}` : ""}`;
              const value = values[key];
              return value === undefined
                ? {
                    ok: false,
                    secret: item.secret,
                    error: { errorCode: "NOT_FOUND", message: `${item.secret} not found` },
                  }
                : { ok: true, uri: `secret://default/${item.secret}`, version: 1, value };
            }),
          );
        },
      },
      changes: {
        subscribe: (_input: undefined, handlers: FeedHandlers) => {
          feed.subscribed++;
          feed.handlers = handlers;
          return { unsubscribe: () => feed.unsubscribed++ };
        },
      },
    },
  };
  return {
    client: client as unknown as CofferClient,
    calls,
    feed,
    fail: (error: Error) => (failWith = error),
  };
}

describe("coffer backend: reveal", () => {
  it("reveals a batch in one call, each item on its own", async () => {
    const fake = fakeClient({ "ml/openai_key": "fake-openai-key-0001", "ml/db/user": "fake-user" });
    const backend = cofferBackend({ client: fake.client, feed: false });
    const outcomes = await backend.fetch([
      parse("{vault://coffer/ml/openai_key}"),
      parse("{vault://coffer/ml/missing}"),
      parse("{vault://coffer/ml/db/user}"),
    ]);
    expect(fake.calls).toHaveLength(1);
    expect(outcomes[0]).toEqual({ ok: true, value: "fake-openai-key-0001" });
    expect(outcomes[1]).toMatchObject({
      ok: false,
      error: { errorCode: "NOT_FOUND", message: "ml/missing not found" },
    });
    expect(outcomes[2]).toEqual({ ok: true, value: "fake-user" });
  });

  it("sends at most 100 items per call", async () => {
    const fake = fakeClient({});
    const backend = cofferBackend({ client: fake.client, feed: false });
    const refs = Array.from({ length: 250 }, (_, i) => parse(`{vault://coffer/s${i}}`));
    const outcomes = await backend.fetch(refs);
    expect(fake.calls.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(outcomes).toHaveLength(250);
    expect(fake.calls[2]![0]).toEqual({ secret: "s200" });
  });

  it("fails every item of a call that fails as a whole", async () => {
    const fake = fakeClient({});
    fake.fail(new TypeError("fetch failed"));
    const backend = cofferBackend({ client: fake.client, feed: false });
    const outcomes = await backend.fetch([
      parse("{vault://coffer/a}"),
      parse("{vault://coffer/b}"),
    ]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({
        ok: false,
        error: { errorCode: "INTERNAL_SERVER_ERROR", message: "fetch failed" },
      });
    }
  });

  it("needs a url or a client", () => {
    expect(() => cofferBackend({})).toThrow("the coffer backend needs a url or a client");
    expect(cofferBackend({ url: "http://127.0.0.1:1" }).name).toBe("coffer");
  });

  it("fails fast when the server cannot be reached", async () => {
    const backend = cofferBackend({ url: "http://127.0.0.1:1", token: "cft_fake", feed: false });
    const [outcome] = await backend.fetch([parse("{vault://coffer/a}")]);
    expect(outcome).toMatchObject({ ok: false, error: { errorCode: "INTERNAL_SERVER_ERROR" } });
  });

  it("gives up after one retry when the server cannot serve (stale serving takes over)", async () => {
    // Counted, not timed: a busy machine must not fail this test.
    let requests = 0;
    const unavailable = createServer((_req, res) => {
      requests += 1;
      res.writeHead(503, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => unavailable.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = unavailable.address() as AddressInfo;
      const backend = cofferBackend({
        url: `http://127.0.0.1:${port}`,
        token: "cft_fake",
        feed: false,
      });
      const [outcome] = await backend.fetch([parse("{vault://coffer/a}")]);
      expect(outcome).toMatchObject({ ok: false });
      expect(requests).toBe(2);
    } finally {
      await new Promise((resolve) => unavailable.close(resolve));
    }
  });
});

describe("coffer backend: change feed", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const change = (uri: string, event: SecretChange["event"]): SecretChange => ({
    uri,
    version: 2,
    event,
  });

  it("maps events to drop or refresh of the secret's references", () => {
    const put = changeOf(change("secret://default/ml/openai_key", "put"))!;
    expect(put.action).toBe("refresh");
    expect(put.matches(parse("{vault://coffer/ml/openai_key}"))).toBe(true);
    expect(put.matches(parse("{vault://coffer/ml/openai_key/k#2}"))).toBe(true);
    expect(put.matches(parse("{vault://coffer/openai_key}"))).toBe(true); // short form
    expect(put.matches(parse("{vault://coffer/ops/openai_key}"))).toBe(false);
    expect(put.matches(parse("{vault://coffer/ml/other}"))).toBe(false);
    for (const event of ["disable", "delete"] as const) {
      expect(changeOf(change("secret://default/ml/x", event))!.action).toBe("drop");
    }
    for (const event of ["stage", "enable", "restore"] as const) {
      expect(changeOf(change("secret://default/ml/x", event))!.action).toBe("refresh");
    }
    expect(changeOf(change("not a uri", "put"))).toBeUndefined();
    // A rotation's outcome changes no value by itself: nothing to refetch.
    for (const event of ["rotation.succeeded", "rotation.failed", "rotation.missed"] as const) {
      expect(changeOf(change("secret://default/ml/x", event))).toBeUndefined();
    }
  });

  it("subscribes once for every watcher, refreshes all on every start, stops", () => {
    const fake = fakeClient({});
    const backend = cofferBackend({ client: fake.client });
    const heard: BackendChange[] = [];
    const stop1 = backend.watch!((c) => heard.push(c));
    const stop2 = backend.watch!(() => undefined);
    expect(fake.feed.subscribed).toBe(1);
    const handlers = fake.feed.handlers!;
    handlers.onStarted!(); // changes before the first start may have been missed too
    expect(heard.map((c) => c.action)).toEqual(["refresh"]);
    handlers.onData!(change("secret://default/ml/a", "delete"));
    handlers.onData!({ junk: true });
    expect(heard.map((c) => c.action)).toEqual(["refresh", "drop"]);
    handlers.onStarted!(); // reconnected: events may have been missed
    expect(heard.map((c) => c.action)).toEqual(["refresh", "drop", "refresh"]);
    expect(heard[2]!.matches(parse("{vault://coffer/anything}"))).toBe(true);
    stop1();
    expect(fake.feed.unsubscribed).toBe(0);
    stop2();
    expect(fake.feed.unsubscribed).toBe(1);
  });

  it("subscribes again after the feed ends with an error, backing off", () => {
    vi.useFakeTimers();
    const fake = fakeClient({});
    const backend = cofferBackend({ client: fake.client });
    const heard: BackendChange[] = [];
    backend.watch!((c) => heard.push(c));
    fake.feed.handlers!.onStarted!();
    fake.feed.handlers!.onError!(new Error("UNAUTHORIZED"));
    expect(fake.feed.unsubscribed).toBe(1);
    vi.advanceTimersByTime(999);
    expect(fake.feed.subscribed).toBe(1);
    vi.advanceTimersByTime(1);
    expect(fake.feed.subscribed).toBe(2);
    fake.feed.handlers!.onStarted!(); // a new start: refresh everything
    expect(heard.map((c) => c.action)).toEqual(["refresh", "refresh"]);
    fake.feed.handlers!.onComplete!();
    vi.advanceTimersByTime(1000);
    expect(fake.feed.subscribed).toBe(3); // started fine before: back to 1 s
    void backend.close!();
    vi.advanceTimersByTime(60_000);
    expect(fake.feed.subscribed).toBe(3);
  });

  it("drops a deleted secret from the resolver's cache", async () => {
    const fake = fakeClient({ "ml/a": "fake-a-0001", "ml/b": "fake-b-0001" });
    const resolver = createResolver({ backends: [cofferBackend({ client: fake.client })] });
    const A = parse("{vault://coffer/ml/a}");
    const B = parse("{vault://coffer/ml/b}");
    await resolver.resolve([A, B]);
    expect(resolver.stats().entries).toBe(2);
    fake.feed.handlers!.onData!(change("secret://default/ml/a", "delete"));
    expect(resolver.stats().entries).toBe(1);
    fake.feed.handlers!.onData!(change("secret://default/ml/b", "put"));
    await settle();
    expect(fake.calls.at(-1)).toEqual([{ secret: "ml/b" }]);
    await resolver.close();
    expect(fake.feed.unsubscribed).toBe(1);
  });
});
