import { StubPage } from "../ui/page.js";

/** Audit log: being built (one engineer fills this file). */
export function AuditPage() {
  return <StubPage title="Audit log" />;
}
