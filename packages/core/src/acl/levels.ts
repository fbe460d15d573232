/** Permission levels, each including the ones before: list < read < write < manage. */
import { LEVELS, type Level } from "../model/types.js";

const RANK: Readonly<Record<Level, number>> = { list: 0, read: 1, write: 2, manage: 3 };

/** True when `held` includes `needed` (no level includes anything when held is null). */
export function includes(held: Level | null, needed: Level): boolean {
  return held !== null && RANK[held] >= RANK[needed];
}

export function maxLevel(a: Level | null, b: Level | null): Level | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

export function minLevel(a: Level | null, b: Level | null): Level | null {
  if (a === null || b === null) return null;
  return RANK[a] <= RANK[b] ? a : b;
}

export function isLevel(value: unknown): value is Level {
  return typeof value === "string" && (LEVELS as readonly string[]).includes(value);
}
