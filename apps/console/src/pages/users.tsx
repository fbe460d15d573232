/** Users and teams (SPEC §2, §13), for org admins; the server refuses anyone else. */
import { useSession } from "../session.js";
import { Page } from "../ui/page.js";
import { TeamsSection } from "./users/teams-section.js";
import { UsersSection } from "./users/users-section.js";

export function UsersPage() {
  const session = useSession();
  return (
    <Page title="Users and teams">
      {session.orgRole !== "admin" && (
        <p className="notice">
          Only org admins add and disable users and make teams. Team admins add and remove their
          team's members here.
        </p>
      )}
      <UsersSection />
      <TeamsSection />
    </Page>
  );
}
