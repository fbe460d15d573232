import { describe, expect, it } from "vitest";
import { expectCofferError, thrownBy } from "../crypto/test-errors.js";
import {
  DEFAULT_WINDOW,
  checkDue,
  compileSchedule,
  formatDuration,
  parseCron,
  parseEvery,
  type RotationTiming,
} from "./schedule.js";

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function refusal(run: () => unknown, field: string): string {
  const error = expectCofferError(thrownBy(run), "INVALID_REQUEST", "invalid-schedule");
  expect(error.details["field"]).toBe(field);
  return error.message;
}

describe("every", () => {
  it.each([
    ["1h", HOUR],
    ["36h", 36 * HOUR],
    ["1d", DAY],
    ["90d", 90 * DAY],
    ["730d", 730 * DAY],
    ["17520h", 730 * DAY],
  ])("%s → %d ms", (text, ms) => {
    expect(parseEvery(text)).toBe(ms);
  });

  it.each(["731d", "17521h", "0h", "0d"])("%s is out of bounds", (text) => {
    expect(refusal(() => parseEvery(text), "every")).toBe("invalid every: must be from 1h to 730d");
  });

  it.each(["30m", "90", "d", "1.5d", "01d", "1d12h", " 1d", "1D", "-1d", "1w", "1e3h", "1234567h"])(
    "%j is not a duration",
    (text) => {
      expect(refusal(() => parseEvery(text), "every")).toBe(
        "invalid every: must be a whole number of hours or days, as 12h or 90d",
      );
    },
  );

  it("formats back to days when whole, else hours", () => {
    expect(formatDuration(90 * DAY)).toBe("90d");
    expect(formatDuration(36 * HOUR)).toBe("36h");
  });
});

describe("cron", () => {
  const next = (cron: string, after: string) => parseCron(cron)(at(after))?.toISOString();

  it.each([
    ["0 3 * * *", "2026-12-05T23:52:30Z", "2026-12-06T03:00:00.000Z"],
    ["0 3 * * *", "2026-12-06T03:00:00Z", "2026-12-07T03:00:00.000Z"], // strictly after
    ["0 3 * * *", "2026-12-06T02:59:59.999Z", "2026-12-06T03:00:00.000Z"],
    ["30 * * * *", "2026-12-05T23:52:30Z", "2026-12-06T00:30:00.000Z"],
    ["0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00.000Z"], // leap day
    ["0 0 31 * *", "2026-04-01T00:00:00Z", "2026-05-31T00:00:00.000Z"], // skips April
    ["0 12 * * 0", "2026-12-05T00:00:00Z", "2026-12-06T12:00:00.000Z"], // Sunday as 0
    ["0 12 * * 7", "2026-12-05T00:00:00Z", "2026-12-06T12:00:00.000Z"], // and as 7
    ["0 12 * * SUN", "2026-12-05T00:00:00Z", "2026-12-06T12:00:00.000Z"],
    ["0 0 1 jan *", "2026-12-05T00:00:00Z", "2027-01-01T00:00:00.000Z"],
    ["0 9 * * 1-5", "2026-12-05T10:00:00Z", "2026-12-07T09:00:00.000Z"], // Sat → Mon
    ["0 */6 * * *", "2026-12-05T13:00:00Z", "2026-12-05T18:00:00.000Z"],
    ["0 1-10/3 * * *", "2026-12-05T05:00:00Z", "2026-12-05T07:00:00.000Z"],
    ["0 2,14 * * *", "2026-12-05T03:00:00Z", "2026-12-05T14:00:00.000Z"],
    // Vixie cron: day-of-month and day-of-week both restricted → either matches.
    ["0 0 1 * 1", "2026-12-02T00:00:00Z", "2026-12-07T00:00:00.000Z"], // Monday 7th
    ["0 0 13 * 5", "2026-12-02T00:00:00Z", "2026-12-04T00:00:00.000Z"], // Friday 4th
    // In UTC whatever the process's zone; no daylight-saving shift in March.
    ["0 2 * * *", "2026-03-29T00:30:00Z", "2026-03-29T02:00:00.000Z"],
    ["  0   3 * *  *  ", "2026-12-05T23:52:30Z", "2026-12-06T03:00:00.000Z"],
  ])("%s after %s → %s", (cron, after, expected) => {
    expect(next(cron, after)).toBe(expected);
  });

  it.each([
    ["0 0 3 * * *", "must have 5 fields (minute hour day-of-month month day-of-week), not 6"],
    ["0 0 3 * * * 2027", "must have 5 fields (minute hour day-of-month month day-of-week), not 7"],
    ["0 3 * *", "must have 5 fields (minute hour day-of-month month day-of-week), not 4"],
    ["", "must have 5 fields (minute hour day-of-month month day-of-week), not 1"],
    ["@daily", "nicknames such as @daily are not supported; write 5 fields"],
    [
      "* 3 * * *",
      "the minute field must be one number from 0 to 59 (a rotation runs at most hourly)",
    ],
    [
      "*/15 * * * *",
      "the minute field must be one number from 0 to 59 (a rotation runs at most hourly)",
    ],
    [
      "0,30 * * * *",
      "the minute field must be one number from 0 to 59 (a rotation runs at most hourly)",
    ],
    [
      "0 0 L * *",
      "the day-of-month field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n",
    ],
    [
      "0 0 15W * *",
      "the day-of-month field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n",
    ],
    [
      "0 0 ? * 1",
      "the day-of-month field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n",
    ],
    [
      "0 0 * * 5#2",
      "the day-of-week field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n",
    ],
    [
      "0 0 * * 5L",
      "the day-of-week field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n",
    ],
    [
      "0 0 1/2 * *",
      "the day-of-month field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n",
    ],
    [
      "0 0 * JAN-FOO *",
      "the month field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n",
    ],
    [
      "0 0 * * MON,",
      "the day-of-week field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n",
    ],
    ["0 H * * *", "the hour field takes numbers, *, ranges a-b, lists a,b and steps */n or a-b/n"],
    ["0 0 * * mon jan", "must have 5 fields (minute hour day-of-month month day-of-week), not 6"],
  ])("refuses %j: %s", (cron, message) => {
    expect(refusal(() => parseCron(cron), "cron")).toBe(`invalid cron: ${message}`);
  });

  it.each(["60 * * * *", "0 24 * * *", "0 0 32 * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8"])(
    "refuses %j: a number out of its field's range",
    (cron) => {
      expect(refusal(() => parseCron(cron), "cron")).toMatch(/^invalid cron: .*\S/);
    },
  );

  it("evaluates in UTC whatever the process's time zone", () => {
    const saved = process.env["TZ"];
    try {
      for (const zone of ["America/New_York", "Asia/Kolkata", "Pacific/Chatham"]) {
        process.env["TZ"] = zone;
        expect(next("0 2 * * *", "2026-03-08T00:30:00Z")).toBe("2026-03-08T02:00:00.000Z");
        expect(next("0 12 * * 0", "2026-12-05T00:00:00Z")).toBe("2026-12-06T12:00:00.000Z");
      }
    } finally {
      if (saved === undefined) delete process.env["TZ"];
      else process.env["TZ"] = saved;
    }
  });

  it("refuses a cron that never fires", () => {
    expect(refusal(() => parseCron("0 0 30 2 *"), "cron")).toBe("invalid cron: never fires");
    expect(refusal(() => parseCron("0 0 31 4,6 *"), "cron")).toBe("invalid cron: never fires");
  });
});

describe("compileSchedule: the window", () => {
  it("defaults to 1 hour", () => {
    expect(DEFAULT_WINDOW).toBe("1h");
    expect(compileSchedule({ every: "90d" }).windowMs).toBe(HOUR);
    expect(compileSchedule({ cron: "0 3 * * *" }).windowMs).toBe(HOUR);
  });

  it.each([
    [{ every: "90d", window: "7d" }, 7 * DAY],
    [{ every: "12h", window: "12h" }, 12 * HOUR],
    [{ cron: "0 3 * * *", window: "6h" }, 6 * HOUR],
  ] satisfies [RotationTiming, number][])("%j → %d ms", (timing, ms) => {
    expect(compileSchedule(timing).windowMs).toBe(ms);
  });

  it.each([
    [{ every: "90d", window: "8d" }, "invalid window: must be from 1h to 7d"],
    [{ every: "12h", window: "13h" }, "invalid window: must be from 1h to 12h"],
    [{ every: "1h", window: "2h" }, "invalid window: must be from 1h to 1h"],
    [
      { cron: "0 3 * * *", window: "30m" },
      "invalid window: must be a whole number of hours or days, as 12h or 90d",
    ],
  ] satisfies [RotationTiming, string][])("%j is refused", (timing, message) => {
    expect(refusal(() => compileSchedule(timing), "window")).toBe(message);
  });
});

describe("checkDue", () => {
  const every = compileSchedule({ every: "90d", window: "2h" });
  const anchor = at("2026-09-01T10:00:00Z");
  const due = at("2026-11-30T10:00:00Z"); // anchor + 90 days

  it("every: waiting, then due for the window, then missed and started at once", () => {
    expect(checkDue(every, anchor, at("2026-11-30T09:59:59Z"))).toEqual({ kind: "waiting", due });
    expect(checkDue(every, anchor, due)).toEqual({
      kind: "due",
      due,
      windowEnds: at("2026-11-30T12:00:00Z"),
    });
    expect(checkDue(every, anchor, at("2026-11-30T11:59:59.999Z")).kind).toBe("due");
    expect(checkDue(every, anchor, at("2026-11-30T12:00:00Z"))).toEqual({
      kind: "missed",
      missed: due,
      startNow: true,
    });
    expect(checkDue(every, anchor, at("2027-06-01T00:00:00Z"))).toEqual({
      kind: "missed",
      missed: due,
      startNow: true,
    });
  });

  it("the next due is the anchor plus the period: a manual rotation moves it", () => {
    const manual = at("2026-11-15T08:00:00Z");
    expect(checkDue(every, manual, at("2026-11-30T10:00:00Z"))).toEqual({
      kind: "waiting",
      due: at("2027-02-13T08:00:00Z"),
    });
  });

  const daily = compileSchedule({ cron: "0 3 * * *", window: "2h" });

  it("cron: due in the window after the first run following the anchor", () => {
    const last = at("2026-12-04T03:10:00Z");
    expect(checkDue(daily, last, at("2026-12-04T20:00:00Z"))).toEqual({
      kind: "waiting",
      due: at("2026-12-05T03:00:00Z"),
    });
    expect(checkDue(daily, last, at("2026-12-05T04:30:00Z"))).toEqual({
      kind: "due",
      due: at("2026-12-05T03:00:00Z"),
      windowEnds: at("2026-12-05T05:00:00Z"),
    });
  });

  it("cron: a missed window waits for the next one, or starts if a later window is open", () => {
    const last = at("2026-12-04T03:10:00Z");
    expect(checkDue(daily, last, at("2026-12-05T05:00:00Z"))).toEqual({
      kind: "missed",
      missed: at("2026-12-05T03:00:00Z"),
      startNow: false,
      next: at("2026-12-06T03:00:00Z"),
    });
    expect(checkDue(daily, last, at("2026-12-07T03:30:00Z"))).toEqual({
      kind: "missed",
      missed: at("2026-12-05T03:00:00Z"),
      startNow: true,
    });
    expect(checkDue(daily, last, at("2026-12-07T03:00:00Z"))).toMatchObject({ startNow: true });
    expect(checkDue(daily, last, at("2026-12-07T05:00:00Z"))).toMatchObject({
      startNow: false,
      next: at("2026-12-08T03:00:00Z"),
    });
  });

  it("a new policy counts from its creation", () => {
    const created = at("2026-12-05T23:52:30Z");
    expect(checkDue(compileSchedule({ every: "1h" }), created, created)).toEqual({
      kind: "waiting",
      due: at("2026-12-06T00:52:30Z"),
    });
  });
});
