/** Date arithmetic in one place. */
export const DAY_MS = 86_400_000;

export const addDays = (from: Date, days: number): Date => new Date(from.getTime() + days * DAY_MS);
export const addSeconds = (from: Date, seconds: number): Date =>
  new Date(from.getTime() + seconds * 1000);
