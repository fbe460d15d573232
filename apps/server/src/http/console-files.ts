/**
 * The web console's built files (apps/console/dist, SPEC §13) at `/`, same origin as `/trpc`.
 * Hashed files under /assets never change, so browsers keep them a year; the page itself is
 * `no-store` (it names the current assets). Any other page path a person may open or reload
 * (`/secrets/team/NAME`) answers with the page: the console routes in the browser. Paths of the
 * API and requests that do not ask for HTML keep their JSON 404.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import express, { type NextFunction, type Request, type Response } from "express";

/**
 * On every response (the API's JSON included, where they cost nothing): no script but the
 * console's own files, no inline script or eval, no framing, no referrer, no type sniffing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join("; "),
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

const YEAR_SECONDS = 365 * 86_400;
/** Paths that are never a page: the API, and assets (a missing one is a 404, not the page). */
const NOT_PAGES = /^\/(trpc|healthz|readyz|metrics|assets)(\/|$)/;

export function consoleFiles(dir: string): express.RequestHandler {
  const index = path.join(dir, "index.html");
  const assets = express.static(path.join(dir, "assets"), {
    index: false,
    fallthrough: true,
    setHeaders: (res) => {
      res.setHeader("Cache-Control", `public, max-age=${YEAR_SECONDS}, immutable`);
    },
  });
  const router = express.Router();
  router.use("/assets", assets);
  router.get(/.*/, (req: Request, res: Response, next: NextFunction) => {
    // A page is asked for by name (`text/html`), as a browser navigating does; a client
    // accepting anything (`*/*`) gets the API's JSON 404 (the CLI's "not a Coffer server").
    if (NOT_PAGES.test(req.path) || !req.headers.accept?.includes("text/html")) return next();
    if (!existsSync(index)) {
      res
        .status(404)
        .type("text/plain")
        .send("The web console is not built here: run `pnpm build` (or `pnpm start`).\n");
      return;
    }
    res.setHeader("Cache-Control", "no-store");
    res.sendFile(index, (error?: Error) => {
      if (error) next(error);
    });
  });
  return router;
}
