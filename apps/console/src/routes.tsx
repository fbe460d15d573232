/** The console's pages: one line each. `nav` names its link in the side nav (none: no link). */
import type { ComponentType } from "react";
import { AccountPage } from "./pages/account.js";
import { AuditPage } from "./pages/audit.js";
import { HooksPage } from "./pages/hooks.js";
import { KeysPage } from "./pages/keys.js";
import { RotationPage } from "./pages/rotation.js";
import { SecretPage } from "./pages/secret.js";
import { SecretsPage } from "./pages/secrets.js";
import { TokensPage } from "./pages/tokens.js";
import { UsersPage } from "./pages/users.js";

export interface RouteEntry {
  path: string;
  page: ComponentType;
  nav?: string;
  /** Shown (and linked) to org admins only; the server checks rights anyway. */
  adminOnly?: boolean;
}

export const routes: readonly RouteEntry[] = [
  { path: "/secrets", page: SecretsPage, nav: "Secrets" },
  { path: "/secrets/:owner/:name", page: SecretPage },
  { path: "/rotation", page: RotationPage, nav: "Rotation" },
  { path: "/hooks", page: HooksPage, nav: "Hooks" },
  { path: "/tokens", page: TokensPage, nav: "Tokens" },
  { path: "/users", page: UsersPage, nav: "Users and teams", adminOnly: true },
  { path: "/audit", page: AuditPage, nav: "Audit log" },
  { path: "/keys", page: KeysPage, nav: "Protection keys" },
  { path: "/account", page: AccountPage, nav: "Account" },
];
