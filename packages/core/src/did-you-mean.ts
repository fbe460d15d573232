/**
 * "Did you mean …?" for a misspelt name (an option, a config field): the known name within two
 * edits, case-insensitive. One rule for the middleware's options and the gateway's config file.
 */

const MAX_HINT_DISTANCE = 2;

/** Levenshtein distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = row;
  }
  return previous[y.length]!;
}

/** The known name closest to `name`, if it is a likely typo of it. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = MAX_HINT_DISTANCE + 1;
  for (const candidate of known) {
    // Far apart in length: more edits than a hint allows, without computing them.
    if (Math.abs(name.length - candidate.length) > MAX_HINT_DISTANCE) continue;
    const distance = editDistance(name, candidate);
    if (distance < bestDistance && distance < Math.max(name.length, 2)) {
      [best, bestDistance] = [candidate, distance];
    }
  }
  return best;
}
