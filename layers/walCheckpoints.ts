import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { Worker } from "node:worker_threads"
import { Duration, Effect, Runtime, type Scope } from "effect"

/**
 * The frames a WAL holds that are not yet in the database file, read from
 * the wal-index header SQLite keeps in `<db>-shm` (its documented layout,
 * https://sqlite.org/walformat.html: `isInit` at byte 12, `mxFrame` at 16,
 * `nBackfill` at 96, in the machine's byte order). 0 while the header is
 * not initialized; a torn read only moves one checkpoint.
 */
export const pendingWalFrames = (shm: number, header = Buffer.alloc(136)): number => {
  if (fs.readSync(shm, header, 0, header.length, 0) < header.length || header[12] !== 1) return 0
  const le = os.endianness() === "LE"
  const word = (offset: number) => (le ? header.readUInt32LE(offset) : header.readUInt32BE(offset))
  return Math.max(0, word(16) - word(96))
}

// Descriptors of `-shm` files, open until the process exits: closing any descriptor of a file
// drops every POSIX lock the process holds on it, SQLite's own among them. A file replaced since
// (a store deleted and created again) gets a descriptor of its own.
const shmDescriptors = new Map<string, number>()
const shmDescriptor = (file: string): number => {
  const kept = shmDescriptors.get(file)
  if (kept !== undefined && fs.fstatSync(kept).ino === fs.statSync(file).ino) return kept
  const fd = fs.openSync(file, "r")
  shmDescriptors.set(file, fd)
  return fd
}

const walSize = (file: string): number => {
  try {
    return fs.statSync(file).size
  } catch {
    return 0
  }
}

// Runs in the worker: its own connection to the file, a passive checkpoint per request (it never
// waits for the writer), closed on "close". Kept as plain JavaScript so bundling leaves it alone.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const Database = require(workerData.driver)
const db = new Database(workerData.filename, { fileMustExist: true })
db.pragma("busy_timeout = 5000")
db.pragma("synchronous = " + workerData.synchronous)
parentPort.on("message", (message) => {
  if (message === "close") {
    db.close()
    parentPort.close()
    return
  }
  try {
    db.pragma("wal_checkpoint(PASSIVE)")
    parentPort.postMessage({})
  } catch (error) {
    parentPort.postMessage({ error: String(error) })
  }
})
`

/** Options of {@link backgroundWalCheckpoints}. */
export interface WalCheckpointOptions {
  /** The database file (in WAL mode). */
  readonly filename: string
  /** The main connection's `synchronous`, which the checkpoint's syncs follow. */
  readonly synchronous: "NORMAL" | "FULL"
  /** Frames waiting in the WAL that start a checkpoint (default 4,000, 16 MB). */
  readonly pendingFrames?: number
  /** How often the WAL is looked at (default 100 ms). */
  readonly interval?: Duration.DurationInput
}

/**
 * Checkpoints the WAL of `filename` on a worker thread with its own
 * connection, for as long as the scope is open, so the thread that writes
 * never waits for a checkpoint.
 *
 * A checkpoint is mostly two `fsync`s (the WAL, then the database file) of
 * what it copies, 20–30 ms per 16 MB here: made by the writing connection
 * (SQLite's auto-checkpoint), it stalls the event loop, and a server's
 * every request with it. Here the event loop only looks at the WAL every
 * `interval` (its size until it first reaches `pendingFrames` pages, then
 * the wal-index header); the worker starts on the first checkpoint needed,
 * so short-lived processes never pay for it (its isolate is ~8 MB of RSS).
 * The writing connection keeps a higher auto-checkpoint as a backstop:
 * under continuous writes the WAL restarts from its beginning only after
 * a checkpoint by the writer itself (one that copies the little the worker
 * left), and if the worker fails, that connection checkpoints at that
 * backstop.
 *
 * Closing the scope closes the worker's connection first, so the writing
 * connection, closing last, checkpoints the rest and removes the WAL.
 *
 * @example
 * ```ts
 * const checkpoints = Layer.scopedDiscard(backgroundWalCheckpoints({ filename: "mlops.db", synchronous: "NORMAL" }))
 * ```
 */
export const backgroundWalCheckpoints = (options: WalCheckpointOptions): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const threshold = options.pendingFrames ?? 4000
    const driver = createRequire(import.meta.url).resolve("better-sqlite3")
    const filename = path.resolve(options.filename)
    const runtime = yield* Effect.runtime<never>()
    const header = Buffer.alloc(136)
    let shm: number | undefined
    let worker: Worker | undefined
    let checkpointing = false
    let stopped = false

    // The writing connection's auto-checkpoint takes over for good.
    const stop = (cause: unknown) => {
      stopped = true
      Runtime.runFork(runtime)(Effect.logWarning("WAL checkpoints are back on the writing connection", cause))
    }

    const start = (): Worker => {
      const started = new Worker(workerSource, {
        eval: true,
        workerData: { driver, filename, synchronous: options.synchronous }
      })
      started.on("message", (answer: { readonly error?: string }) => {
        checkpointing = false
        if (answer.error !== undefined)
          Runtime.runFork(runtime)(Effect.logWarning("WAL checkpoint failed", answer.error))
      })
      started.on("error", (error) => {
        worker = undefined
        stop(error)
      })
      // Never what keeps a program alive: closing the scope ends it.
      started.unref()
      return started
    }

    const look = () => {
      if (stopped || checkpointing) return
      if (shm === undefined) {
        if (walSize(`${filename}-wal`) < threshold * 4096) return
        shm = shmDescriptor(`${filename}-shm`)
      }
      if (pendingWalFrames(shm, header) < threshold) return
      worker ??= start()
      checkpointing = true
      worker.postMessage("checkpoint")
    }

    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const running = worker
        worker = undefined
        if (running === undefined) return
        const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()))
        running.postMessage("close")
        const timeout = setTimeout(() => void running.terminate(), 5000)
        await exited
        clearTimeout(timeout)
      })
    )
    // A timer of Node's rather than a fiber sleeping on Effect's clock: the WAL fills in real time,
    // and a test's TestClock moving an hour on must not run 36,000 looks.
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        setInterval(
          () => {
            try {
              look()
            } catch (error) {
              stop(error)
            }
          },
          Duration.toMillis(options.interval ?? Duration.millis(100))
        ).unref()
      ),
      (timer) => Effect.sync(() => clearInterval(timer))
    )
  })
