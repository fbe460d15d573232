// A first start on a fresh data directory spent most of its time in PGlite's initdb (issue 12:
// 6 s on a quiet machine). The build runs initdb once and keeps the result, a gzipped tar of the
// data directory, beside the compiled database code; openPglite loads it into a fresh directory
// (PGlite's loadDataDir) instead of running initdb. It holds only what initdb makes: no
// migration, no key, nothing of any instance.
import { Buffer } from "node:buffer";
import { writeFile } from "node:fs/promises";
import { URL } from "node:url";
import { PGlite } from "@electric-sql/pglite";

const db = new PGlite();
await db.waitReady;
const tar = await db.dumpDataDir("gzip");
await db.close();
await writeFile(
  new URL("../dist/db/pglite-template.tar.gz", import.meta.url),
  Buffer.from(await tar.arrayBuffer()),
);
