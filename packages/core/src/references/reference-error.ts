/** A bad reference: where (0-based character offset into the text given) and why. */
import { CofferError } from "../errors.js";

const MAX_SHOWN = 120;

export class ReferenceSyntaxError extends CofferError {
  readonly position: number;
  readonly reason: string;

  constructor(reason: string, text: string, position: number) {
    const shown = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
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
