/** Hooks, automations and deliveries (SPEC §12), one section each. */
import { Page } from "../ui/page.js";
import { AutomationsSection } from "./hooks/automations.js";
import { DeliveriesSection } from "./hooks/deliveries.js";
import { HooksSection } from "./hooks/hooks-section.js";

export function HooksPage() {
  return (
    <Page title="Hooks, automations and deliveries">
      <HooksSection />
      <AutomationsSection />
      <DeliveriesSection />
    </Page>
  );
}
