import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration and browser tests start real processes; these are failure guards only.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
