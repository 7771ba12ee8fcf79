import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const local = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // The examples import the package by name, exactly as a user's code does.
    alias: {
      "effect-mlops/layers": local("./layers/index.ts"),
      "effect-mlops/enterprise": local("./layers/Enterprise.ts"),
      "effect-mlops/telemetry": local("./layers/Telemetry.ts"),
      "effect-mlops/testing": local("./src/testing/index.ts"),
      "effect-mlops/server": local("./src/http/index.ts"),
      "effect-mlops": local("./src/index.ts")
    }
  },
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    // Browser tests run with `npm run test:e2e` (test/e2e/vitest.config.ts).
    exclude: ["test/e2e/**", "**/node_modules/**"],
    // One real PostgreSQL for the run (or DATABASE_URL); suites make their own databases.
    globalSetup: ["./test/support/postgresServer.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000
  }
})
