/**
 * `coffer deliveries ls|show|redeliver` (SPEC §12): what hooks sent and how it went. The log
 * holds the requests as their templates and responses redacted: never a rendered value.
 */
import type { DeliveryView } from "@coffer/core";
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { json, table, type Io } from "../output.js";
import { collectPages, parseLimit } from "../pages.js";
import { time } from "./rotation-jobs.js";

const LS_FORM = "coffer deliveries ls [--hook HOOK] [--failed] [--limit N] [--json]";
const DEFAULT_LIMIT = 50;
/** How much of a response body `show` prints: its head, on one line. */
const RESPONSE_HEAD = 200;

const oneLine = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

/** A delivery and its attempts (status, error, duration, the response's head), for people. */
export function printDelivery(io: Io, d: DeliveryView): void {
  const rows: [string, string][] = [
    ["delivery", d.id + (d.redeliveryOf !== null ? ` (redelivers ${d.redeliveryOf})` : "")],
    ["hook", d.hook],
    ["event", `${d.event.type} ${d.event.id}${d.event.resource ? ` on ${d.event.resource}` : ""}`],
    ["state", d.state],
    ["webhook-id", d.messageId],
    ["created", time(d.createdAt) ?? "-"],
    ["next attempt", time(d.nextAttemptAt) ?? "-"],
    ["secrets used", d.secretsUsed.map((s) => `${s.uri} v${s.version}`).join(", ") || "-"],
  ];
  for (const [key, value] of rows) io.out(`${`${key}:`.padEnd(16)}${value}\n`);
  io.out(d.attempts.length === 0 ? "attempts:       none yet\n" : "attempts:\n");
  for (const a of d.attempts) {
    const status = a.status !== null ? `HTTP ${a.status}` : "no response";
    const error = a.error !== null ? `  ${a.error}` : "";
    io.out(`  #${a.attempt}  ${time(a.startedAt)}  ${status}  ${a.durationMs} ms${error}\n`);
    if (a.responseBody !== null && a.responseBody !== "")
      io.out(`      response: ${oneLine(a.responseBody, RESPONSE_HEAD)}\n`);
  }
}

export function registerDeliveries(program: Command, cli: Cli): void {
  const deliveries = program
    .command("deliveries")
    .description("what hooks sent, and how it went (newest first)");

  deliveries
    .command("ls")
    .description("recent deliveries of the hooks you can see")
    .option("--hook <hook>", "only this hook's")
    .option("--failed", "only those whose last attempt failed")
    .option("--limit <n>", `at most N (default ${DEFAULT_LIMIT})`)
    .option("--json", "print JSON")
    .action(async (opts: { hook?: string; failed?: boolean; limit?: string; json?: boolean }) => {
      const limit = parseLimit(opts.limit, LS_FORM) ?? DEFAULT_LIMIT;
      const { client } = await cli.connect();
      const items = await collectPages(
        (page) =>
          client.deliveries.list.query({
            ...page,
            ...(opts.hook !== undefined ? { hook: opts.hook } : {}),
            ...(opts.failed ? { failed: true } : {}),
          }),
        limit,
      );
      if (opts.json) return json(cli.io, items);
      table(
        cli.io,
        items.map((d) => ({
          id: d.id,
          hook: d.hook,
          event: d.event.type,
          state: d.state,
          attempts: d.attempts.length,
          status: d.attempts.at(-1)?.status ?? null,
          created: time(d.createdAt),
        })),
        [
          ["id", "DELIVERY"],
          ["hook", "HOOK"],
          ["event", "EVENT"],
          ["state", "STATE"],
          ["attempts", "ATTEMPTS"],
          ["status", "LAST STATUS"],
          ["created", "CREATED"],
        ],
      );
    });

  deliveries
    .command("show <id>")
    .description("a delivery and its attempts: status, error, duration, the response's head")
    .option("--hook <hook>", "the delivery's hook (finds it sooner)")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { hook?: string; json?: boolean }) => {
      if (!/^dlv_[0-9A-Za-z]{16}$/.test(id))
        throw new UsageError(
          "ID is a delivery id: dlv_ and 16 letters or digits (`coffer deliveries ls` lists them)",
        );
      const { client } = await cli.connect();
      // No call fetches one delivery: the log is read, newest first, until it shows up.
      let found: DeliveryView | undefined;
      let cursor: string | undefined;
      do {
        const page = await client.deliveries.list.query({
          limit: 200,
          ...(opts.hook !== undefined ? { hook: opts.hook } : {}),
          ...(cursor !== undefined ? { cursor } : {}),
        });
        found = page.items.find((d) => d.id === id);
        cursor = page.nextCursor ?? undefined;
      } while (found === undefined && cursor !== undefined);
      if (found === undefined)
        throw new CliError(`NOT_FOUND: no delivery ${id} among those you can see`);
      if (opts.json) return json(cli.io, found);
      printDelivery(cli.io, found);
    });

  deliveries
    .command("redeliver <id>")
    .description("send a delivery's event again (same webhook-id), as a new delivery")
    .action(async (id: string) => {
      const { client } = await cli.connect();
      const made = await client.deliveries.redeliver.mutate({ delivery: id });
      cli.io.err(`Redelivering ${id} as ${made.id} (\`coffer deliveries show ${made.id}\`)\n`);
    });
}
