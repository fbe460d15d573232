/** The rotators this server runs, by kind (see rotator.ts for adding one). */
import type { RotatorKind } from "@coffer/core";
import { postgresRotator } from "./postgres-rotator.js";
import { randomRotator } from "./random-rotator.js";
import type { Rotator } from "./rotator.js";

export type RotatorRegistry = Readonly<Partial<Record<RotatorKind, Rotator>>>;

export const builtInRotators: RotatorRegistry = {
  random: randomRotator,
  postgres: postgresRotator,
};
