/**
 * The web console (SPEC §13) in headless Chromium (Debian's, through @coffer/test-kit's
 * openBrowser), against the built server (`apps/server/dist/main.js`, which serves
 * `apps/console/dist` at `/`) on PGlite in a fresh data directory, or on PostgreSQL (a schema
 * of its own) when COFFER_BENCH_DATABASE_URL is set. The admin's 1,000 secrets are made through
 * the API; the browser signs in through the page (the token typed into "Token").
 * (a) Secrets list: from `page.goto("/secrets")` to 100 rows in `table[aria-label="Secrets"]`.
 *     Target: median and p95 < 1 s.
 * (b) Reveal: on a secret's page, from the click on "Reveal" to `output[aria-label="Value"]`
 *     holding the value. Target: median and p95 < 200 ms.
 * Both on the page's clock (console-marks.ts), RUNS times each after WARMUP runs; p95 is the
 * nearest rank (of 10 runs, the worst).
 * Baseline, same run: the load of `/healthz` (a page with no data and no script) on the same
 * server and browser, the machine's floor for (a).
 * (c) The gzip size of each JS file of apps/console/dist/assets. Target: < 200 KB in all.
 *
 * Run: `pnpm build && pnpm --filter @coffer/bench bench:console`. COFFER_BENCH_CONSOLE_RUNS=10,
 * COFFER_BENCH_DATABASE_URL (PostgreSQL; PGlite without).
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { createCofferClient } from "@coffer/client";
import { openBrowser, spawnCoffer, tempDir } from "@coffer/test-kit";
import { floorTimes, listTimes, revealTimes, ROWS, signIn, WARMUP } from "./console-measures.js";
import { postgresSchema, redacted, POSTGRES_URL, type BenchSchema } from "./postgres-schema.js";
import { load1 } from "./proc-stats.js";
import { machine } from "./report.js";
import { REPO } from "./spawned.js";

const RUNS = Number(process.env["COFFER_BENCH_CONSOLE_RUNS"] ?? "10");
const ON_POSTGRES = process.env["COFFER_BENCH_DATABASE_URL"] !== undefined;
const SECRETS = 1000;
const CREATE_BATCH = 50;
const TARGETS = { listMs: 1000, revealMs: 200, jsGzipKiB: 200 };
const MAIN = path.join(REPO, "apps/server/dist/main.js");
const ASSETS = path.join(REPO, "apps/console/dist/assets");

const nameOf = (i: number): string => `bench-console-${String(i).padStart(4, "0")}`;
/** Obviously fake, and distinct per secret so that (b) waits for the right one. */
const valueOf = (i: number): string => `fake-console-value-${String(i).padStart(4, "0")}`;

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const ms = (n: number): string => (Math.abs(n) < 10 ? n.toFixed(1) : n.toFixed(0));
const verdict = (ok: boolean): string => (ok ? "met" : "MISSED");

async function seed(url: string, token: string): Promise<void> {
  const admin = createCofferClient({ url, token, retries: 0 });
  for (let start = 0; start < SECRETS; start += CREATE_BATCH) {
    const batch = Array.from({ length: Math.min(CREATE_BATCH, SECRETS - start) }, (_, k) => {
      const i = start + k;
      return admin.secret.create.mutate({ secret: `admin/${nameOf(i)}`, value: valueOf(i) });
    });
    await Promise.all(batch);
  }
}

async function bundleSizes(): Promise<{ file: string; bytes: number; gzip: number }[]> {
  const files = (await readdir(ASSETS)).filter((f) => f.endsWith(".js")).sort();
  return Promise.all(
    files.map(async (file) => {
      const body = await readFile(path.join(ASSETS, file));
      return { file, bytes: body.length, gzip: gzipSync(body).length };
    }),
  );
}

function printTimes(rows: [string, number[], number | undefined][]): void {
  console.log("| measure | runs | median (ms) | p95 (ms) | worst (ms) | target | verdict |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const [what, xs, target] of rows) {
    const p50 = quantile(xs, 0.5);
    const p95 = quantile(xs, 0.95);
    const judged = target === undefined ? "" : verdict(p50 < target && p95 < target);
    console.log(
      `| ${what} | ${xs.length} | ${ms(p50)} | ${ms(p95)} | ${ms(Math.max(...xs))} | ${target === undefined ? "(floor)" : `< ${target}`} | ${judged} |`,
    );
  }
}

async function main(): Promise<void> {
  if (!existsSync(MAIN) || !existsSync(ASSETS)) {
    console.log(`Build first (pnpm build): ${MAIN} and ${ASSETS} are needed.`);
    process.exitCode = 1;
    return;
  }
  let schema: BenchSchema | undefined;
  if (ON_POSTGRES) {
    const made = await postgresSchema();
    if ("unreachable" in made) {
      console.log(`PostgreSQL at ${redacted(POSTGRES_URL)} is unreachable (${made.unreachable})`);
      process.exitCode = 1;
      return;
    }
    schema = made;
  }
  const dataDir = await tempDir("coffer-bench-console-");
  const server = await spawnCoffer(MAIN, {
    dataDir: dataDir.dir,
    logLevel: "warn",
    env: schema === undefined ? {} : { DATABASE_URL: schema.url },
    timeoutMs: 120_000,
  });
  const browser = await openBrowser();
  try {
    const loadBefore = load1();
    await seed(server.url, server.adminToken);
    const page = await browser.page();
    await signIn(page, server.url, server.adminToken);
    const list = await listTimes(page, server.url, RUNS);
    const reveal = await revealTimes(page, server.url, RUNS, (run) => {
      const i = (run * 97) % SECRETS;
      return { name: nameOf(i), value: valueOf(i) };
    });
    const floor = await floorTimes(page, server.url, RUNS);
    const sizes = await bundleSizes();

    console.log(`# Console benchmark (SPEC §13), ${new Date().toISOString()}`);
    console.log(
      `Machine: ${machine()}; ${schema === undefined ? "PGlite" : `PostgreSQL ${redacted(POSTGRES_URL)}`}; ` +
        `headless Chromium at 1280 px; ${SECRETS} secrets of the admin; page clock.`,
    );
    console.log(`\n## Time to usable, ${RUNS} runs each after ${WARMUP} warm-up runs\n`);
    printTimes([
      [`(a) goto /secrets → ${ROWS} rows`, list, TARGETS.listMs],
      ["(b) click Reveal → value shown", reveal, TARGETS.revealMs],
      ["baseline: goto /healthz → load end (no data, no script)", floor, undefined],
    ]);
    const total = sizes.reduce((sum, s) => sum + s.gzip, 0);
    console.log(`\n## (c) JavaScript shipped (apps/console/dist/assets, gzip level 6)\n`);
    console.log("| file | bytes | gzip (KiB) |");
    console.log("| --- | ---: | ---: |");
    for (const s of sizes) {
      console.log(`| ${s.file} | ${s.bytes} | ${(s.gzip / 1024).toFixed(1)} |`);
    }
    console.log(
      `| all ${sizes.length} files | ${sizes.reduce((sum, s) => sum + s.bytes, 0)} | ${(total / 1024).toFixed(1)} (target < ${TARGETS.jsGzipKiB}: ${verdict(total < TARGETS.jsGzipKiB * 1024)}) |`,
    );
    console.log(
      `\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${load1().toFixed(2)} after.`,
    );
  } finally {
    await browser.close();
    await server.stop();
    await schema?.drop();
    await dataDir.remove();
  }
}

await main();
