/**
 * The calls to the server, as few and as together as they can be (SPEC §10: one round trip):
 * 1. in one tick: every explicit reference (`secrets` and `files`) as batch reveals of up to 100
 *    items, and the first listing page of every `OWNER/*` owner. tRPC's batch link sends the
 *    reveals as one POST and the listings as one GET, in parallel: one round trip.
 * 2. only when there are `OWNER/*` lines: the listed secrets not already revealed, again as
 *    batch reveals in one tick (one POST). An owner with over 500 secrets costs a GET per page.
 * A failure of a whole call (server unreachable, UNAUTHORIZED…) fails the step; a failure of
 * one item is an unresolved reference (fetch-plan.ts).
 */
import type { CofferClient } from "@coffer/client";
import type { RevealInput } from "@coffer/core";
import { calling } from "./errors.js";
import {
  byOrigin,
  explicitWants,
  itemKey,
  ownersOf,
  resolveWants,
  revealBatches,
  wildcardWants,
  type Listed,
  type Outcome,
  type RevealAnswer,
} from "./fetch-plan.js";
import type { OneRequest, SecretRequest } from "./input-lines.js";

/** The largest listing page the server gives. */
const LIST_PAGE = 500;

async function reveal(
  client: CofferClient,
  items: readonly RevealInput[],
): Promise<Map<string, RevealAnswer>> {
  const batches = revealBatches(items);
  const answered = await calling("reading the secrets failed", () =>
    Promise.all(batches.map((batch) => client.secret.batchReveal.mutate({ items: batch }))),
  );
  const answers = new Map<string, RevealAnswer>();
  batches.forEach((batch, i) =>
    batch.forEach((item, j) => answers.set(itemKey(item), answered[i]![j]!)),
  );
  return answers;
}

async function listAll(client: CofferClient, owner: string): Promise<Listed[]> {
  const listed: Listed[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.secret.list.query({
      owner,
      limit: LIST_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    listed.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return listed;
}

async function listOwners(
  client: CofferClient,
  owners: readonly string[],
): Promise<Map<string, Listed[]>> {
  const listings = await calling("listing the secrets of OWNER/* failed", () =>
    Promise.all(owners.map((owner) => listAll(client, owner))),
  );
  return new Map(owners.map((owner, i) => [owner, listings[i]!]));
}

export async function fetchSecrets(
  client: CofferClient,
  secrets: readonly SecretRequest[],
  files: readonly OneRequest[],
): Promise<Outcome> {
  const explicit = explicitWants(secrets, files);
  const [answers, listings] = await Promise.all([
    reveal(
      client,
      explicit.map((want) => want.item),
    ),
    listOwners(client, ownersOf(secrets)),
  ]);
  const wildcard = wildcardWants(secrets, listings, explicit);
  const more = await reveal(
    client,
    wildcard.wants.map((want) => want.item).filter((item) => !answers.has(itemKey(item))),
  );
  const outcome = resolveWants([...explicit, ...wildcard.wants], new Map([...answers, ...more]));
  return {
    resolved: outcome.resolved,
    unresolved: [...wildcard.unresolved, ...outcome.unresolved].sort(byOrigin),
    notices: [...wildcard.notices, ...outcome.notices],
    refusals: wildcard.refusals,
  };
}
