import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { TransferFailed } from "../errors.js"

/** Wraps a Node promise as an Effect failing with {@link TransferFailed}. */
export const attempt = <A>(operation: string, file: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new TransferFailed({ operation, path: file, cause }) })

/** Whether `file` exists (any type). */
export const exists = (file: string) =>
  attempt("inspect", file, () =>
    fs.lstat(file).then(
      () => true,
      (error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? false : Promise.reject(error))
    )
  )

/** A regular file under a directory, by its `/`-separated path relative to that directory. */
export interface FoundFile {
  readonly path: string
  readonly size: number
}

/**
 * Every entry under `root` (missing root: none), depth first, sorted by
 * name so archives are reproducible. Anything but regular files and
 * directories (symlinks, sockets) is reported in `others`.
 */
export const walk = (root: string) =>
  attempt("list", root, async () => {
    const files: Array<FoundFile> = []
    const others: Array<string> = []
    const visit = async (relative: string): Promise<void> => {
      const entries = await fs.readdir(path.join(root, relative), { withFileTypes: true })
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      for (const entry of entries) {
        const child = relative === "" ? entry.name : `${relative}/${entry.name}`
        if (entry.isDirectory()) await visit(child)
        else if (entry.isFile()) files.push({ path: child, size: (await fs.stat(path.join(root, child))).size })
        else others.push(child)
      }
    }
    try {
      await visit("")
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
    }
    return { files, others }
  })

/** SHA-256 (hex) and size of a file, read as a stream; `onBytes` sees every chunk's length. */
export const hashFile = (file: string, onBytes: (bytes: number) => void = () => {}) =>
  attempt(
    "read",
    file,
    () =>
      new Promise<{ readonly size: number; readonly sha256: string }>((resolve, reject) => {
        const hash = createHash("sha256")
        let size = 0
        createReadStream(file, { highWaterMark: 1024 * 1024 })
          .on("data", (chunk) => {
            const bytes = chunk as Buffer
            hash.update(bytes)
            size += bytes.length
            onBytes(bytes.length)
          })
          .on("error", reject)
          .on("end", () => resolve({ size, sha256: hash.digest("hex") }))
      })
  )

/** A fresh directory next to `near` (same file system, so renames and hard links work), removed with the scope. */
export const scopedStagingDirectory = (near: string, prefix: string) =>
  Effect.acquireRelease(
    attempt("create a staging directory in", near, async () => {
      await fs.mkdir(near, { recursive: true })
      return fs.mkdtemp(path.join(near, prefix))
    }),
    (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
  )
