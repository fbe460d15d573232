/**
 * When a rotation policy is due (SPEC §11): `every` (1 h to 730 days, default 90 days) after
 * the last rotation, or a 5-field UTC cron; plus a window during which a due rotation may
 * start. "The last rotation" is the last success or manual new version (SPEC: `put` counts),
 * or the policy's creation when there is none; the caller passes it as `anchor`.
 *
 * Choices where SPEC is silent:
 * - Durations are a whole number of hours or days (`12h`, `90d`), nothing finer: the
 *   shortest period is an hour, so minutes would only invite typos (`90m` for `90d`).
 * - A cron is standard 5-field (minute hour day-of-month month day-of-week), evaluated in
 *   UTC by croner: numbers, `*`, ranges, lists, `*\/n` and `a-b/n` steps, month and weekday
 *   names, 0 or 7 for Sunday, and Vixie cron's rule that a restricted day-of-month and
 *   day-of-week match when *either* does. Seconds fields, `@daily` and friends, and Quartz's
 *   `? L W #` are refused. Its minute field must be one number, so it fires at most hourly,
 *   like `every`'s minimum; one that never fires (`0 0 30 2 *`) is refused.
 * - The window defaults to 1 hour (DEFAULT_WINDOW), from 1 hour to 7 days, and for `every`
 *   at most the period. A rotation the scheduler could not start inside its window raises
 *   `rotation.missed` (once per missed due time; the server remembers which). Then, as AWS
 *   Secrets Manager does for cron windows, a cron policy waits for its next window: the
 *   user chose those hours. An `every` policy starts at once instead (as anacron and
 *   systemd's Persistent timers catch up): its point is a value no older than the period,
 *   and waiting a whole period would double the age.
 */
import { Cron } from "croner";
import { invalidRequest } from "../errors.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const MIN_EVERY_MS = HOUR_MS;
export const MAX_EVERY_MS = 730 * DAY_MS;
export const MIN_WINDOW_MS = HOUR_MS;
export const MAX_WINDOW_MS = 7 * DAY_MS;
export const DEFAULT_EVERY = "90d";
export const DEFAULT_WINDOW = "1h";

/** A duration as people write it: a whole number of hours or days. */
export const DURATION_SOURCE = "(?:0|[1-9][0-9]{0,5})[hd]";
const DURATION_RE = new RegExp(`^${DURATION_SOURCE}$`);

export type RotationTiming = ({ every: string } | { cron: string }) & { window?: string };

export interface RotationSchedule {
  kind: "every" | "cron";
  /** As written (`90d`, `0 3 * * 1`). */
  text: string;
  windowMs: number;
  /** The first due time strictly after `after`. */
  next(after: Date): Date;
}

const scheduleError = (field: string, message: string) =>
  invalidRequest(`invalid ${field}: ${message}`, { reason: "invalid-schedule", field });

/** Milliseconds of `12h` / `90d`; throws INVALID_REQUEST outside [min, max]. */
export function parseDuration(text: string, field: string, min: number, max: number): number {
  if (!DURATION_RE.test(text)) {
    throw scheduleError(field, "must be a whole number of hours or days, as 12h or 90d");
  }
  const ms = Number(text.slice(0, -1)) * (text.endsWith("d") ? DAY_MS : HOUR_MS);
  if (ms < min || ms > max) {
    throw scheduleError(field, `must be from ${formatDuration(min)} to ${formatDuration(max)}`);
  }
  return ms;
}

/** `90d`, `36h`: days when whole, else hours. */
export function formatDuration(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : `${Math.round(ms / HOUR_MS)}h`;
}

export const parseEvery = (text: string): number =>
  parseDuration(text, "every", MIN_EVERY_MS, MAX_EVERY_MS);

const MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec";
const WEEKDAYS = "sun|mon|tue|wed|thu|fri|sat";

/** One field's grammar: a list of `*`, `*\/n`, `a`, `a-b` or `a-b/n` (names where allowed). */
function fieldPattern(names?: string): RegExp {
  const value = names ? `(?:\\d{1,2}|${names})` : "\\d{1,2}";
  const item = `(?:\\*(?:/\\d{1,2})?|${value}(?:-${value}(?:/\\d{1,2})?)?)`;
  return new RegExp(`^${item}(?:,${item})*$`, "i");
}

const CRON_FIELDS = [
  { name: "minute", shape: /^\d{1,2}$/ },
  { name: "hour", shape: fieldPattern() },
  { name: "day-of-month", shape: fieldPattern() },
  { name: "month", shape: fieldPattern(MONTHS) },
  { name: "day-of-week", shape: fieldPattern(WEEKDAYS) },
] as const;

/** A year before any anchor Coffer will see, to prove a cron fires at all. */
const CRON_PROBE = new Date(Date.UTC(2000, 0, 1));

/**
 * A validated 5-field UTC cron as its "next run strictly after" function; throws
 * INVALID_REQUEST naming the field that is wrong.
 */
export function parseCron(text: string): (after: Date) => Date | null {
  if (text.trim().startsWith("@")) {
    throw scheduleError("cron", "nicknames such as @daily are not supported; write 5 fields");
  }
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw scheduleError(
      "cron",
      `must have 5 fields (minute hour day-of-month month day-of-week), not ${fields.length}`,
    );
  }
  CRON_FIELDS.forEach(({ name, shape }, i) => {
    if (shape.test(fields[i] ?? "")) return;
    throw scheduleError(
      "cron",
      name === "minute"
        ? "the minute field must be one number from 0 to 59 (a rotation runs at most hourly)"
        : `the ${name} field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n`,
    );
  });
  let cron: Cron;
  try {
    cron = new Cron(fields.join(" "), { timezone: "UTC", mode: "5-part", paused: true });
  } catch (error) {
    // croner's words name the field and the bad number (the text is the user's own cron).
    const message = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : "";
    throw scheduleError("cron", message || "is not a valid cron");
  }
  if (cron.nextRun(CRON_PROBE) === null) throw scheduleError("cron", "never fires");
  return (after) => cron.nextRun(after);
}

/** Validates a policy's timing and compiles it; throws INVALID_REQUEST naming the field. */
export function compileSchedule(timing: RotationTiming): RotationSchedule {
  const windowText = timing.window ?? DEFAULT_WINDOW;
  if ("every" in timing) {
    const period = parseEvery(timing.every);
    const windowMs = parseDuration(
      windowText,
      "window",
      MIN_WINDOW_MS,
      Math.min(MAX_WINDOW_MS, period),
    );
    return {
      kind: "every",
      text: timing.every,
      windowMs,
      next: (after) => new Date(after.getTime() + period),
    };
  }
  const nextRun = parseCron(timing.cron);
  const windowMs = parseDuration(windowText, "window", MIN_WINDOW_MS, MAX_WINDOW_MS);
  return {
    kind: "cron",
    text: timing.cron,
    windowMs,
    next: (after) => {
      const next = nextRun(after);
      // parseCron proved it fires; croner looks a bounded number of years ahead.
      if (next === null) throw new Error("the cron has no run after the anchor");
      return next;
    },
  };
}

export type DueCheck =
  /** Not yet: `due` is when. */
  | { kind: "waiting"; due: Date }
  /** Start now: inside the window that opened at `due`. */
  | { kind: "due"; due: Date; windowEnds: Date }
  /**
   * The window that opened at `missed` passed without a start: raise `rotation.missed`.
   * `startNow` for `every` (catch up) or when a later cron window is open; else wait for
   * `next`.
   */
  | { kind: "missed"; missed: Date; startNow: true }
  | { kind: "missed"; missed: Date; startNow: false; next: Date };

/**
 * Where a policy stands at `now`, given `anchor` (the last rotation, or the policy's creation
 * when none). Pure: the caller passes the clock.
 */
export function checkDue(schedule: RotationSchedule, anchor: Date, now: Date): DueCheck {
  const due = schedule.next(anchor);
  if (now < due) return { kind: "waiting", due };
  const windowEnds = new Date(due.getTime() + schedule.windowMs);
  if (now < windowEnds) return { kind: "due", due, windowEnds };
  if (schedule.kind === "every") return { kind: "missed", missed: due, startNow: true };
  // The latest window that opened at or before now (the one just before the next run).
  let opened = due;
  for (let at = schedule.next(due); at <= now; at = schedule.next(at)) opened = at;
  if (opened > due && now.getTime() < opened.getTime() + schedule.windowMs) {
    return { kind: "missed", missed: due, startNow: true };
  }
  return { kind: "missed", missed: due, startNow: false, next: schedule.next(now) };
}
