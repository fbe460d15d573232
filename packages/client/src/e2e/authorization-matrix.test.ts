/**
 * The authorisation matrix over real HTTP with the typed client: every procedure of the
 * router × {no credentials, expired token, disabled token, member, team admin, org admin,
 * narrowly scoped token}, against the table in `authorization-matrix.cases.ts`.
 *
 * Each cell makes its own targets (secrets, users, tokens… with names no other cell uses)
 * before the call, so a call that changes state never changes another cell's answer, and
 * calls with input valid for that caller, so that only authorisation decides. Values are fake.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CofferError, type ErrorCode } from "@coffer/core";
import { appRouter, readConfig, startServer } from "@coffer/server";
import { githubClaims, startTestIssuer, type TestIssuer } from "@coffer/test-oidc-issuer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCofferClient, toCofferError, type CofferClient } from "../client.js";
import {
  CALLERS,
  EXPECTED,
  procedureOf,
  VARIANTS,
  type Caller,
  type CaseId,
  type Outcome,
  type Row,
} from "./authorization-matrix.cases.js";

/** What this suite needs of a running server. */
interface MatrixServer {
  url: string;
  admin: CofferClient;
  clock: { offsetMs: number };
  as(token: string): CofferClient;
  /** One pass of the rotation executor (the suite's server runs no jobs by itself). */
  runRotations(): Promise<number>;
  stop(): Promise<void>;
}

const ORG = "default";
const TEAM = "ml";
const HOUR = 3600;

/**
 * As `startE2eServer`, with the failed-authentication limit raised: this suite fails to
 * authenticate on purpose over a hundred times a minute from one address (the limiter has its
 * own test in tokens.test.ts).
 */
async function startMatrixServer(): Promise<MatrixServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-matrix-"));
  const clock = { offsetMs: 0 };
  const config = readConfig(
    {
      COFFER_PORT: "0",
      COFFER_DATA_DIR: dataDir,
      COFFER_LOG_LEVEL: "silent",
      COFFER_AUTH_FAILURES_PER_MINUTE: "100000",
    },
    dataDir,
  );
  const server = await startServer(config, {
    jobs: false,
    now: () => new Date(Date.now() + clock.offsetMs),
  });
  const as = (token: string) => createCofferClient({ url: server.url, token, retries: 0 });
  return {
    url: server.url,
    admin: as(server.adminToken!),
    clock,
    as,
    runRotations: () => server.rotation.tick(),
    async stop() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface Person {
  name: string;
  client: CofferClient;
}

let e2e: MatrixServer;
let admin: Person;
let mia: Person; // plain member of ml
let tara: Person; // admin of ml
let anonymous: CofferClient;
let expired: CofferClient;
let disabled: CofferClient;
/** Tokens of the member narrowed to `read` on one secret, by secret. */
const scopedTokens = new Map<string, CofferClient>();

/** A name no other cell uses: valid as a secret name and, with a prefix, as a principal name. */
let issuer: TestIssuer;
let counter = 0;
const fresh = (): string => `c${++counter}`;

/** What a cell needs to make its targets. */
interface Cell {
  caller: Caller;
  /** The user behind the caller: itself, or the member for the callers that are not one with `*`. */
  self: Person;
}

interface Prepared {
  /** The secret (`OWNER/NAME`) the scoped caller's token reads; `ml/model_key` when absent. */
  scope?: string;
  call(as: CofferClient): Promise<unknown>;
}

type Scenario = (cell: Cell) => Promise<Prepared>;

// Targets, made by their owners with full tokens.

async function teamSecret(): Promise<string> {
  const secret = `${TEAM}/${fresh()}`;
  await admin.client.secret.create.mutate({ secret, value: `fake-${secret}` });
  return secret;
}

async function personalSecret(): Promise<string> {
  const secret = `${mia.name}/${fresh()}`;
  await mia.client.secret.create.mutate({ secret, value: `fake-${secret}` });
  return secret;
}

async function newUser(): Promise<string> {
  const name = `u-${fresh()}`;
  await admin.client.user.create.mutate({ name });
  return name;
}

async function ownToken(cell: Cell): Promise<string> {
  return (
    await cell.self.client.token.create.mutate({
      name: `matrix ${fresh()}`,
      expiresInSeconds: HOUR,
    })
  ).id;
}

/** A trust policy of team ml, for GitHub, on one repository. */
function trustPolicy(identity: string) {
  return {
    identity,
    issuer: "https://token.actions.githubusercontent.com",
    audience: "coffer-matrix",
    conditions: { repository: "acme/app" },
    owner: TEAM,
    scopes: [{ resource: `secret://${ORG}/${TEAM}/*`, level: "read" as const }],
  };
}

async function ownAccessKey(cell: Cell): Promise<string> {
  return (
    await cell.self.client.accessKey.create.mutate({
      name: `matrix ${fresh()}`,
      expiresInSeconds: HOUR,
    })
  ).id;
}

/** batchReveal answers per item: its cell takes the outcome of its one item. */
async function revealOneInBatch(as: CofferClient, secret: string): Promise<unknown> {
  const [item] = await as.secret.batchReveal.mutate({ items: [{ secret }] });
  if (item && !item.ok)
    throw new CofferError(item.error.errorCode as ErrorCode, item.error.message);
  return item;
}

/** A subscription's cell: allowed once the stream has started, refused by its first error. */
function subscribeOnce(as: CofferClient): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const subscription = as.secret.changes.subscribe(undefined, {
      onStarted: () => {
        subscription.unsubscribe();
        resolve(undefined);
      },
      onError: (error) => {
        subscription.unsubscribe();
        reject(error);
      },
    });
  });
}

/** Rows run after all others: what they change, every cell would feel. */
const LAST: readonly CaseId[] = ["key.rotateRoot"];

const MODEL_KEY = `${TEAM}/model_key`;
const OTHER_KEY = `${TEAM}/other_key`;
const DIARY = "mia/diary";
/** Rotators every cell may point a policy at (team ml's) or only the member may (hers). */
const TEAM_ROTATOR = `${TEAM}/matrix_rotator`;
const MIA_ROTATOR = "mia/matrix_rotator";

/** Hooks of team ml and of the member, whose templates name ml/model_key and mia/diary. */
const TEAM_HOOK = `${TEAM}/matrix_hook`;
const MIA_HOOK = "mia/matrix_hook";
/**
 * Where every hook points: a closed port on loopback, which the server refuses anyway (this
 * suite's server allows no private target), so a test delivery fails at once, sending nothing.
 */
const HOOK_URL = "http://127.0.0.1:9/matrix";

/** Whose a new hook is: team ml's (made by the org admin) or the member's (made by her). */
type HookOwner = "team" | "personal";

/** A new hook of the owner's, without templates, and the person who made it. */
async function newHook(owner: HookOwner): Promise<{ hook: string; by: Person }> {
  const name = fresh();
  const [by, ownerName] = owner === "team" ? [admin, TEAM] : [mia, mia.name];
  await by.client.hook.create.mutate({ name, owner: ownerName, url: HOOK_URL });
  return { hook: `${ownerName}/${name}`, by };
}

/** A cell redelivering a delivery of a new hook of the owner's: a test event that failed. */
function redeliverNew(owner: HookOwner): Scenario {
  return async () => {
    const { hook, by } = await newHook(owner);
    const { id: delivery } = await by.client.hook.test.mutate({ hook });
    return { call: (as) => as.deliveries.redeliver.mutate({ delivery }) };
  };
}

/** A cell changing a new hook of the owner's: its description, its deletion or a test event. */
function onNewHook(owner: HookOwner, change: "update" | "delete" | "test"): Scenario {
  return async () => {
    const { hook } = await newHook(owner);
    return {
      call: (as) =>
        change === "update"
          ? as.hook.update.mutate({ hook, description: "fake description" })
          : as.hook[change].mutate({ hook }),
    };
  };
}

/** Creates, as `as`, a new automation firing the owner's hook on its secrets' new versions. */
async function createAutomation(as: CofferClient, owner: string, hook: string): Promise<string> {
  const name = fresh();
  await as.automation.create.mutate({
    name,
    owner,
    on: ["secret.version.created"],
    match: `secret://${ORG}/${owner}/*`,
    hook,
  });
  return `${owner}/${name}`;
}

/** A team secret that a new team hook names in a header (so deleting it needs acknowledging). */
async function secretInUse(): Promise<string> {
  const secret = await teamSecret();
  await admin.client.hook.create.mutate({
    name: fresh(),
    owner: TEAM,
    url: HOOK_URL,
    headers: { "X-Key": `\${${secret}}` },
    allowSecrets: [secret],
  });
  return secret;
}

/** A team secret with a rotation policy. */
async function rotatedSecret(): Promise<string> {
  const secret = await teamSecret();
  await admin.client.rotation.configure.mutate({ secret, rotator: TEAM_ROTATOR });
  return secret;
}

const SCENARIOS: Record<CaseId, Scenario> = {
  "user.whoami": () => Promise.resolve({ call: (as) => as.user.whoami.query() }),
  "user.create": () =>
    Promise.resolve({ call: (as) => as.user.create.mutate({ name: `u-${fresh()}` }) }),
  "user.list": () => Promise.resolve({ call: (as) => as.user.list.query() }),
  "user.disable": async () => {
    const name = await newUser();
    return { call: (as) => as.user.disable.mutate({ name }) };
  },
  "user.enable": async () => {
    const name = await newUser();
    await admin.client.user.disable.mutate({ name });
    return { call: (as) => as.user.enable.mutate({ name }) };
  },

  "team.create": () =>
    Promise.resolve({ call: (as) => as.team.create.mutate({ name: `t-${fresh()}` }) }),
  "team.list": () => Promise.resolve({ call: (as) => as.team.list.query() }),
  "team.members": () => Promise.resolve({ call: (as) => as.team.members.query({ name: TEAM }) }),
  "team.addMember": async () => {
    const user = await newUser();
    return { call: (as) => as.team.addMember.mutate({ team: TEAM, user }) };
  },
  "team.removeMember": async () => {
    const user = await newUser();
    await admin.client.team.addMember.mutate({ team: TEAM, user });
    return { call: (as) => as.team.removeMember.mutate({ team: TEAM, user }) };
  },

  "secret.create": () => {
    const secret = `${TEAM}/${fresh()}`;
    return Promise.resolve({
      scope: secret,
      call: (as) => as.secret.create.mutate({ secret, value: "fake-created" }),
    });
  },
  "secret.list": () => Promise.resolve({ call: (as) => as.secret.list.query({ owner: TEAM }) }),
  "secret.describe": () =>
    Promise.resolve({ call: (as) => as.secret.describe.query({ secret: MODEL_KEY }) }),
  "secret.reveal": () =>
    Promise.resolve({ call: (as) => as.secret.reveal.mutate({ secret: MODEL_KEY }) }),
  "secret.batchReveal": () => Promise.resolve({ call: (as) => revealOneInBatch(as, MODEL_KEY) }),
  "secret.changes": () => Promise.resolve({ call: (as) => subscribeOnce(as) }),
  "secret.put": async () => {
    const secret = await teamSecret();
    return { scope: secret, call: (as) => as.secret.put.mutate({ secret, value: "fake-v2" }) };
  },
  "secret.versions": () =>
    Promise.resolve({ call: (as) => as.secret.versions.query({ secret: MODEL_KEY }) }),
  "secret.moveStage": async () => {
    const secret = await teamSecret();
    await admin.client.secret.put.mutate({ secret, value: "fake-v2" });
    return {
      scope: secret,
      call: (as) => as.secret.moveStage.mutate({ secret, stage: "pending", version: 1 }),
    };
  },
  "secret.rollback": async () => {
    const secret = await teamSecret();
    await admin.client.secret.put.mutate({ secret, value: "fake-v2" });
    return { scope: secret, call: (as) => as.secret.rollback.mutate({ secret }) };
  },
  "secret.disable": async () => {
    const secret = await teamSecret();
    return { scope: secret, call: (as) => as.secret.disable.mutate({ secret }) };
  },
  "secret.enable": async () => {
    const secret = await teamSecret();
    await admin.client.secret.disable.mutate({ secret });
    return { scope: secret, call: (as) => as.secret.enable.mutate({ secret }) };
  },
  "secret.delete": async () => {
    const secret = await teamSecret();
    return {
      scope: secret,
      call: (as) => as.secret.delete.mutate({ secret, recoveryDays: 7 }),
    };
  },
  "secret.restore": async () => {
    const secret = await teamSecret();
    await admin.client.secret.delete.mutate({ secret, recoveryDays: 7 });
    return { scope: secret, call: (as) => as.secret.restore.mutate({ secret }) };
  },
  "secret.setDescription": async () => {
    const secret = await teamSecret();
    return {
      scope: secret,
      call: (as) => as.secret.setDescription.mutate({ secret, description: "fake description" }),
    };
  },
  "secret.changeProtectionKey": async () => {
    const secret = await teamSecret();
    const { protectionKeyId } = await admin.client.secret.describe.query({ secret });
    return {
      scope: secret,
      call: (as) => as.secret.changeProtectionKey.mutate({ secret, protectionKeyId }),
    };
  },
  "secret.whereUsed": () =>
    Promise.resolve({ call: (as) => as.secret.whereUsed.query({ secret: MODEL_KEY }) }),

  "grant.share": async () => {
    const secret = await teamSecret();
    return {
      scope: secret,
      call: (as) => as.grant.share.mutate({ resource: secret, subject: "otto", level: "read" }),
    };
  },
  "grant.unshare": async () => {
    const secret = await teamSecret();
    await admin.client.grant.share.mutate({ resource: secret, subject: "otto", level: "read" });
    return {
      scope: secret,
      call: (as) => as.grant.unshare.mutate({ resource: secret, subject: "otto" }),
    };
  },
  "grant.list": () => Promise.resolve({ call: (as) => as.grant.list.query({ direction: "toMe" }) }),

  "token.create": () =>
    Promise.resolve({
      call: (as) => as.token.create.mutate({ name: `matrix ${fresh()}`, expiresInSeconds: HOUR }),
    }),
  "token.list": () => Promise.resolve({ call: (as) => as.token.list.query() }),
  "token.disable": async (cell) => {
    const id = await ownToken(cell);
    return { call: (as) => as.token.disable.mutate({ id }) };
  },
  "token.enable": async (cell) => {
    const id = await ownToken(cell);
    await cell.self.client.token.disable.mutate({ id });
    return { call: (as) => as.token.enable.mutate({ id, expiresInSeconds: HOUR }) };
  },
  "token.delete": async (cell) => {
    const id = await ownToken(cell);
    return { call: (as) => as.token.delete.mutate({ id }) };
  },

  "token.revokeSelf": async (cell) => {
    const { token } = await cell.self.client.token.create.mutate({
      name: `matrix ${fresh()}`,
      expiresInSeconds: HOUR,
    });
    const own = e2e.as(token);
    const shared = new Set([mia.client, tara.client, admin.client]);
    // A scope of its own gives the scoped caller a token of its own too.
    return {
      scope: `${TEAM}/revoked_${fresh()}`,
      call: (as) => (shared.has(as) ? own : as).token.revokeSelf.mutate(),
    };
  },

  "accessKey.create": () =>
    Promise.resolve({
      call: (as) =>
        as.accessKey.create.mutate({ name: `matrix ${fresh()}`, expiresInSeconds: HOUR }),
    }),
  "accessKey.list": () => Promise.resolve({ call: (as) => as.accessKey.list.query() }),
  "accessKey.disable": async (cell) => {
    const id = await ownAccessKey(cell);
    return { call: (as) => as.accessKey.disable.mutate({ id }) };
  },
  "accessKey.delete": async (cell) => {
    const id = await ownAccessKey(cell);
    return { call: (as) => as.accessKey.delete.mutate({ id }) };
  },

  "audit.list": () =>
    Promise.resolve({ call: (as) => as.audit.list.query({ secret: MODEL_KEY, limit: 5 }) }),
  "audit.verify": () => Promise.resolve({ call: (as) => as.audit.verify.query() }),

  "oidc.createPolicy": () =>
    Promise.resolve({ call: (as) => as.oidc.createPolicy.mutate(trustPolicy(`p-${fresh()}`)) }),
  "oidc.listPolicies": () => Promise.resolve({ call: (as) => as.oidc.listPolicies.query() }),
  "oidc.deletePolicy": async () => {
    const identity = `p-${fresh()}`;
    await admin.client.oidc.createPolicy.mutate(trustPolicy(identity));
    return { call: (as) => as.oidc.deletePolicy.mutate({ identity }) };
  },
  "oidc.exchange": async () => {
    const token = await issuer.sign({ ...githubClaims(), aud: "coffer-matrix" });
    return { call: (as) => as.oidc.exchange.mutate({ token, identity: "matrix" }) };
  },

  "session.open": async () => {
    const { token } = await admin.client.token.create.mutate({
      name: `matrix ${fresh()}`,
      expiresInSeconds: HOUR,
      for: "mia",
    });
    return { call: (as) => as.session.open.mutate({ token }) };
  },
  "session.current": () => Promise.resolve({ call: (as) => as.session.current.query() }),
  "session.close": () => Promise.resolve({ call: (as) => as.session.close.mutate() }),
  "session.closeAll": () => Promise.resolve({ call: (as) => as.session.closeAll.mutate() }),

  "key.list": () => Promise.resolve({ call: (as) => as.key.list.query() }),
  "key.create": () =>
    Promise.resolve({ call: (as) => as.key.create.mutate({ makeDefault: false }) }),
  "key.rotateRoot": () => Promise.resolve({ call: (as) => as.key.rotateRoot.mutate() }),
  "random.generate": () =>
    Promise.resolve({ call: (as) => as.random.generate.mutate({ length: 24 }) }),

  "rotation.configure": async () => {
    const secret = await teamSecret();
    return {
      scope: secret,
      call: (as) => as.rotation.configure.mutate({ secret, rotator: TEAM_ROTATOR, every: "30d" }),
    };
  },
  "rotation.get": async () => {
    const secret = await rotatedSecret();
    return { scope: secret, call: (as) => as.rotation.get.query({ secret }) };
  },
  "rotation.setAuto": async () => {
    const secret = await rotatedSecret();
    return { scope: secret, call: (as) => as.rotation.setAuto.mutate({ secret, auto: false }) };
  },
  "rotation.run": async () => {
    const secret = await rotatedSecret();
    return { scope: secret, call: (as) => as.rotation.run.mutate({ secret }) };
  },
  "rotation.test": async () => {
    const secret = await rotatedSecret();
    return { scope: secret, call: (as) => as.rotation.test.mutate({ secret }) };
  },
  // The suite's server runs no executor: the job is still active when the cell cancels it.
  "rotation.cancel": async () => {
    const secret = await rotatedSecret();
    await admin.client.rotation.run.mutate({ secret });
    return { scope: secret, call: (as) => as.rotation.cancel.mutate({ secret }) };
  },
  // A job that failed for good: targets of a value that is not JSON.
  "rotation.retry": async () => {
    const secret = await teamSecret();
    await admin.client.rotation.configure.mutate({ secret, rotator: TEAM_ROTATOR, targets: ["k"] });
    await admin.client.rotation.run.mutate({ secret });
    await e2e.runRotations();
    return { scope: secret, call: (as) => as.rotation.retry.mutate({ secret }) };
  },
  "rotation.rollback": async () => {
    const secret = await rotatedSecret();
    await admin.client.rotation.run.mutate({ secret });
    await e2e.runRotations();
    return { scope: secret, call: (as) => as.rotation.rollback.mutate({ secret }) };
  },
  "rotation.jobs": async () => {
    const secret = await rotatedSecret();
    await admin.client.rotation.test.mutate({ secret });
    return { scope: secret, call: (as) => as.rotation.jobs.query({ secret }) };
  },
  "rotation.job.start": () => Promise.resolve({ call: (as) => as.rotation.job.start.mutate() }),
  "rotation.job.addPending": () =>
    Promise.resolve({ call: (as) => as.rotation.job.addPending.mutate() }),
  "rotation.job.updatePending": () =>
    Promise.resolve({
      call: (as) => as.rotation.job.updatePending.mutate({ value: "fake-pending-value" }),
    }),
  "rotation.job.complete": () =>
    Promise.resolve({ call: (as) => as.rotation.job.complete.mutate() }),
  "rotation.job.fail": () =>
    Promise.resolve({ call: (as) => as.rotation.job.fail.mutate({ reason: "fake reason" }) }),
  "rotation.job.heartbeat": () =>
    Promise.resolve({ call: (as) => as.rotation.job.heartbeat.mutate() }),
  "rotator.create": () =>
    Promise.resolve({
      call: (as) => as.rotator.create.mutate({ name: fresh(), owner: TEAM, kind: "random" }),
    }),
  "rotator.list": () => Promise.resolve({ call: (as) => as.rotator.list.query({ owner: TEAM }) }),
  "rotator.get": () =>
    Promise.resolve({ call: (as) => as.rotator.get.query({ rotator: TEAM_ROTATOR }) }),
  "rotator.delete": async () => {
    const name = fresh();
    await admin.client.rotator.create.mutate({ name, owner: TEAM, kind: "random" });
    return { call: (as) => as.rotator.delete.mutate({ rotator: `${TEAM}/${name}` }) };
  },
  "hook.create": () =>
    Promise.resolve({
      call: (as) => as.hook.create.mutate({ name: fresh(), owner: TEAM, url: HOOK_URL }),
    }),
  "hook.list": () => Promise.resolve({ call: (as) => as.hook.list.query({ owner: TEAM }) }),
  "hook.get": () => Promise.resolve({ call: (as) => as.hook.get.query({ hook: TEAM_HOOK }) }),
  "hook.update": onNewHook("team", "update"),
  "hook.delete": onNewHook("team", "delete"),
  "hook.test": onNewHook("team", "test"),
  "automation.create": () =>
    Promise.resolve({ call: (as) => createAutomation(as, TEAM, TEAM_HOOK) }),
  "automation.list": () =>
    Promise.resolve({ call: (as) => as.automation.list.query({ owner: TEAM }) }),
  "automation.delete": async () => {
    const automation = await createAutomation(admin.client, TEAM, TEAM_HOOK);
    return { call: (as) => as.automation.delete.mutate({ automation }) };
  },
  "deliveries.list": () =>
    Promise.resolve({ call: (as) => as.deliveries.list.query({ hook: TEAM_HOOK }) }),
  "deliveries.redeliver": redeliverNew("team"),
  "secret.usedBy": () =>
    Promise.resolve({ call: (as) => as.secret.usedBy.query({ secret: MODEL_KEY }) }),

  "secret.create (personal)": () => {
    const secret = `${mia.name}/${fresh()}`;
    return Promise.resolve({
      scope: secret,
      call: (as) => as.secret.create.mutate({ secret, value: "fake-created" }),
    });
  },
  "secret.describe (personal)": () =>
    Promise.resolve({ scope: DIARY, call: (as) => as.secret.describe.query({ secret: DIARY }) }),
  "secret.reveal (personal)": () =>
    Promise.resolve({ scope: DIARY, call: (as) => as.secret.reveal.mutate({ secret: DIARY }) }),
  "secret.put (personal)": async () => {
    const secret = await personalSecret();
    return { scope: secret, call: (as) => as.secret.put.mutate({ secret, value: "fake-v2" }) };
  },
  "secret.delete (personal)": async () => {
    const secret = await personalSecret();
    return {
      scope: secret,
      call: (as) => as.secret.delete.mutate({ secret, recoveryDays: 7 }),
    };
  },
  "grant.share (personal)": async () => {
    const secret = await personalSecret();
    return {
      scope: secret,
      call: (as) => as.grant.share.mutate({ resource: secret, subject: "otto", level: "read" }),
    };
  },
  "secret.reveal (outside the token's scope)": () =>
    Promise.resolve({
      scope: MODEL_KEY,
      call: (as) => as.secret.reveal.mutate({ secret: OTHER_KEY }),
    }),
  "secret.describe (outside the token's scope)": () =>
    Promise.resolve({
      scope: MODEL_KEY,
      call: (as) => as.secret.describe.query({ secret: OTHER_KEY }),
    }),
  "token.create (shared)": () =>
    Promise.resolve({
      call: (as) =>
        as.token.create.mutate({
          name: `matrix ${fresh()}`,
          expiresInSeconds: HOUR,
          shared: { owner: TEAM },
        }),
    }),
  "token.disable (shared)": async () => {
    const { id } = await admin.client.token.create.mutate({
      name: `matrix ${fresh()}`,
      expiresInSeconds: HOUR,
      shared: { owner: TEAM },
    });
    return { call: (as) => as.token.disable.mutate({ id }) };
  },
  "accessKey.create (shared)": () =>
    Promise.resolve({
      call: (as) =>
        as.accessKey.create.mutate({
          name: `matrix ${fresh()}`,
          expiresInSeconds: HOUR,
          shared: { owner: TEAM },
        }),
    }),
  "token.list (another user's)": async () => {
    const user = await newUser();
    return { call: (as) => as.token.list.query({ user }) };
  },
  "token.create (for another user)": async () => {
    const user = await newUser();
    return {
      call: (as) =>
        as.token.create.mutate({ name: `matrix ${fresh()}`, expiresInSeconds: HOUR, for: user }),
    };
  },
  "token.disable (another user's)": async () => {
    const { tokenId: id } = await admin.client.user.create.mutate({ name: `u-${fresh()}` });
    return { call: (as) => as.token.disable.mutate({ id }) };
  },
  "token.delete (another user's)": async () => {
    const { tokenId: id } = await admin.client.user.create.mutate({ name: `u-${fresh()}` });
    return { call: (as) => as.token.delete.mutate({ id }) };
  },
  "audit.list (unfiltered)": () =>
    Promise.resolve({ call: (as) => as.audit.list.query({ limit: 5 }) }),
  "rotator.create (personal)": () =>
    Promise.resolve({
      call: (as) => as.rotator.create.mutate({ name: fresh(), owner: mia.name, kind: "random" }),
    }),
  "rotator.get (personal)": () =>
    Promise.resolve({ call: (as) => as.rotator.get.query({ rotator: MIA_ROTATOR }) }),
  "rotation.configure (another's rotator)": async () => {
    const secret = await teamSecret();
    return {
      scope: secret,
      call: (as) => as.rotation.configure.mutate({ secret, rotator: MIA_ROTATOR }),
    };
  },
  "hook.create (personal)": () =>
    Promise.resolve({
      call: (as) => as.hook.create.mutate({ name: fresh(), owner: mia.name, url: HOOK_URL }),
    }),
  "hook.get (personal)": () =>
    Promise.resolve({ call: (as) => as.hook.get.query({ hook: MIA_HOOK }) }),
  "hook.update (personal)": onNewHook("personal", "update"),
  "hook.delete (personal)": onNewHook("personal", "delete"),
  "hook.test (personal)": onNewHook("personal", "test"),
  "automation.create (personal)": () =>
    Promise.resolve({ call: (as) => createAutomation(as, mia.name, MIA_HOOK) }),
  "automation.delete (personal)": async () => {
    const automation = await createAutomation(mia.client, mia.name, MIA_HOOK);
    return { call: (as) => as.automation.delete.mutate({ automation }) };
  },
  "hook.create (another's secret)": () =>
    Promise.resolve({
      call: (as) =>
        as.hook.create.mutate({
          name: fresh(),
          owner: TEAM,
          url: HOOK_URL,
          headers: { "X-Key": `\${${DIARY}}` },
          allowSecrets: [DIARY],
        }),
    }),
  "hook.create (signed with another's secret)": () =>
    Promise.resolve({
      call: (as) =>
        as.hook.create.mutate({ name: fresh(), owner: TEAM, url: HOOK_URL, signingSecret: DIARY }),
    }),
  "deliveries.list (personal hook)": () =>
    Promise.resolve({ call: (as) => as.deliveries.list.query({ hook: MIA_HOOK }) }),
  "deliveries.redeliver (personal)": redeliverNew("personal"),
  "deliveries.list (all)": () => Promise.resolve({ call: (as) => as.deliveries.list.query({}) }),
  "secret.usedBy (personal)": () =>
    Promise.resolve({ scope: DIARY, call: (as) => as.secret.usedBy.query({ secret: DIARY }) }),
  "secret.delete (in use)": async () => {
    const secret = await secretInUse();
    return { scope: secret, call: (as) => as.secret.delete.mutate({ secret, recoveryDays: 7 }) };
  },
  "secret.delete (in use, acknowledged)": async () => {
    const secret = await secretInUse();
    return {
      scope: secret,
      call: (as) => as.secret.delete.mutate({ secret, recoveryDays: 7, acknowledgeUsedBy: true }),
    };
  },
  "secret.disable (in use)": async () => {
    const secret = await secretInUse();
    return { scope: secret, call: (as) => as.secret.disable.mutate({ secret }) };
  },
  "secret.disable (in use, acknowledged)": async () => {
    const secret = await secretInUse();
    return {
      scope: secret,
      call: (as) => as.secret.disable.mutate({ secret, acknowledgeUsedBy: true }),
    };
  },
};

async function scopedTo(secret: string): Promise<CofferClient> {
  let client = scopedTokens.get(secret);
  if (!client) {
    const { token } = await mia.client.token.create.mutate({
      name: `read ${secret}`,
      expiresInSeconds: HOUR,
      scopes: [{ resource: `secret://${ORG}/${secret}`, level: "read" }],
    });
    client = e2e.as(token);
    scopedTokens.set(secret, client);
  }
  return client;
}

function selfOf(caller: Caller): Person {
  return caller === "orgAdmin" ? admin : caller === "teamAdmin" ? tara : mia;
}

async function clientOf(caller: Caller, prepared: Prepared): Promise<CofferClient> {
  switch (caller) {
    case "none":
      return anonymous;
    case "expired":
      return expired;
    case "disabled":
      return disabled;
    case "member":
      return mia.client;
    case "teamAdmin":
      return tara.client;
    case "orgAdmin":
      return admin.client;
    case "scoped":
      return scopedTo(prepared.scope ?? MODEL_KEY);
  }
}

/** Calls one cell and says what came back: `allow`, or the SPEC error code. */
async function outcomeOf(id: CaseId, caller: Caller): Promise<Outcome | ErrorCode> {
  const prepared = await SCENARIOS[id]({ caller, self: selfOf(caller) });
  const as = await clientOf(caller, prepared);
  // The expired token lives 60 s: the server's clock is two minutes ahead during its calls only.
  if (caller === "expired") e2e.clock.offsetMs = 120_000;
  try {
    await prepared.call(as);
    return "allow";
  } catch (error) {
    return toCofferError(error).errorCode;
  } finally {
    e2e.clock.offsetMs = 0;
  }
}

beforeAll(async () => {
  e2e = await startMatrixServer();
  admin = { name: "admin", client: e2e.admin };
  const person = async (name: string): Promise<Person> => ({
    name,
    client: e2e.as((await admin.client.user.create.mutate({ name })).token),
  });
  mia = await person("mia");
  tara = await person("tara");
  await person("otto"); // the subject of grants
  await admin.client.team.create.mutate({ name: TEAM });
  await admin.client.team.addMember.mutate({ team: TEAM, user: "mia", role: "member" });
  await admin.client.team.addMember.mutate({ team: TEAM, user: "tara", role: "admin" });
  await admin.client.secret.create.mutate({ secret: MODEL_KEY, value: "fake-model-key" });
  await admin.client.secret.create.mutate({ secret: OTHER_KEY, value: "fake-other-key" });
  await mia.client.secret.create.mutate({ secret: DIARY, value: "fake-diary" });
  await admin.client.rotator.create.mutate({ name: "matrix_rotator", owner: TEAM, kind: "random" });
  await mia.client.rotator.create.mutate({ name: "matrix_rotator", kind: "random" });
  await admin.client.hook.create.mutate({
    name: "matrix_hook",
    owner: TEAM,
    url: HOOK_URL,
    headers: { "X-Key": `\${${MODEL_KEY}}` },
    allowSecrets: [MODEL_KEY],
  });
  await mia.client.hook.create.mutate({
    name: "matrix_hook",
    url: HOOK_URL,
    headers: { "X-Key": "${diary}" },
    allowSecrets: [DIARY],
  });
  issuer = await startTestIssuer();
  await admin.client.oidc.createPolicy.mutate({ ...trustPolicy("matrix"), issuer: issuer.url });

  anonymous = createCofferClient({ url: e2e.url, retries: 0 });
  // Both work until they expire or are disabled: their refusals below come from that alone.
  const short = await mia.client.token.create.mutate({ name: "short", expiresInSeconds: 60 });
  expired = e2e.as(short.token);
  expect((await expired.user.whoami.query()).name).toBe("mia");
  const revoked = await mia.client.token.create.mutate({ name: "revoked", expiresInSeconds: HOUR });
  disabled = e2e.as(revoked.token);
  expect((await disabled.user.whoami.query()).name).toBe("mia");
  await mia.client.token.disable.mutate({ id: revoked.id });
});

afterAll(async () => {
  await e2e?.stop();
  await issuer?.close();
});

describe("authorisation matrix", () => {
  it("has one row for every procedure of the router, and a scenario for every row", () => {
    const procedures = Object.keys(appRouter._def.procedures).sort();
    expect(Object.keys(EXPECTED).sort(), "rows of EXPECTED vs the router's procedures").toEqual(
      procedures,
    );
    for (const id of Object.keys(VARIANTS)) expect(procedures).toContain(procedureOf(id));
    expect(Object.keys(SCENARIOS).sort()).toEqual(
      [...Object.keys(EXPECTED), ...Object.keys(VARIANTS)].sort(),
    );
  });

  // Rotating the root key changes what every later call depends on: it goes last.
  const rows = (Object.entries({ ...EXPECTED, ...VARIANTS }) as [CaseId, Row][]).sort(
    ([a], [b]) => Number(LAST.includes(a)) - Number(LAST.includes(b)),
  );
  for (const [id, row] of rows) {
    CALLERS.forEach((caller, i) => {
      const expected = row[i]!;
      it(`${id} × ${caller} → ${expected}`, async () => {
        const actual = await outcomeOf(id, caller);
        expect(actual, `${id} called by ${caller}: expected ${expected}, got ${actual}`).toBe(
          expected,
        );
      });
    });
  }
});
