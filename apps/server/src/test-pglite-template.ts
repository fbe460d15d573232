/**
 * One migrated PGlite for a whole test run, copied for each test database: initdb and the
 * migrations run once (in vitest's global setup), not once per suite. The template is PGlite's
 * dumpDataDir of a migrated data directory, in a file the global setup names to the test
 * processes; each process reads it once and opens every in-memory test database from it.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { tempDir } from "@coffer/test-kit";
import { inject } from "vitest";
import { openPglite } from "./db/database.js";
import { migrate } from "./db/migrate.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The file holding the migrated PGlite template ("" when there is none). */
    pgliteTemplate: string;
  }
}

/** Makes the template in `dir`: a migrated data directory, dumped (uncompressed: faster to load). */
export async function writePgliteTemplate(dir: string): Promise<string> {
  const dataDir = path.join(dir, "db");
  const db = await openPglite(dataDir);
  await migrate(db);
  await db.close();
  const pglite = await PGlite.create(dataDir);
  const dump = await pglite.dumpDataDir("none");
  await pglite.close();
  const file = path.join(dir, "template.tar");
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  return file;
}

let template: Promise<Blob | undefined> | undefined;

/** This process's copy of the template, read once; undefined when the run has none. */
export function pgliteTemplate(): Promise<Blob | undefined> {
  template ??= (async () => {
    const file = inject("pgliteTemplate");
    return file ? new Blob([await readFile(file)]) : undefined;
  })();
  return template;
}

/** Vitest's global setup: the template for the whole run, removed at its end. */
export default async function setup({
  provide,
}: {
  provide: (key: "pgliteTemplate", value: string) => void;
}): Promise<() => Promise<void>> {
  const dir = await tempDir("coffer-pglite-template-");
  provide("pgliteTemplate", await writePgliteTemplate(dir.dir));
  return dir.remove;
}
