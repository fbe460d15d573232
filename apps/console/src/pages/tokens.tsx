import { StubPage } from "../ui/page.js";

/** Tokens and access keys: being built (one engineer fills this file). */
export function TokensPage() {
  return <StubPage title="Tokens and access keys" />;
}
