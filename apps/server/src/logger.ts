/**
 * pino, with every header and field that could carry a credential or a value redacted
 * (defence in depth: handlers never log inputs or values in the first place).
 */
import pino, { type Logger } from "pino";
import type { Config } from "./env.js";

export type { Logger };

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers['x-coffer-token']",
  "req.headers['x-coffer-signature']",
  "req.headers.cookie",
  "*.value",
  "*.token",
  "*.secret",
  "*.input",
];

export function createLogger(
  config: Pick<Config, "logLevel">,
  destination?: pino.DestinationStream,
): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}
