/** What went wrong with a call, in words a person understands, with the server's message. */

/** The parts of a tRPC error the console reads (errorFormatter in apps/server/src/trpc.ts). */
export interface CallError {
  errorCode: string;
  message: string;
  details: Readonly<Record<string, unknown>>;
}

function asRecord(x: unknown): Record<string, unknown> | null {
  return typeof x === "object" && x !== null ? (x as Record<string, unknown>) : null;
}

/**
 * The Coffer error inside a thrown tRPC client error: `shape.errorCode` as the formatter puts
 * it, `data.error` as a fallback, tRPC's own `data.code` for errors Coffer did not make, and a
 * network failure (no shape at all) as UNAVAILABLE.
 */
export function callError(error: unknown): CallError {
  const e = asRecord(error);
  const shape = asRecord(e?.shape);
  const data = asRecord(e?.data);
  const body = asRecord(data?.error);
  const code = shape?.errorCode ?? body?.errorCode ?? data?.code;
  const message = shape?.message ?? body?.message ?? e?.message;
  return {
    errorCode: typeof code === "string" ? code : "UNAVAILABLE",
    message: typeof message === "string" ? message : "",
    details: asRecord(shape?.details ?? body?.details) ?? {},
  };
}

export function isUnauthorized(error: unknown): boolean {
  return error !== null && error !== undefined && callError(error).errorCode === "UNAUTHORIZED";
}

/** The sentence for a code; `action` says what was tried ("create this secret"). */
export function explain(errorCode: string, action: string): string {
  switch (errorCode) {
    case "UNAUTHORIZED":
      return "You are not signed in, or your session ended.";
    case "FORBIDDEN":
      return `You do not have the right to ${action}.`;
    case "NOT_FOUND":
      return "It does not exist, or you may not see it.";
    case "INVALID_STATUS":
      return `Coffer cannot ${action} as things stand.`;
    case "INVALID_REQUEST":
    case "UNPROCESSABLE_ENTITY":
      return "Something in the request is not right.";
    case "RATE_LIMITED":
      return "Too many attempts; wait a little and try again.";
    case "UNAVAILABLE":
      return "The server could not be reached; check the connection and try again.";
    default:
      return `Coffer could not ${action}.`;
  }
}

/**
 * An alert with the explanation and, below it, the server's own message. `words` replaces the
 * sentence for codes that mean something particular where they happen (sign-in's UNAUTHORIZED).
 */
export function ErrorNotice(props: {
  error: unknown;
  action?: string;
  words?: Readonly<Record<string, string>>;
}) {
  if (props.error === null || props.error === undefined) return null;
  const e = callError(props.error);
  const sentence = props.words?.[e.errorCode] ?? explain(e.errorCode, props.action ?? "do that");
  return (
    <div className="notice notice-error" role="alert">
      <p>{sentence}</p>
      {e.message !== "" && e.message !== sentence && <p className="muted">{e.message}</p>}
    </div>
  );
}
