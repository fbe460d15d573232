import { StubPage } from "../ui/page.js";

/** Hooks, automations and deliveries: being built (one engineer fills this file). */
export function HooksPage() {
  return <StubPage title="Hooks, automations and deliveries" />;
}
