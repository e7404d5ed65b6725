import { defineConfig } from "vitest/config";

// End-to-end tests: Quiver started in embedded mode or as a local cluster, driven over HTTP.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // libraries that reach their training sample are trained within half a second (default 5 s)
    env: { QUIVER_TRAINING_INTERVAL_MS: "500" },
  },
});
