import { StubPage } from "../ui/page.js";

/** Account: being built (one engineer fills this file). */
export function AccountPage() {
  return <StubPage title="Account" />;
}
