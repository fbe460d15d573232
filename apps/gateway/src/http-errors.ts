/**
 * The gateway's own error responses, in the SPEC's format
 * `{ "error": { "errorCode", "message", "details" } }`. Messages name routes and reasons,
 * never a header or query value.
 */
import type { ServerResponse } from "node:http";
import type { ErrorCode } from "@coffer/core";

export function sendError(
  res: ServerResponse,
  status: number,
  errorCode: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): void {
  if (res.headersSent) {
    // Too late for an error body: cut the response so the client sees it is incomplete.
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { errorCode, message, details } });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}
