/**
 * Redaction of rendered values from what a receiver sent back (SPEC §12's delivery log). A
 * receiver may echo a value as it was sent: plain (a header), JSON-escaped (the body, as
 * JavaScript, Python or PHP write JSON) or percent-encoded (the URL), so each of these forms is
 * redacted, and each line of a multi-line value (as GitHub Actions masks each line).
 *
 * Forms shorter than MIN_REDACTED_LENGTH characters are left alone: redacting every "a" or
 * "42" in a response would shred it and, by where the marks fall, tell more about the value
 * than it hides. A secret that short is no secret; the server may refuse such values in hooks.
 *
 * One pass, longest form first at each position, so a value holding another is redacted whole
 * and the marker is never searched again. Redact before cutting a body to its first 4 KiB, or
 * the cut may leave the start of a value that no longer matches.
 */
export const REDACTED = "[REDACTED]";
export const MIN_REDACTED_LENGTH = 4;

/** JSON text with every character past ASCII as `\uXXXX` (Python's `json.dumps` default). */
const asciiJson = (json: string, upper: boolean): string =>
  json.replace(/[\u007f-\uffff]/g, (c) => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, "0");
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  });

/**
 * The ways a JSON encoder may write the value inside a string: as JavaScript does, with
 * non-ASCII escaped (Python, lower or upper hex), and each of those with `/` as `\/` (PHP).
 */
function jsonForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const escaped = [json, asciiJson(json, false), asciiJson(json, true)];
  return [...escaped, ...escaped.map((form) => form.replaceAll("/", "\\/"))];
}

function formsOf(value: string): string[] {
  const forms = [value, ...jsonForms(value), ...value.split(/\r?\n/)];
  try {
    forms.push(encodeURIComponent(value));
  } catch {
    // Not well-formed Unicode: it could not have been percent-encoded either.
  }
  return forms;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `text` with every occurrence of each value (in the forms above) replaced by `[REDACTED]`. */
export function redact(text: string, values: readonly string[]): string {
  const forms = [...new Set(values.flatMap(formsOf))]
    .filter((form) => form.length >= MIN_REDACTED_LENGTH)
    .sort((a, b) => b.length - a.length);
  if (forms.length === 0) return text;
  const pattern = new RegExp(forms.map(escapeRegExp).join("|"), "g");
  return text.replace(pattern, REDACTED);
}

/**
 * `redact` for a text cut short (the first 4 KiB of a response): a value the cut split leaves
 * its start at the very end, which `redact` cannot recognise; that tail is redacted too.
 */
export function redactHead(text: string, values: readonly string[], cut: boolean): string {
  const out = redact(text, values);
  if (!cut) return out;
  const forms = [...new Set(values.flatMap(formsOf))].filter(
    (form) => form.length >= MIN_REDACTED_LENGTH,
  );
  let longest = 0;
  for (const form of forms) {
    for (
      let k = Math.min(form.length - 1, out.length);
      k > Math.max(longest, MIN_REDACTED_LENGTH - 1);
      k--
    ) {
      if (out.endsWith(form.slice(0, k))) {
        longest = k;
        break;
      }
    }
  }
  return longest === 0 ? out : out.slice(0, out.length - longest) + REDACTED;
}
