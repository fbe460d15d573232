import { Link } from "wouter";
import { Page } from "../ui/page.js";

export function NotFoundPage() {
  return (
    <Page title="Not found">
      <p>
        There is no such page. <Link href="/secrets">Go to the secrets</Link>.
      </p>
    </Page>
  );
}
