import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One migrated PGlite for the run, copied per test database (src/test-pglite-template.ts).
    globalSetup: ["./src/test-pglite-template.ts"],
  },
});
