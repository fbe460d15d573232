/** `30d`, `12h`, `45m`, `90s`, `2w` → seconds (token lifetimes, --since). */
import { UsageError } from "./errors.js";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

export function parseDuration(text: string, option: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (!match)
    throw new UsageError(
      `${option} takes a duration such as 30d, 12h or 45m (got "${text.slice(0, 20)}")`,
    );
  return Number(match[1]) * UNITS[match[2]!]!;
}
