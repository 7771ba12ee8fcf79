import { defineConfig } from "vitest/config"

/**
 * End-to-end tests in a real headless Chromium (Debian's `chromium`) and
 * against a real Prometheus (Debian's `prometheus`):
 * `npm run test:e2e`, after `npm run build:ui`. One file at a time: the
 * browser and the server under test share the machine's two cores.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    // One real PostgreSQL for the run (or DATABASE_URL), for the enterprise server's sign-in tests.
    globalSetup: ["./test/support/postgresServer.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false
  }
})
