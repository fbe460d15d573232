import { StubPage } from "../ui/page.js";

/** Protection keys: being built (one engineer fills this file). */
export function KeysPage() {
  return <StubPage title="Protection keys" />;
}
