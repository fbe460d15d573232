// A first start on a fresh data directory spent most of its time in PGlite's initdb (issue 12:
// 6 s on a quiet machine). The build runs initdb once and keeps the result beside the compiled
// database code, twice: as a data directory (dist/db/pglite-template/), which a first start on
// disk copies natively, and as a gzipped tar of it (dist/db/pglite-template.tar.gz), which an
// in-memory database (tests) loads through PGlite's loadDataDir. Both hold only what initdb
// makes: no migration, no key, nothing of any instance. Each is written under a temporary name
// and renamed, so a process reading them never sees half of one.
import { Buffer } from "node:buffer";
import { rename, rm, writeFile } from "node:fs/promises";
import { fileURLToPath, URL } from "node:url";
import { PGlite } from "@electric-sql/pglite";

const dir = fileURLToPath(new URL("../dist/db/pglite-template", import.meta.url));
const tar = `${dir}.tar.gz`;
await rm(`${dir}.tmp`, { recursive: true, force: true });
const db = new PGlite(`${dir}.tmp`);
await db.waitReady;
const dump = await db.dumpDataDir("gzip");
await db.close();
await writeFile(`${tar}.tmp`, Buffer.from(await dump.arrayBuffer()));
await rename(`${tar}.tmp`, tar);
await rm(dir, { recursive: true, force: true });
await rename(`${dir}.tmp`, dir);
