import { useParams } from "wouter";
import { StubPage } from "../ui/page.js";

/** One secret (/secrets/:owner/:name): being built (one engineer fills this file). */
export function SecretPage() {
  const { owner, name } = useParams<{ owner: string; name: string }>();
  return <StubPage title={`${owner}/${name}`} />;
}
