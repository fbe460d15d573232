/** `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date, as a wait in ms. */

const MAX_SECONDS_DIGITS = 10;
const ASCTIME_RE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * How long a receiver asks to wait before the next attempt: 0 for a date already past,
 * undefined when the header is absent or is neither whole seconds nor a date.
 */
export function retryAfterMs(headerValue: string | undefined, now: Date): number | undefined {
  const value = headerValue?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+$/.test(value)) {
    return value.length > MAX_SECONDS_DIGITS ? undefined : Number(value) * 1000;
  }
  // The three forms of an HTTP date: IMF-fixdate and RFC 850 end in GMT; asctime has no zone
  // and means GMT. Anything else Date.parse might guess at (a bare year, a phrase) is ignored.
  const gmt = /^[A-Za-z]{3,9}, .*\d{2}:\d{2}:\d{2} GMT$/.test(value)
    ? value
    : ASCTIME_RE.test(value)
      ? `${value} GMT`
      : undefined;
  if (gmt === undefined) return undefined;
  const at = Date.parse(gmt);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
