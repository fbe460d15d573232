/** A bad reference: where (0-based character offset into the text given) and why. */
import { CofferError } from "../errors.js";

const MAX_SHOWN = 80;

/**
 * What an error may quote of the text: up to the first whitespace and at most 80 characters.
 * A reference never holds raw whitespace, so this is enough to point at it, and it keeps the
 * rest of a scanned header or body (which may hold other credentials) out of the error.
 */
function quotable(text: string): string {
  const space = text.search(/\s/);
  const cut = space === -1 ? text : text.slice(0, space);
  return cut.length > MAX_SHOWN
    ? `${cut.slice(0, MAX_SHOWN)}…`
    : cut.length < text.length
      ? `${cut}…`
      : cut;
}

export class ReferenceSyntaxError extends CofferError {
  readonly position: number;
  readonly reason: string;

  constructor(reason: string, text: string, position: number) {
    const shown = quotable(text);
    super("INVALID_REQUEST", `bad reference "${shown}" at character ${position + 1}: ${reason}`, {
      reference: shown,
      position,
      reason,
    });
    this.name = "ReferenceSyntaxError";
    this.position = position;
    this.reason = reason;
  }
}
