/**
 * The ACL decision table (SPEC §3), kept as data: who × what × level → allow or the reason
 * for the denial. decide.test.ts checks every row.
 */
import type { Grant, Level, TokenScope } from "../model/types.js";
import type { DenyReason, Principal, Resource } from "./decide.js";

export const principals = {
  alice: { kind: "user", name: "alice", orgRole: "member", status: "active", teams: [] },
  bob: {
    kind: "user",
    name: "bob",
    orgRole: "member",
    status: "active",
    teams: [{ team: "ml", role: "member" }],
  },
  carol: {
    kind: "user",
    name: "carol",
    orgRole: "member",
    status: "active",
    teams: [{ team: "ml", role: "admin" }],
  },
  dave: { kind: "user", name: "dave", orgRole: "admin", status: "active", teams: [] },
  erin: {
    kind: "user",
    name: "erin",
    orgRole: "admin",
    status: "disabled",
    teams: [{ team: "ml", role: "admin" }],
  },
  frank: { kind: "user", name: "frank", orgRole: "member", status: "active", teams: [] },
  gina: {
    kind: "user",
    name: "gina",
    orgRole: "member",
    status: "active",
    teams: [{ team: "ops", role: "member" }],
  },
  mlTeam: { kind: "team", name: "ml" },
  opsTeam: { kind: "team", name: "ops" },
  org: { kind: "org" },
} as const satisfies Record<string, Principal>;

const secret = (owner: "alice" | "erin" | "frank", name: string): Resource => ({
  kind: "secret",
  org: "default",
  owner: { kind: "user", name: owner },
  name,
});
const teamSecret = (owner: "ml" | "ops", name: string): Resource => ({
  kind: "secret",
  org: "default",
  owner: { kind: "team", name: owner },
  name,
});

export const resources = {
  aliceKey: secret("alice", "own_key"),
  aliceShared: secret("alice", "shared_key"),
  aliceAll: secret("alice", "*"),
  erinKey: secret("erin", "old_key"),
  frankKey: secret("frank", "frank_key"),
  mlModel: teamSecret("ml", "model_key"),
  mlAll: teamSecret("ml", "*"),
  opsDb: teamSecret("ops", "db_password"),
  teamMl: { kind: "team", name: "ml" },
  org: { kind: "org" },
} as const satisfies Record<string, Resource>;

/** Every grant in the deployment; decide must ignore those that do not apply. */
export const grants: readonly Grant[] = [
  { subject: "frank", resource: "secret://default/alice/shared_key", level: "read" },
  { subject: "ops", resource: "secret://default/ml/*", level: "write" },
  { subject: "bob", resource: "secret://default/ml/model_key", level: "write" },
  { subject: "alice", resource: "secret://default/ops/db_password", level: "list" },
  { subject: "erin", resource: "secret://default/alice/own_key", level: "manage" },
];

export const credentials = {
  none: null,
  all: { scopes: [{ resource: "*", level: "manage" }] },
  allRead: { scopes: [{ resource: "*", level: "read" }] },
  aliceSharedRead: { scopes: [{ resource: "secret://default/alice/shared_key", level: "read" }] },
  mlWildcardWrite: { scopes: [{ resource: "secret://default/ml/*", level: "write" }] },
  mlModelManage: { scopes: [{ resource: "secret://default/ml/model_key", level: "manage" }] },
  twoScopes: {
    scopes: [
      { resource: "secret://default/alice/*", level: "list" },
      { resource: "secret://default/alice/own_key", level: "write" },
    ],
  },
} as const satisfies Record<string, { scopes: readonly TokenScope[] } | null>;

export interface DecisionCase {
  who: keyof typeof principals;
  using: keyof typeof credentials;
  what: keyof typeof resources;
  level: Level;
  expect: "allow" | DenyReason;
}

const row = (
  who: DecisionCase["who"],
  using: DecisionCase["using"],
  what: DecisionCase["what"],
  level: Level,
  expect: DecisionCase["expect"],
): DecisionCase => ({ who, using, what, level, expect });

export const decisionCases: readonly DecisionCase[] = [
  // A user has manage on its own secrets, and nothing on another's.
  row("alice", "none", "aliceKey", "manage", "allow"),
  row("alice", "none", "aliceAll", "manage", "allow"),
  row("bob", "none", "aliceKey", "list", "no-access"),
  row("dave", "none", "aliceKey", "list", "no-access"), // org admins do not see personal secrets
  row("frank", "allRead", "frankKey", "read", "allow"),
  row("gina", "all", "frankKey", "list", "no-access"),
  // Team secrets: member read, team admin and org admin manage.
  row("bob", "none", "mlAll", "read", "allow"),
  row("bob", "none", "mlAll", "write", "insufficient-level"),
  row("carol", "none", "mlModel", "manage", "allow"),
  row("dave", "none", "mlModel", "manage", "allow"),
  row("alice", "none", "mlModel", "list", "no-access"),
  // Grants: to a user, to a team (its members), exact and wildcard; highest level wins.
  row("frank", "none", "aliceShared", "read", "allow"),
  row("frank", "none", "aliceShared", "write", "insufficient-level"),
  row("frank", "none", "aliceKey", "list", "no-access"), // exact grant does not spread
  row("gina", "none", "mlModel", "write", "allow"), // via team ops, wildcard
  row("gina", "none", "mlModel", "manage", "insufficient-level"),
  row("gina", "none", "mlAll", "write", "allow"),
  row("bob", "none", "mlModel", "write", "allow"), // member read + own grant write
  row("alice", "none", "opsDb", "list", "allow"),
  row("alice", "none", "opsDb", "read", "insufficient-level"),
  // A disabled user holds nothing, whatever its role, ownership or grants.
  row("erin", "none", "erinKey", "list", "principal-disabled"),
  row("erin", "all", "mlModel", "read", "principal-disabled"),
  row("erin", "none", "aliceKey", "read", "principal-disabled"),
  // Credentials narrow: effective = min(held now, best covering scope).
  row("alice", "all", "aliceKey", "manage", "allow"),
  row("alice", "allRead", "aliceKey", "read", "allow"),
  row("alice", "allRead", "aliceKey", "write", "outside-scope"),
  row("alice", "aliceSharedRead", "aliceShared", "read", "allow"),
  row("alice", "aliceSharedRead", "aliceKey", "list", "outside-scope"),
  row("alice", "twoScopes", "aliceKey", "write", "allow"),
  row("alice", "twoScopes", "aliceShared", "list", "allow"),
  row("alice", "twoScopes", "aliceShared", "read", "outside-scope"),
  row("bob", "mlModelManage", "mlModel", "write", "allow"), // scope manage, held write → write
  row("bob", "mlModelManage", "mlModel", "manage", "insufficient-level"),
  row("frank", "all", "aliceShared", "write", "insufficient-level"), // a scope adds nothing
  row("carol", "mlWildcardWrite", "mlModel", "write", "allow"),
  row("carol", "mlWildcardWrite", "mlModel", "manage", "outside-scope"),
  // Shared tokens: a team holds its own secrets and its grants; the org holds team secrets.
  row("mlTeam", "all", "mlModel", "manage", "allow"),
  row("mlTeam", "all", "opsDb", "list", "no-access"),
  row("opsTeam", "all", "mlModel", "write", "allow"),
  row("opsTeam", "all", "mlModel", "manage", "insufficient-level"),
  row("org", "all", "opsDb", "manage", "allow"),
  row("org", "all", "aliceKey", "list", "no-access"),
  // Administration: org and team resources need the `*` scope.
  row("dave", "none", "org", "manage", "allow"),
  row("dave", "all", "org", "manage", "allow"),
  row("dave", "mlWildcardWrite", "org", "list", "outside-scope"),
  row("alice", "none", "org", "list", "allow"),
  row("alice", "none", "org", "write", "insufficient-level"),
  row("carol", "none", "teamMl", "manage", "allow"),
  row("bob", "none", "teamMl", "list", "allow"),
  row("bob", "none", "teamMl", "write", "insufficient-level"),
  row("alice", "none", "teamMl", "list", "no-access"),
  row("dave", "none", "teamMl", "manage", "allow"),
  row("mlTeam", "all", "teamMl", "list", "allow"),
  row("opsTeam", "all", "org", "list", "no-access"),
  row("org", "all", "teamMl", "manage", "allow"),
];
