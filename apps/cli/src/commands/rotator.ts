/**
 * `coffer rotator add|ls|show|rm` (SPEC §11): how secrets get new values. A rotator names
 * secrets (an admin connection string, a signing key), never holds a value.
 */
import type { CreateRotatorInput, WebhookRotatorMode } from "@coffer/core";
import type { Command } from "commander";
import { secretRef, type Cli } from "../context.js";
import { UsageError } from "../errors.js";
import { json, table } from "../output.js";
import { collectPages, parseLimit } from "../pages.js";
import { time } from "./rotation-jobs.js";

const ADD_FORM =
  "coffer rotator add NAME --kind random|postgres|webhook [--owner T] [--description T]\n" +
  "  postgres: --admin-secret SECRET --role R [--database D]\n" +
  "  webhook:  --url U [--signing-secret SECRET] [--mode driver|callback]";

const KINDS = ["random", "postgres", "webhook"] as const;
type Kind = (typeof KINDS)[number];

interface AddFlags {
  kind: string;
  owner?: string;
  description?: string;
  adminSecret?: string;
  role?: string;
  database?: string;
  url?: string;
  signingSecret?: string;
  mode?: string;
}

/** Each kind's own options, as typed: any of them with another kind is a usage error. */
const KIND_OPTIONS: Record<Exclude<Kind, "random">, [keyof AddFlags, string][]> = {
  postgres: [
    ["adminSecret", "--admin-secret"],
    ["role", "--role"],
    ["database", "--database"],
  ],
  webhook: [
    ["url", "--url"],
    ["signingSecret", "--signing-secret"],
    ["mode", "--mode"],
  ],
};

/** The kind's settings for `rotator.create`, after the checks a user can fix by retyping. */
export function rotatorSettings(
  flags: AddFlags,
): Pick<CreateRotatorInput, "kind" | "postgres" | "webhook"> {
  const kind = flags.kind as Kind;
  if (!KINDS.includes(kind))
    throw new UsageError("--kind is random, postgres or webhook", ADD_FORM);
  for (const [other, options] of Object.entries(KIND_OPTIONS)) {
    if (other === kind) continue;
    const stray = options.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
    if (stray.length > 0)
      throw new UsageError(`${stray.join(", ")}: only with --kind ${other}`, ADD_FORM);
  }
  if (kind === "postgres") {
    if (flags.adminSecret === undefined || flags.role === undefined)
      throw new UsageError("--kind postgres needs --admin-secret and --role", ADD_FORM);
    const postgres = {
      adminSecret: secretRef(flags.adminSecret),
      role: flags.role,
      ...(flags.database !== undefined ? { database: flags.database } : {}),
    };
    return { kind, postgres };
  }
  if (kind === "webhook") {
    if (flags.url === undefined) throw new UsageError("--kind webhook needs --url", ADD_FORM);
    const mode = flags.mode as WebhookRotatorMode | undefined;
    if (mode !== undefined && mode !== "driver" && mode !== "callback")
      throw new UsageError("--mode is driver or callback", ADD_FORM);
    const webhook = {
      url: flags.url,
      ...(flags.signingSecret !== undefined
        ? { signingSecret: secretRef(flags.signingSecret) }
        : {}),
      ...(mode !== undefined ? { mode } : {}),
    };
    return { kind, webhook };
  }
  return { kind };
}

export function registerRotator(program: Command, cli: Cli): void {
  const rotator = program.command("rotator").description("how secrets get new values");

  rotator
    .command("add <name>")
    .description("make a rotator")
    .requiredOption("--kind <kind>", "random, postgres or webhook")
    .option("--owner <team>", "a team that owns it (default: you)")
    .option("--description <text>", "what it is for")
    .option("--admin-secret <secret>", "postgres: the secret holding the admin connection string")
    .option("--role <role>", "postgres: the role whose password rotates")
    .option("--database <db>", "postgres: where the test connects (default: the admin's)")
    .option("--url <url>", "webhook: where Coffer calls")
    .option("--signing-secret <secret>", "webhook: the secret holding the signing key")
    .option("--mode <mode>", "webhook: driver (Coffer calls each step, default) or callback")
    .action(async (name: string, opts: AddFlags) => {
      const settings = rotatorSettings(opts);
      const { client } = await cli.connect();
      const made = await client.rotator.create.mutate({
        name,
        ...settings,
        ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
      });
      cli.io.err(`Rotator ${made.ref} (${made.kind}) made\n`);
    });

  for (const verb of ["ls", "list"]) {
    rotator
      .command(verb)
      .description("rotators you can use")
      .option("--owner <owner>", "only this user's or team's")
      .option("--limit <n>", "at most N (default: all)")
      .option("--json", "print JSON")
      .action(async (opts: { owner?: string; limit?: string; json?: boolean }) => {
        const limit = parseLimit(opts.limit, "coffer rotator ls [--owner O] [--limit N] [--json]");
        const { client } = await cli.connect();
        const items = await collectPages(
          (page) =>
            client.rotator.list.query({
              ...page,
              ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
            }),
          limit,
        );
        if (opts.json) return json(cli.io, items);
        table(
          cli.io,
          items.map((r) => ({ ...r, createdAt: time(r.createdAt) })),
          [
            ["ref", "ROTATOR"],
            ["kind", "KIND"],
            ["createdBy", "MADE BY"],
            ["createdAt", "CREATED"],
            ["description", "DESCRIPTION"],
          ],
        );
      });
  }

  rotator
    .command("show <rotator>")
    .description("a rotator's settings (secrets by name, never a value)")
    .option("--json", "print JSON")
    .action(async (ref: string, opts: { json?: boolean }) => {
      const { client } = await cli.connect();
      const r = await client.rotator.get.query({ rotator: ref });
      if (opts.json) return json(cli.io, r);
      const rows: [string, string][] = [
        ["rotator", r.ref],
        ["kind", r.kind],
        ["description", r.description || "-"],
        ["created", `${time(r.createdAt)} by ${r.createdBy}`],
      ];
      if (r.postgres !== null) {
        rows.push(["admin secret", r.postgres.adminSecret], ["role", r.postgres.role]);
        rows.push(["database", r.postgres.database ?? "(the admin connection's)"]);
      }
      if (r.webhook !== null) {
        rows.push(["url", r.webhook.url], ["mode", r.webhook.mode]);
        rows.push(["signing secret", r.webhook.signingSecret ?? "-"]);
      }
      for (const [key, value] of rows) cli.io.out(`${`${key}:`.padEnd(16)}${value}\n`);
    });

  rotator
    .command("rm <rotator>")
    .description("delete a rotator (refused while a secret uses it)")
    .action(async (ref: string) => {
      const { client } = await cli.connect();
      await client.rotator.delete.mutate({ rotator: ref });
      cli.io.err(`Deleted rotator ${ref}\n`);
    });
}
