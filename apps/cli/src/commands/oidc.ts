/**
 * `coffer oidc create|ls|rm`: OIDC trust policies (SPEC §4), for org admins. A policy lets a
 * CI job sign in with its ID token instead of a stored token (the Action's `method: oidc`).
 */
import { GITHUB_ISSUER } from "@coffer/core";
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { parseDuration } from "../durations.js";
import { UsageError } from "../errors.js";
import { json, table } from "../output.js";
import { parseScope } from "./token.js";

const CREATE_FORM =
  "coffer oidc create IDENTITY --audience AUD --claim NAME=PATTERN… --perm SCOPE… [--issuer URL] [--owner TEAM] [--ttl 15m]";

const repeat = (value: string, all: string[]): string[] => [...all, value];

/** `--claim repository=acme/app --claim ref=refs/heads/main --claim ref=refs/tags/v*`. */
export function parseClaims(texts: readonly string[]): Record<string, string | string[]> {
  const conditions: Record<string, string[]> = {};
  for (const text of texts) {
    const at = text.indexOf("=");
    if (at <= 0 || at === text.length - 1) {
      throw new UsageError(
        `--claim ${text}: write NAME=PATTERN (e.g. repository=acme/app)`,
        CREATE_FORM,
      );
    }
    (conditions[text.slice(0, at)] ??= []).push(text.slice(at + 1));
  }
  if (Object.keys(conditions).length === 0) {
    throw new UsageError("give at least one --claim (e.g. repository=acme/app)", CREATE_FORM);
  }
  return Object.fromEntries(
    Object.entries(conditions).map(([name, patterns]) => [
      name,
      patterns.length === 1 ? patterns[0]! : patterns,
    ]),
  );
}

export function registerOidc(program: Command, cli: Cli): void {
  const oidc = program
    .command("oidc")
    .description("OIDC trust policies: CI jobs sign in with their ID token (org admins)");

  oidc
    .command("create <identity>")
    .description("trust ID tokens of an issuer whose claims match, as IDENTITY")
    .requiredOption("--audience <aud>", "the audience the job asks its ID token for")
    .option(
      "--claim <name=pattern>",
      "a condition; `*` matches any run of characters; repeatable",
      repeat,
      [] as string[],
    )
    .option("--issuer <url>", "the issuer", GITHUB_ISSUER)
    .option("--owner <team>", "the team the token acts for (default: the org)")
    .option(
      "--perm <scope>",
      "RESOURCE[=LEVEL], repeatable; all the owner holds by default",
      repeat,
      [] as string[],
    )
    .option("--ttl <duration>", "lifetime of exchanged tokens (default 15m, at most 1h)")
    .option("--description <text>", "what it is for")
    .action(
      async (
        identity: string,
        opts: {
          audience: string;
          claim: string[];
          issuer: string;
          owner?: string;
          perm: string[];
          ttl?: string;
          description?: string;
        },
      ) => {
        const conditions = parseClaims(opts.claim);
        if (opts.perm.length === 0) {
          throw new UsageError(
            "give the secrets it may use with --perm (e.g. ml/*=read)",
            CREATE_FORM,
          );
        }
        const ttl = opts.ttl !== undefined ? parseDuration(opts.ttl, "--ttl") : undefined;
        const { client } = await cli.connect();
        const me = await client.user.whoami.query();
        const scopes = opts.perm.map((p) => parseScope(p, me.org, opts.owner ?? null));
        const made = await client.oidc.createPolicy.mutate({
          identity,
          issuer: opts.issuer,
          audience: opts.audience,
          conditions,
          ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
          scopes,
          ...(ttl !== undefined ? { tokenTtlSeconds: ttl } : {}),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
        });
        cli.io.err(
          `Trust policy ${made.identity} created: ${made.issuer} may sign in as ${made.owner ?? "the org"}\n`,
        );
      },
    );

  for (const verb of ["ls", "list"]) {
    oidc
      .command(verb)
      .description("the trust policies")
      .option("--json", "print JSON")
      .action(async (opts: { json?: boolean }) => {
        const { client } = await cli.connect();
        const policies = await client.oidc.listPolicies.query();
        if (opts.json) return json(cli.io, policies);
        table(
          cli.io,
          policies.map((p) => ({
            ...p,
            owner: p.owner ?? "org",
            conditions: Object.entries(p.conditions)
              .map(([name, patterns]) => `${name}=${[patterns].flat().join("|")}`)
              .join(" "),
            ttl: `${p.tokenTtlSeconds}s`,
          })),
          [
            ["identity", "IDENTITY"],
            ["issuer", "ISSUER"],
            ["audience", "AUDIENCE"],
            ["owner", "OWNER"],
            ["ttl", "TTL"],
            ["conditions", "CONDITIONS"],
          ],
        );
      });
  }

  oidc
    .command("rm <identity>")
    .description("delete a trust policy (tokens it made live out their short lives)")
    .action(async (identity: string) => {
      const { client } = await cli.connect();
      await client.oidc.deletePolicy.mutate({ identity });
      cli.io.err(`Deleted trust policy ${identity}\n`);
    });
}
