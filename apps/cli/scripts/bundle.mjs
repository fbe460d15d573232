// One file, so that `coffer` starts fast (no module resolution of a dependency tree).
import { chmod, readFile } from "node:fs/promises";
import { URL } from "node:url";
import { build } from "esbuild";

const { version } = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));

await build({
  entryPoints: [new URL("../src/index.ts", import.meta.url).pathname],
  outfile: new URL("../dist/coffer.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: false,
  sourcemap: false,
  legalComments: "none",
  banner: {
    js: [
      "#!/usr/bin/env node",
      // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
      'import { createRequire as __cofferRequire } from "node:module"; const require = __cofferRequire(import.meta.url);',
    ].join("\n"),
  },
  logLevel: "warning",
  // `coffer --version`: the package's version, fixed in the bundle.
  define: { __COFFER_VERSION__: JSON.stringify(version) },
});
await chmod(new URL("../dist/coffer.js", import.meta.url), 0o755);
