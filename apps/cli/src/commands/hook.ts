/**
 * `coffer hook add|ls|show|test|rm|enable|disable` (SPEC §12): templated outbound requests.
 * Templates (`${ml/TOKEN}`, `${event.type}`) go to the server as typed and come back as saved:
 * the CLI never sees a rendered value. In a shell, quote them with single quotes.
 */
import { HOOK_EVENT_TYPES, type DeliveryView, type HookEventType } from "@coffer/core";
import type { Command } from "commander";
import { secretRef, type Cli } from "../context.js";
import { UsageError } from "../errors.js";
import { json, table } from "../output.js";
import { collectPages } from "../pages.js";
import { readValue } from "../value-source.js";
import { printDelivery } from "./deliveries.js";
import { time } from "./rotation-jobs.js";

const ADD_FORM =
  "coffer hook add NAME --url URL [--owner T] [--description T] [--header 'K: V']… " +
  "[--body @FILE|-|JSON] [--allow-secret PATTERN]… [--signing-secret SECRET]";

export const ADD_EXAMPLE = `
Templates hold \${…}: quote them with single quotes so the shell leaves them alone.

Example (a W&B style hook, sending the team's token, fired by an automation):
  coffer hook add notify --owner ml --url 'https://api.example.com/hooks/\${event.type}' \\
    --header 'Authorization: Bearer \${ml/TOKEN}' \\
    --body '{"text": "\${event.type} on \${secret.uri}"}' \\
    --allow-secret 'ml/*'
`;

/** Adds one more value of a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--header 'K: V'`…: split at the first `:`, the value without its leading space. */
export function parseHeaders(lines: readonly string[]): Record<string, string> | undefined {
  if (lines.length === 0) return undefined;
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).trim() : "";
    if (name === "")
      throw new UsageError("--header takes 'NAME: VALUE' (a name, a colon, the value)", ADD_FORM);
    if (seen.has(name.toLowerCase()))
      throw new UsageError(`--header ${name} is given twice: give each header once`, ADD_FORM);
    seen.add(name.toLowerCase());
    headers[name] = line.slice(colon + 1).trimStart();
  }
  return headers;
}

/** `--event TYPE` / `--on TYPE`: one of the event types, checked before any call. */
export function eventType(text: string, option: string, form: string): HookEventType {
  if (!(HOOK_EVENT_TYPES as readonly string[]).includes(text))
    throw new UsageError(`${option} takes an event type: ${HOOK_EVENT_TYPES.join(", ")}`, form);
  return text as HookEventType;
}

/** "enabled", or "disabled (REASON since TIME)". */
function state(h: { enabled: boolean; disabledReason: string | null; disabledAt: string | null }) {
  if (h.enabled) return "enabled";
  const since = h.disabledAt !== null ? ` since ${time(h.disabledAt)}` : "";
  return `disabled (${h.disabledReason ?? "manual"}${since})`;
}

interface AddFlags {
  url: string;
  owner?: string;
  description?: string;
  header?: string[];
  body?: string;
  allowSecret?: string[];
  signingSecret?: string;
}

export function registerHook(program: Command, cli: Cli): void {
  const hook = program
    .command("hook")
    .description("templated requests Coffer sends when secrets change (see `coffer automation`)");

  hook
    .command("add <name>")
    .description("make a hook: a URL, headers and a JSON body, with templates")
    .requiredOption("--url <url>", "where to send (may hold templates)")
    .option("--owner <team>", "a team that owns it (default: you); templates resolve as it")
    .option("--description <text>", "what it is for")
    .option(
      "--header <header>",
      "'NAME: VALUE', repeatable (the value may hold templates)",
      collect,
    )
    .option("--body <json>", "the JSON body: JSON, @FILE or - (stdin); default: the event")
    .option("--allow-secret <pattern>", "a secret the templates may use, repeatable", collect)
    .option("--signing-secret <secret>", "the secret holding the signing key (default: made)")
    .addHelpText("after", ADD_EXAMPLE)
    .action(async (name: string, opts: AddFlags) => {
      const headers = parseHeaders(opts.header ?? []);
      const body = opts.body !== undefined ? await readValue(opts.body, cli.stdin) : undefined;
      const { client } = await cli.connect();
      const made = await client.hook.create.mutate({
        name,
        url: opts.url,
        ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(headers !== undefined ? { headers } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(opts.allowSecret !== undefined ? { allowSecrets: opts.allowSecret } : {}),
        ...(opts.signingSecret !== undefined
          ? { signingSecret: secretRef(opts.signingSecret) }
          : {}),
      });
      cli.io.err(`Hook ${made.ref} made; it signs with the key in ${made.signingSecret}\n`);
    });

  hook
    .command("ls")
    .description("hooks you can see")
    .option("--owner <owner>", "only this user's or team's")
    .option("--json", "print JSON")
    .action(async (opts: { owner?: string; json?: boolean }) => {
      const { client } = await cli.connect();
      const items = await collectPages((page) =>
        client.hook.list.query({
          ...page,
          ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
        }),
      );
      if (opts.json) return json(cli.io, items);
      table(
        cli.io,
        items.map((h) => ({ ...h, state: state(h) })),
        [
          ["ref", "HOOK"],
          ["state", "STATE"],
          ["url", "URL"],
          ["description", "DESCRIPTION"],
        ],
      );
    });

  hook
    .command("show <hook>")
    .description("a hook's templates as saved, the secrets it may use, its state")
    .option("--json", "print JSON")
    .action(async (ref: string, opts: { json?: boolean }) => {
      const { client } = await cli.connect();
      const h = await client.hook.get.query({ hook: ref });
      if (opts.json) return json(cli.io, h);
      const rows: [string, string][] = [
        ["hook", h.ref],
        ["description", h.description || "-"],
        ["state", state(h)],
        ["url", h.url],
        ...Object.entries(h.headers).map(([k, v]): [string, string] => ["header", `${k}: ${v}`]),
        ["body", h.body ?? "(the event)"],
        ["allow secrets", h.allowSecrets.join(", ") || "-"],
        ["uses", h.secrets.join(", ") || "-"],
        ["signing secret", h.signingSecret],
        ["created", `${time(h.createdAt)} by ${h.createdBy}`],
        ["updated", `${time(h.updatedAt)} by ${h.updatedBy}`],
      ];
      for (const [key, value] of rows) cli.io.out(`${`${key}:`.padEnd(16)}${value}\n`);
    });

  const testForm = "coffer hook test NAME [--event TYPE] [--json]";
  hook
    .command("test <hook>")
    .description("send a sample event now and print the attempt (exit 1 when it failed)")
    .option("--event <type>", "the sample's event type (default: secret.version.created)")
    .option("--json", "print JSON")
    .action(async (ref: string, opts: { event?: string; json?: boolean }) => {
      const event = opts.event !== undefined ? eventType(opts.event, "--event", testForm) : null;
      const { client } = await cli.connect();
      const delivery: DeliveryView = await client.hook.test.mutate({
        hook: ref,
        ...(event !== null ? { event } : {}),
      });
      if (opts.json) json(cli.io, delivery);
      else printDelivery(cli.io, delivery);
      if (delivery.state !== "delivered") cli.exitCode = 1;
    });

  hook
    .command("rm <hook>")
    .description("delete a hook (refused while an automation uses it)")
    .action(async (ref: string) => {
      const { client } = await cli.connect();
      const done = await client.hook.delete.mutate({ hook: ref });
      cli.io.err(`Deleted hook ${done.hook}\n`);
    });

  for (const [verb, enabled, description] of [
    ["enable", true, "send again (after failures, a 410, or a disable)"],
    ["disable", false, "stop sending until enabled again"],
  ] as const) {
    hook
      .command(`${verb} <hook>`)
      .description(description)
      .action(async (ref: string) => {
        const { client } = await cli.connect();
        const h = await client.hook.update.mutate({ hook: ref, enabled });
        cli.io.err(`Hook ${h.ref} is ${state(h)}\n`);
      });
  }
}
