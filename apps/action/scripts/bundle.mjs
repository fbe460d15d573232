// One committed file that the runner runs as it is (no node_modules on the runner): the main
// and the post step alike (src/main.ts tells them apart). Deterministic (paths in its comments
// are relative to this package, whatever the working directory), so CI can check that the
// committed bundle is the one the source makes.
import { fileURLToPath, URL } from "node:url";
import { build } from "esbuild";

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));

await build({
  absWorkingDir: here(".."),
  entryPoints: [here("../src/main.ts")],
  outfile: here("../dist/index.js"),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: false,
  sourcemap: false,
  legalComments: "none",
  banner: {
    // Some bundled CommonJS dependencies (tunnel, via @actions/http-client) call require().
    js: 'import { createRequire as __cofferRequire } from "node:module"; const require = __cofferRequire(import.meta.url);',
  },
  logLevel: "warning",
});
