// Migrations are SQL files read at start; tsc does not copy them, so the build does.
import { cpSync } from "node:fs";
import { URL } from "node:url";
cpSync(
  new URL("../src/db/migrations", import.meta.url),
  new URL("../dist/db/migrations", import.meta.url),
  {
    recursive: true,
  },
);
