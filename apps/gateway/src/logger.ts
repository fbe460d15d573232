/**
 * pino for the gateway. The access log carries method, path (never the query string: the
 * gateway writes injected values there), status, duration and route, and no header. The
 * redaction list is defence in depth for anything that ever logs a request by mistake.
 */
import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./env.js";

export type { Logger };

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["proxy-authorization"]',
  'req.headers["x-coffer-token"]',
  "req.query",
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.cookie",
  'headers["proxy-authorization"]',
  'headers["x-coffer-token"]',
  "*.value",
  "*.token",
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    name: "coffer-gateway",
    level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}
