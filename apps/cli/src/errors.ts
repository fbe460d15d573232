/**
 * How the CLI fails: usage errors exit 2 (with the right form), everything else exits 1 with
 * one line on stderr: the server's error code and message. Never a value.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure with a clear message and no code of the server's (a file that cannot be read). */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}
