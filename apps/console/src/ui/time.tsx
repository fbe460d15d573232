const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 30],
  ["month", 12],
  ["year", Number.POSITIVE_INFINITY],
];

/** "3 minutes ago", "in 2 days": the relative form of `iso` as seen from `now`. */
export function relativeTime(iso: string, now = Date.now()): string {
  let amount = (Date.parse(iso) - now) / 1000;
  for (const [unit, size] of steps) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return iso;
}

/** A time shown relative to now, with the absolute time as its title and datetime. */
export function Time(props: { iso: string | null | undefined }) {
  if (props.iso === null || props.iso === undefined || Number.isNaN(Date.parse(props.iso)))
    return <span className="muted">—</span>;
  return (
    <time dateTime={props.iso} title={absolute.format(new Date(props.iso))}>
      {relativeTime(props.iso)}
    </time>
  );
}
