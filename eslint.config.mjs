import js from "@eslint/js";
import nx from "@nx/eslint-plugin";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

// Which projects may import which (Nx tags in each project.json). The engine is pure computation:
// no other project, no I/O, no servers. Its tests and benchmarks may also use the test data lib.
const boundaries = (engineMayUse, testsMayUse = []) => [
  "error",
  {
    allow: [],
    depConstraints: [
      {
        sourceTag: "type:engine",
        onlyDependOnLibsWithTags: engineMayUse,
        bannedExternalImports: ["lmdb", "@nats-io/*", "fastify", "prom-client"],
      },
      { sourceTag: "type:testing", onlyDependOnLibsWithTags: ["type:testing"] },
      {
        sourceTag: "type:lib",
        onlyDependOnLibsWithTags: ["type:lib", "type:engine", ...testsMayUse],
      },
      {
        sourceTag: "type:app",
        onlyDependOnLibsWithTags: ["type:lib", "type:engine", ...testsMayUse],
      },
      // The CLI wires the apps together (embedded mode runs coordinator and shard in one process).
      {
        sourceTag: "type:cli",
        onlyDependOnLibsWithTags: ["type:app", "type:lib", "type:engine", ...testsMayUse],
      },
      // End-to-end tests start Quiver with the CLI's starters and drive it over HTTP.
      {
        sourceTag: "type:e2e",
        onlyDependOnLibsWithTags: ["type:cli", "type:lib", "type:engine", ...testsMayUse],
      },
    ],
  },
];

// Tests, their support code and benchmarks may use the test harness and data (libs/testing).
const testFiles = ["**/*.test.ts", "**/test-support/**/*.ts", "**/bench/**/*.ts"];
const engineTestFiles = ["libs/engine/**/*.test.ts", "libs/engine/bench/**/*.ts"];

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/.nx/**",
      "**/coverage/**",
      "**/generated/**",
      "bench-results/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { "@nx": nx },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@nx/enforce-module-boundaries": boundaries([]),
    },
  },
  {
    files: testFiles,
    rules: { "@nx/enforce-module-boundaries": boundaries(["type:testing"], ["type:testing"]) },
  },
  {
    // Engine sources: no Node built-ins (tests and benchmarks may read files).
    files: ["libs/engine/src/**/*.ts"],
    ignores: [...engineTestFiles, "libs/engine/src/test-support/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "node:*",
                "fs",
                "path",
                "os",
                "child_process",
                "worker_threads",
                "net",
                "http",
              ],
              message: "libs/engine is pure computation: no Node I/O.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly" } },
  },
  prettier,
);
