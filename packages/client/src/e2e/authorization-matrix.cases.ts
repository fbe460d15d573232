/**
 * The authorisation matrix as data: for every procedure of the API, what each kind of caller
 * gets (SPEC §3, §4, §7). `allow` means the call succeeds; otherwise the SPEC error code.
 * The suite in `authorization-matrix.test.ts` calls each cell over HTTP with input that is
 * valid for that caller, so that only authorisation decides, and compares.
 *
 * Callers:
 * - `none`: no credentials at all.
 * - `expired`, `disabled`: a personal token of the member, past its expiry / disabled.
 * - `member`: `mia`, a plain member of team `ml` (org role member), token with scope `*`.
 * - `teamAdmin`: `tara`, admin of team `ml` (org role member), token with scope `*`.
 * - `orgAdmin`: the bootstrap `admin`, token with scope `*`.
 * - `scoped`: a token of the member narrowed to `read` on one secret: the row's target
 *   secret when the row has one, else `ml/model_key`.
 *
 * Targets, unless a row says otherwise: secret procedures act on a secret of team `ml`;
 * team procedures on team `ml`; token and access-key procedures on the caller's own
 * personal credentials (the member's, for the callers that are not a user with `*`).
 */
import type { AppRouter } from "@coffer/server";
import type { inferRouterInputs } from "@trpc/server";

export const CALLERS = [
  "none",
  "expired",
  "disabled",
  "member",
  "teamAdmin",
  "orgAdmin",
  "scoped",
] as const;
export type Caller = (typeof CALLERS)[number];

/** INVALID_STATUS: authorised, then refused for the target's state (a secret in use). */
export type Outcome = "allow" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "INVALID_STATUS";
/** One outcome per caller, in the order of CALLERS. */
export type Row = readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];

type Inputs = inferRouterInputs<AppRouter>;
type JobInputs = Inputs["rotation"]["job"];
/** Every procedure of the router, as `router.procedure` (`rotation.job.*`: one level deeper). */
export type ProcedurePath =
  | Exclude<
      {
        [R in Extract<keyof Inputs, string>]: `${R}.${Extract<keyof Inputs[R], string>}`;
      }[Extract<keyof Inputs, string>],
      "rotation.job"
    >
  | `rotation.job.${Extract<keyof JobInputs, string>}`;
/** A further row for a procedure on another kind of target, named in parentheses. */
export type VariantId = `${ProcedurePath} (${string})`;

const A = "allow";
const U = "UNAUTHORIZED";
const F = "FORBIDDEN";
const N = "NOT_FOUND";
const I = "INVALID_STATUS";

/** One row per procedure of the router (checked against the router itself at run time). */
// prettier-ignore
export const EXPECTED = {
  //                                   none expired disabled member teamAdmin orgAdmin scoped
  // Users: administration needs org admin and a `*` token; the directory is readable by all.
  "user.whoami":                      [U,   U,      U,       A,     A,        A,       A],
  "user.create":                      [U,   U,      U,       F,     F,        A,       F],
  "user.list":                        [U,   U,      U,       A,     A,        A,       F],
  "user.disable":                     [U,   U,      U,       F,     F,        A,       F],
  "user.enable":                      [U,   U,      U,       F,     F,        A,       F],
  // Teams: org admins create; team admins (and org admins) manage members of team ml.
  "team.create":                      [U,   U,      U,       F,     F,        A,       F],
  "team.list":                        [U,   U,      U,       A,     A,        A,       F],
  "team.members":                     [U,   U,      U,       A,     A,        A,       F],
  "team.addMember":                   [U,   U,      U,       F,     A,        A,       F],
  "team.removeMember":                [U,   U,      U,       F,     A,        A,       F],
  // A team secret: members read, team and org admins manage; the scoped token reads it.
  "secret.create":                    [U,   U,      U,       F,     A,        A,       F],
  "secret.list":                      [U,   U,      U,       A,     A,        A,       A],
  "secret.describe":                  [U,   U,      U,       A,     A,        A,       A],
  "secret.reveal":                    [U,   U,      U,       A,     A,        A,       A],
  "secret.batchReveal":               [U,   U,      U,       A,     A,        A,       A],
  // The change feed: anyone signed in may subscribe; each hears only what they may list.
  "secret.changes":                   [U,   U,      U,       A,     A,        A,       A],
  "secret.put":                       [U,   U,      U,       F,     A,        A,       F],
  "secret.versions":                  [U,   U,      U,       A,     A,        A,       A],
  "secret.moveStage":                 [U,   U,      U,       F,     A,        A,       F],
  "secret.rollback":                  [U,   U,      U,       F,     A,        A,       F],
  "secret.disable":                   [U,   U,      U,       F,     A,        A,       F],
  "secret.enable":                    [U,   U,      U,       F,     A,        A,       F],
  "secret.delete":                    [U,   U,      U,       F,     A,        A,       F],
  "secret.restore":                   [U,   U,      U,       F,     A,        A,       F],
  "secret.setDescription":            [U,   U,      U,       F,     A,        A,       F],
  "secret.changeProtectionKey":       [U,   U,      U,       F,     A,        A,       F],
  "secret.whereUsed":                 [U,   U,      U,       A,     A,        A,       A],
  // Sharing a team secret needs manage on it; listing one's grants needs nothing more.
  "grant.share":                      [U,   U,      U,       F,     A,        A,       F],
  "grant.unshare":                    [U,   U,      U,       F,     A,        A,       F],
  "grant.list":                       [U,   U,      U,       A,     A,        A,       F],
  // One's own personal credentials: any user with a `*` token; a narrow token cannot.
  "token.create":                     [U,   U,      U,       A,     A,        A,       F],
  "token.list":                       [U,   U,      U,       A,     A,        A,       F],
  "token.disable":                    [U,   U,      U,       A,     A,        A,       F],
  "token.enable":                     [U,   U,      U,       A,     A,        A,       F],
  "token.delete":                     [U,   U,      U,       A,     A,        A,       F],
  // Any token may end itself (each cell revokes a token made for it).
  "token.revokeSelf":                 [U,   U,      U,       A,     A,        A,       A],
  "accessKey.create":                 [U,   U,      U,       A,     A,        A,       F],
  "accessKey.list":                   [U,   U,      U,       A,     A,        A,       F],
  "accessKey.disable":                [U,   U,      U,       A,     A,        A,       F],
  "accessKey.delete":                 [U,   U,      U,       A,     A,        A,       F],
  // OIDC trust policies: org admins only. The exchange takes no credentials: the ID token is one.
  "oidc.createPolicy":                [U,   U,      U,       F,     F,        A,       F],
  "oidc.listPolicies":                [U,   U,      U,       F,     F,        A,       F],
  "oidc.deletePolicy":                [U,   U,      U,       F,     F,        A,       F],
  "oidc.exchange":                    [A,   A,      A,       A,     A,        A,       A],
  // Audit of ml/model_key needs read on it; verifying the org-wide chain needs org admin.
  "audit.list":                       [U,   U,      U,       A,     A,        A,       A],
  "audit.verify":                     [U,   U,      U,       F,     F,        A,       F],
  // Protection keys and the root key: org admins. Random values: anyone signed in.
  "key.list":                         [U,   U,      U,       F,     F,        A,       F],
  "key.create":                       [U,   U,      U,       F,     F,        A,       F],
  "key.rotateRoot":                   [U,   U,      U,       F,     F,        A,       F],
  "random.generate":                  [U,   U,      U,       A,     A,        A,       A],
  // Rotation policies of a team secret: write on it (SPEC §11), as moving its stages.
  "rotation.configure":               [U,   U,      U,       F,     A,        A,       F],
  "rotation.get":                     [U,   U,      U,       F,     A,        A,       F],
  "rotation.setAuto":                 [U,   U,      U,       F,     A,        A,       F],
  // Rotation jobs of a team secret: write on it too (SPEC §11), for every operator.
  "rotation.run":                     [U,   U,      U,       F,     A,        A,       F],
  "rotation.test":                    [U,   U,      U,       F,     A,        A,       F],
  "rotation.cancel":                  [U,   U,      U,       F,     A,        A,       F],
  "rotation.retry":                   [U,   U,      U,       F,     A,        A,       F],
  "rotation.rollback":                [U,   U,      U,       F,     A,        A,       F],
  "rotation.jobs":                    [U,   U,      U,       F,     A,        A,       F],
  // The rotator's side takes a job token (cfj_…) and nothing else: no person's token works.
  "rotation.job.start":               [U,   U,      U,       U,     U,        U,       U],
  "rotation.job.addPending":          [U,   U,      U,       U,     U,        U,       U],
  "rotation.job.updatePending":       [U,   U,      U,       U,     U,        U,       U],
  "rotation.job.complete":            [U,   U,      U,       U,     U,        U,       U],
  "rotation.job.fail":                [U,   U,      U,       U,     U,        U,       U],
  "rotation.job.heartbeat":           [U,   U,      U,       U,     U,        U,       U],
  // Rotators of team ml, owned like its secrets (rights on secret://org/ml/*): members read
  // them, admins create and delete; a token scoped to one secret reaches none (the listing
  // is filtered to what the caller may read).
  "rotator.create":                   [U,   U,      U,       F,     A,        A,       F],
  "rotator.list":                     [U,   U,      U,       A,     A,        A,       A],
  "rotator.get":                      [U,   U,      U,       A,     A,        A,       N],
  "rotator.delete":                   [U,   U,      U,       F,     A,        A,       N],
  // Hooks and automations of team ml, owned like rotators (SPEC §12): members see them, team
  // and org admins create, change, test and delete them; a token scoped to one secret is
  // refused where it names the owner (create) and told the rest does not exist. Listings are
  // filtered to what the caller may read.
  "hook.create":                      [U,   U,      U,       F,     A,        A,       F],
  "hook.list":                        [U,   U,      U,       A,     A,        A,       A],
  "hook.get":                         [U,   U,      U,       A,     A,        A,       N],
  "hook.update":                      [U,   U,      U,       F,     A,        A,       N],
  "hook.delete":                      [U,   U,      U,       F,     A,        A,       N],
  "hook.test":                        [U,   U,      U,       F,     A,        A,       N],
  "automation.create":                [U,   U,      U,       F,     A,        A,       F],
  "automation.list":                  [U,   U,      U,       A,     A,        A,       A],
  "automation.delete":                [U,   U,      U,       F,     A,        A,       N],
  // The deliveries of one team hook: seeing them is reading the hook, redelivering changes it.
  "deliveries.list":                  [U,   U,      U,       A,     A,        A,       N],
  "deliveries.redeliver":             [U,   U,      U,       F,     A,        A,       N],
  // Who names ml/model_key (a team hook's template does): `list` on the secret is enough.
  "secret.usedBy":                    [U,   U,      U,       A,     A,        A,       A],
  // Console sessions (SPEC §13): opened with the token in the input, whoever calls; a token
  // caller has no session to show or end; ending all of a user's needs the * scope.
  "session.open":                     [A,   A,      A,       A,     A,        A,       A],
  "session.current":                  [U,   U,      U,       A,     A,        A,       A],
  "session.close":                    [U,   U,      U,       A,     A,        A,       A],
  "session.closeAll":                 [U,   U,      U,       A,     A,        A,       F],
} as const satisfies Record<ProcedurePath, Row>;

/**
 * Further rows: the same procedures on other targets, where the answer differs.
 * "personal": a personal secret of the member (`mia/…`), which nobody else holds anything
 * on, org admins included, so they are told it does not exist; creating one there is
 * FORBIDDEN (a secret not yet made has no existence to hide).
 */
// prettier-ignore
export const VARIANTS = {
  //                                                  none expired disabled member teamAdmin orgAdmin scoped
  "secret.create (personal)":                        [U,   U,      U,       A,     F,        F,       F],
  "secret.describe (personal)":                      [U,   U,      U,       A,     N,        N,       A],
  "secret.reveal (personal)":                        [U,   U,      U,       A,     N,        N,       A],
  "secret.put (personal)":                           [U,   U,      U,       A,     N,        N,       F],
  "secret.delete (personal)":                        [U,   U,      U,       A,     N,        N,       F],
  "grant.share (personal)":                          [U,   U,      U,       A,     N,        N,       F],
  // ml/other_key, while the scoped token is narrowed to ml/model_key: nothing to see there.
  "secret.reveal (outside the token's scope)":       [U,   U,      U,       A,     A,        A,       N],
  "secret.describe (outside the token's scope)":     [U,   U,      U,       A,     A,        A,       N],
  // Shared credentials, for team ml: made and managed by org admins only.
  "token.create (shared)":                           [U,   U,      U,       F,     F,        A,       F],
  "token.disable (shared)":                          [U,   U,      U,       N,     N,        A,       F],
  "accessKey.create (shared)":                       [U,   U,      U,       F,     F,        A,       F],
  // Another user's personal tokens (recovery): org admins with a `*` token only. Someone else's
  // token reads as not found to the others; the narrow token is refused before any lookup.
  "token.list (another user's)":                     [U,   U,      U,       F,     F,        A,       F],
  "token.create (for another user)":                 [U,   U,      U,       F,     F,        A,       F],
  "token.disable (another user's)":                  [U,   U,      U,       N,     N,        A,       F],
  "token.delete (another user's)":                   [U,   U,      U,       N,     N,        A,       F],
  // Without a secret to filter on, the audit log reaches beyond any scope: `*` only.
  "audit.list (unfiltered)":                         [U,   U,      U,       A,     A,        A,       F],
  // The member's personal rotator: hers alone, as her personal secrets.
  "rotator.create (personal)":                       [U,   U,      U,       A,     F,        F,       F],
  "rotator.get (personal)":                          [U,   U,      U,       A,     N,        N,       N],
  // A team secret's policy pointed at the member's personal rotator: those who may write the
  // secret but not read the rotator are told it does not exist.
  "rotation.configure (another's rotator)":          [U,   U,      U,       F,     N,        N,       F],
  // The member's personal hooks and automations: hers alone, as her rotators; the scoped
  // token (read on ml/model_key) reaches none of them.
  "hook.create (personal)":                          [U,   U,      U,       A,     F,        F,       F],
  "hook.get (personal)":                             [U,   U,      U,       A,     N,        N,       N],
  "hook.update (personal)":                          [U,   U,      U,       A,     N,        N,       N],
  "hook.delete (personal)":                          [U,   U,      U,       A,     N,        N,       N],
  "hook.test (personal)":                            [U,   U,      U,       A,     N,        N,       N],
  "automation.create (personal)":                    [U,   U,      U,       A,     F,        F,       F],
  "automation.delete (personal)":                    [U,   U,      U,       A,     N,        N,       N],
  // A team hook naming the member's personal secret, in a template or as its signing key:
  // those who may make team hooks but not read the secret are told it does not exist.
  "hook.create (another's secret)":                  [U,   U,      U,       F,     N,        N,       F],
  "hook.create (signed with another's secret)":      [U,   U,      U,       F,     N,        N,       F],
  "deliveries.list (personal hook)":                 [U,   U,      U,       A,     N,        N,       N],
  "deliveries.redeliver (personal)":                 [U,   U,      U,       A,     N,        N,       N],
  // Every hook's deliveries at once: filtered to the hooks the caller may read.
  "deliveries.list (all)":                           [U,   U,      U,       A,     A,        A,       A],
  // mia/diary, which her personal hook names; the scoped token is narrowed to it.
  "secret.usedBy (personal)":                        [U,   U,      U,       A,     N,        N,       A],
  // A team secret a team hook names: deleting or disabling it is decided by rights first, so
  // those without them learn nothing of its dependents; those with them are refused until
  // they acknowledge the dependents (acknowledgeUsedBy).
  "secret.delete (in use)":                          [U,   U,      U,       F,     I,        I,       F],
  "secret.delete (in use, acknowledged)":            [U,   U,      U,       F,     A,        A,       F],
  "secret.disable (in use)":                         [U,   U,      U,       F,     I,        I,       F],
  "secret.disable (in use, acknowledged)":           [U,   U,      U,       F,     A,        A,       F],
} as const satisfies Record<VariantId, Row>;

export type CaseId = keyof typeof EXPECTED | keyof typeof VARIANTS;

/** The procedure a row calls: `secret.reveal (personal)` → `secret.reveal`. */
export function procedureOf(id: string): string {
  return id.split(" ")[0]!;
}
