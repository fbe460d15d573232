/**
 * The code of a Node or library error (`ECONNREFUSED`, `UND_ERR_SOCKET`…), looked for on the
 * error and then its causes: safe to show and log, unlike a message, which may quote a URL,
 * a header or a body.
 */
export function safeErrorCode(error: unknown, depth = 0): string {
  if (error !== null && typeof error === "object" && depth < 4) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z0-9_]{1,64}$/.test(code)) return code;
    return safeErrorCode((error as { cause?: unknown }).cause, depth + 1);
  }
  return "UNKNOWN";
}
