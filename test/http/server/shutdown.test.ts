import * as fs from "node:fs"
import { freePort } from "../../support/freePort.js"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { tempDir } from "../../support/sqlite.js"
import { spawnServer } from "../../support/serverProcess.js"

/** A request body that trickles out over `ms`, so the request is in flight when the server is stopped. */
const slowBody = (chunks: number, ms: number) =>
  new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (chunks-- === 0) return controller.close()
      await new Promise((resolve) => setTimeout(resolve, ms / 10))
      controller.enqueue(new Uint8Array(64 * 1024).fill(chunks))
    }
  })

describe("server process", () => {
  it.live(
    "SIGTERM lets an in-flight upload finish, then closes the database cleanly",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir("effect-mlops-shutdown")
        const dataDir = path.join(dir, "data")
        const port = yield* freePort
        const server = yield* spawnServer(dataDir, port)
        const upload = fetch(`http://127.0.0.1:${port}/api/v1/artifacts/file?path=slow/blob.bin`, {
          method: "PUT",
          body: slowBody(10, 1000),
          duplex: "half"
        } as RequestInit)
        yield* Effect.sleep("300 millis")
        server.child.kill("SIGTERM")
        const response = yield* Effect.promise(() => upload)
        assert.strictEqual(response.status, 200)
        assert.deepInclude((yield* Effect.promise(() => response.json())) as object, { size: 10 * 64 * 1024 })
        const exit = yield* Effect.promise(() => server.exited)
        assert.strictEqual(exit, 0, server.output())
        assert.isTrue(fs.existsSync(path.join(dataDir, "artifacts", "files", "slow", "blob.bin")))
        // A clean close checkpoints the WAL into the database and removes it.
        assert.isFalse(fs.existsSync(path.join(dataDir, "mlops.db-wal")), "no WAL left behind")
      }).pipe(Effect.scoped),
    60_000
  )
})
