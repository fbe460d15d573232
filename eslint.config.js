// One lint configuration for the whole monorepo; every package runs `eslint .` and finds it here.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

/** Modules that would make `core` impure (network, database, frameworks, CI runtime). */
const impureModules = [
  "node:fs",
  "node:fs/promises",
  "node:net",
  "node:http",
  "node:https",
  "node:child_process",
  "node:dgram",
  "fs",
  "net",
  "http",
  "https",
  "child_process",
  "pg",
  "express",
];

export default tseslint.config(
  {
    ignores: ["**/dist/**", "**/coverage/**", "**/.turbo/**", "**/node_modules/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      eqeqeq: ["error", "always"],
      "no-console": "error",
      // process.env is read in one env.ts per app and nowhere else.
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read the environment only in env.ts." },
      ],
    },
  },
  {
    files: ["**/env.ts", "**/*.test.ts", "**/test-*.ts", "packages/test-kit/**", "bench/**"],
    rules: { "no-restricted-properties": "off" },
  },
  {
    files: ["bench/**"],
    rules: { "no-console": "off" },
  },
  {
    // core is pure: no network, no database, no frameworks, no environment.
    files: ["packages/core/src/**/*.ts"],
    ignores: ["packages/core/src/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: impureModules.map((name) => ({ name, message: "core is pure." })),
          patterns: [
            {
              group: ["@trpc/*", "@actions/*", "@coffer/*"],
              message: "core imports no framework.",
            },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "process", message: "core reads no environment." },
        { name: "fetch", message: "core does no network." },
      ],
    },
  },
  {
    // The server's layers (README, "The parts"): http → routers → services (+ auth) → stores → db.
    // A store (and audit/, the audit store's home) never reaches up; auth never uses services.
    files: ["apps/server/src/stores/**/*.ts", "apps/server/src/audit/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "**/services/**",
                "**/routers/**",
                "**/http/**",
                "**/jobs/**",
                "**/context.js",
              ],
              message:
                "A store is below services, routers and http: it may use db/ and other stores.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["apps/server/src/auth/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/services/**", "**/routers/**", "**/http/**", "**/context.js"],
              message: "auth/ is beside services, not above them: share through stores/ or auth/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["apps/server/src/services/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/routers/**", "**/http/**", "**/context.js", "**/trpc.js"],
              message: "services are below routers and http.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
