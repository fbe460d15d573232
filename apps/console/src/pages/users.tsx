import { StubPage } from "../ui/page.js";

/** Users and teams: being built (one engineer fills this file). */
export function UsersPage() {
  return <StubPage title="Users and teams" />;
}
