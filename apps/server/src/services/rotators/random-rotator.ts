/**
 * `random`: Coffer generates the value (the whole of it, or the policy's target keys of a JSON
 * value) and nothing outside Coffer takes it; its readers pick it up from the change feed.
 * The engine writes the value in `create` (rotation-versions.ts); the other steps do nothing.
 */
import type { Rotator } from "./rotator.js";

export const randomRotator: Rotator = {
  kind: "random",
  external: false,
  usesJobToken: false,
  namedSecrets: () => ({}),
  drivesItself: () => false,
  call: () => Promise.resolve("done"),
};
