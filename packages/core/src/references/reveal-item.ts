/** The batch-reveal item a `coffer` reference asks for (gateway and Action alike). */
import type { RevealInput } from "../api/secrets.js";
import type { Stage } from "../model/types.js";
import type { VaultReference } from "./vault-reference.js";

/** `OWNER/NAME[/KEY][#N][?stage=…]` → `{ secret, version?, stage?, key? }`; the server picks the key. */
export function revealItemOf(ref: VaultReference): RevealInput {
  const item: RevealInput = { secret: ref.resource.join("/") };
  if (ref.version !== undefined) item.version = ref.version;
  const stage = ref.options["stage"];
  if (stage !== undefined && stage !== "current") item.stage = stage as Stage;
  if (ref.key !== undefined) item.key = ref.key;
  return item;
}
