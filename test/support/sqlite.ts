import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { makeSqliteLayer } from "../../layers/Sql.js"

/** A fresh temporary directory, removed when the scope closes. */
export const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

/** A migrated SQLite store in a fresh temporary file, as BasicLayer opens it, removed afterwards. */
export const SqliteTest = Layer.unwrapScoped(
  Effect.map(tempDir("effect-mlops-sqlite"), (dir) => makeSqliteLayer({ filename: path.join(dir, "mlops.db") }))
)
