/** Lifetimes are typed in days and sent in seconds (the API's `expiresInSeconds`). */
import { Field } from "../../ui/field.js";
export const DAY_SECONDS = 86_400;

/** The API's bound (10 × 366 days); the server's own maximum (365 days by default) may be lower. */
const MAX_DAYS = 3660;

/** Why `text` is not a number of days, or null when it is one. */
export function daysError(text: string): string | null {
  if (text.trim() === "") return "Say how many days it lives.";
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)
    return `A whole number of days, from 1 to ${MAX_DAYS}.`;
  return null;
}

export const daysToSeconds = (text: string): number => Number(text) * DAY_SECONDS;

/** A lifetime in days ("Expires in (days)", "New expiry (days)"), its error under it. */
export function DaysField(props: {
  label: string;
  value: string;
  onChange: (text: string) => void;
}) {
  const error = daysError(props.value);
  return (
    <Field label={props.label} error={props.value === "" ? null : error}>
      {(control) => (
        <input
          {...control}
          type="number"
          inputMode="numeric"
          min={1}
          required
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}
