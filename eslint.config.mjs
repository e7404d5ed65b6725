import js from "@eslint/js";
import nx from "@nx/eslint-plugin";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

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
    plugins: { "@nx": nx },
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@nx/enforce-module-boundaries": [
        "error",
        {
          allow: [],
          depConstraints: [
            {
              // The engine is pure computation: no other project, no I/O, no servers.
              sourceTag: "type:engine",
              onlyDependOnLibsWithTags: [],
              bannedExternalImports: ["lmdb", "@nats-io/*", "fastify", "prom-client", "node:*"],
            },
            { sourceTag: "type:lib", onlyDependOnLibsWithTags: ["type:lib", "type:engine"] },
            {
              sourceTag: "type:app",
              onlyDependOnLibsWithTags: ["type:lib", "type:engine"],
            },
          ],
        },
      ],
    },
  },
  {
    // Engine sources: no Node built-ins (benchmarks and tests may read files).
    files: ["libs/engine/src/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*"], message: "libs/engine is pure computation: no Node I/O." },
            { group: ["fs", "path", "os", "child_process", "worker_threads"], message: "libs/engine is pure computation: no Node I/O." },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  prettier,
);
