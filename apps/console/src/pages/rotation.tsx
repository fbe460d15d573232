import { StubPage } from "../ui/page.js";

/** Rotation: being built (one engineer fills this file). */
export function RotationPage() {
  return <StubPage title="Rotation" />;
}
