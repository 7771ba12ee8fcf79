import * as fs from "node:fs"
import * as path from "node:path"
import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Ref } from "effect"
import * as tar from "tar"
import { makeSqliteLayer } from "../../layers/Sql.js"
import { ArtifactStore } from "../../src/core/artifacts/ArtifactStore.js"
import { runArtifactPath } from "../../src/core/artifacts/path.js"
import { ModelRegistry } from "../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { ModelVersionNumber } from "../../src/core/registry/model.js"
import { tempDir } from "../support/sqlite.js"
import { cli, cliOk, withStore } from "./harness.js"

const seed = (data: string) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const registry = yield* ModelRegistry
    const artifacts = yield* ArtifactStore
    const experiment = yield* tracker.createExperiment({ name: "portable" })
    for (const name of ["a", "b"]) {
      const run = yield* tracker.createRun({ experimentId: experiment.experimentId, runName: name })
      yield* tracker.logBatch(run.info.runId, {
        metrics: [
          { key: "acc", value: name === "a" ? 0.5 : Number.NaN, step: 1 },
          { key: "loss", value: Number.POSITIVE_INFINITY, step: 2 }
        ],
        params: [{ key: "lr", value: "0.1" }]
      })
      // Binary content with every byte value, and a larger file spanning several chunks.
      yield* artifacts.putBytes(
        runArtifactPath(experiment.experimentId, run.info.runId, "bytes.bin"),
        Uint8Array.from({ length: 256 }, (_, i) => i)
      )
      yield* artifacts.putBytes(
        runArtifactPath(experiment.experimentId, run.info.runId, "model/weights.bin"),
        new Uint8Array(3 * 1024 * 1024).fill(name.charCodeAt(0))
      )
      yield* registry.createRegisteredModel({ name: `model-${name}` })
      yield* registry.createModelVersion({
        name: `model-${name}`,
        source: "mlflow-artifacts:/x",
        runId: run.info.runId
      })
      yield* registry.setAlias(`model-${name}`, "champion", ModelVersionNumber.make("1"))
    }
    return experiment.experimentId
  }).pipe(withStore(data))

/** Every file under `root` with its bytes, by relative path. */
const readTree = (root: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) visit(full)
      else out[path.relative(root, full)] = fs.readFileSync(full).toString("base64")
    }
  }
  if (fs.existsSync(root)) visit(root)
  return out
}

// What a user sees of a store through the CLI: experiments, runs, models.
const snapshotViaCli = (data: string, experimentId: string) =>
  Effect.gen(function* () {
    const experiments = (yield* cliOk("experiments", "list", "--data", data, "--view", "all", "--json")).stdout
    const runs = (yield* cliOk(
      "runs",
      "list",
      "--data",
      data,
      "-e",
      experimentId,
      "--view",
      "all",
      "--order-by",
      "attributes.run_name",
      "--json"
    )).stdout
    const models = (yield* cliOk("models", "list", "--data", data, "--json")).stdout
    const modelA = (yield* cliOk("models", "show", "model-a", "--data", data, "--json")).stdout
    return { experiments, runs, models, modelA }
  })

/** Rewrites the archive at `archive` after `edit` changed its extracted content (the manifest stays as it was). */
const tamper = (archive: string, workDir: string, edit: (dir: string) => void) =>
  Effect.promise(async () => {
    const dir = path.join(workDir, "tamper")
    fs.mkdirSync(dir)
    await tar.x({ file: archive, cwd: dir })
    edit(dir)
    const entries = fs.readdirSync(dir)
    await tar.c({ gzip: true, file: archive, cwd: dir, portable: true }, entries)
  })

describe("effect-mlops export and import", () => {
  it.scopedLive("an import of an export restores identical data and artifact bytes", () =>
    Effect.gen(function* () {
      const root = yield* tempDir("effect-mlops-cli-transfer")
      const source = path.join(root, "source")
      const restored = path.join(root, "restored")
      const archive = path.join(root, "backup.tar.gz")
      const experimentId = yield* seed(source)

      const exported = JSON.parse((yield* cliOk("export", "--data", source, "--out", archive, "--json")).stdout) as {
        files: number
      }
      assert.isAbove(exported.files, 8)
      const imported = yield* cliOk("import", "--data", restored, "--from", archive)
      assert.match(imported.stdout, /^imported \d+ files/)

      assert.deepStrictEqual(yield* snapshotViaCli(restored, experimentId), yield* snapshotViaCli(source, experimentId))
      const sourceFiles = readTree(path.join(source, "artifacts", "files"))
      assert.isAbove(Object.keys(sourceFiles).length, 3)
      assert.deepStrictEqual(readTree(path.join(restored, "artifacts", "files")), sourceFiles)
      assert.deepStrictEqual(
        readTree(path.join(restored, "artifacts", "meta")),
        readTree(path.join(source, "artifacts", "meta"))
      )
      // The export left nothing behind in the data directory.
      assert.deepStrictEqual(
        fs.readdirSync(source).filter((name) => name.startsWith(".export-")),
        []
      )
    })
  )

  it.scopedLive("a tampered archive is refused with exit 1 and nothing is written into the target", () =>
    Effect.gen(function* () {
      const root = yield* tempDir("effect-mlops-cli-transfer")
      const source = path.join(root, "source")
      const target = path.join(root, "target")
      const archive = path.join(root, "backup.tar.gz")
      yield* seed(source)
      yield* cliOk("export", "--data", source, "--out", archive)
      yield* tamper(archive, root, (dir) => {
        const [file] = Object.keys(readTree(path.join(dir, "artifacts", "files")))
        const full = path.join(dir, "artifacts", "files", file ?? "")
        const bytes = fs.readFileSync(full)
        bytes[0] = (bytes[0] ?? 0) ^ 0xff
        fs.writeFileSync(full, bytes)
      })

      const result = yield* cli("import", "--data", target, "--from", archive)
      assert.strictEqual(result.code, 1)
      assert.match(result.stderr, /has SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}; nothing was imported/)
      assert.isFalse(fs.existsSync(target))
      // Nor is a staging directory left next to it.
      assert.deepStrictEqual(fs.readdirSync(root).sort(), ["backup.tar.gz", "source", "tamper"])
    })
  )

  it.scopedLive("a truncated archive, an extra file and a non-empty target are refused", () =>
    Effect.gen(function* () {
      const root = yield* tempDir("effect-mlops-cli-transfer")
      const source = path.join(root, "source")
      const archive = path.join(root, "backup.tar.gz")
      yield* seed(source)
      yield* cliOk("export", "--data", source, "--out", archive)

      const truncated = path.join(root, "truncated.tar.gz")
      const bytes = fs.readFileSync(archive)
      fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)))
      const cut = yield* cli("import", "--data", path.join(root, "t1"), "--from", truncated)
      assert.strictEqual(cut.code, 1)
      assert.isFalse(fs.existsSync(path.join(root, "t1")))

      const nonEmpty = yield* cli("import", "--data", source, "--from", archive)
      assert.strictEqual(nonEmpty.code, 1)
      assert.include(nonEmpty.stderr, "is not empty; pass --force")

      yield* tamper(archive, root, (dir) => fs.writeFileSync(path.join(dir, "artifacts", "smuggled.txt"), "x"))
      const extra = yield* cli("import", "--data", path.join(root, "t2"), "--from", archive)
      assert.strictEqual(extra.code, 1)
      assert.include(extra.stderr, "artifacts/smuggled.txt is not listed in the manifest")
      assert.isFalse(fs.existsSync(path.join(root, "t2")))
    })
  )

  it.scopedLive("--force replaces the store of a non-empty target", () =>
    Effect.gen(function* () {
      const root = yield* tempDir("effect-mlops-cli-transfer")
      const source = path.join(root, "source")
      const other = path.join(root, "other")
      const archive = path.join(root, "backup.tar.gz")
      const experimentId = yield* seed(source)
      yield* cliOk("experiments", "create", "only-in-other", "--data", other)
      yield* cliOk("export", "--data", source, "--out", archive)
      yield* cliOk("import", "--data", other, "--from", archive, "--force")
      assert.deepStrictEqual(yield* snapshotViaCli(other, experimentId), yield* snapshotViaCli(source, experimentId))
    })
  )

  it.scopedLive("an export taken while another fiber keeps writing is a consistent snapshot", () =>
    Effect.gen(function* () {
      const root = yield* tempDir("effect-mlops-cli-transfer")
      const source = path.join(root, "source")
      const restored = path.join(root, "restored")
      const archive = path.join(root, "busy.tar.gz")
      const batchSize = 100
      const { runId, experimentId } = yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const experiment = yield* tracker.createExperiment({ name: "busy" })
        const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
        return { runId: run.info.runId, experimentId: experiment.experimentId }
      }).pipe(withStore(source))

      // The writer, until interrupted: an artifact, then a batch of 100 points that refers to it.
      const batches = yield* Ref.make(0)
      const warmedUp = yield* Deferred.make<void>()
      const writer = yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const artifacts = yield* ArtifactStore
        for (let batch = 0; ; batch++) {
          yield* artifacts.putBytes(runArtifactPath(experimentId, runId, `batch-${batch}.txt`), `batch ${batch}`)
          yield* tracker.logBatch(runId, {
            metrics: Array.from({ length: batchSize }, (_, i) => ({
              key: "loss",
              value: batch + i / batchSize,
              step: batch * batchSize + i
            }))
          })
          if ((yield* Ref.updateAndGet(batches, (n) => n + 1)) === 3) yield* Deferred.succeed(warmedUp, undefined)
        }
      }).pipe(withStore(source), Effect.fork)

      yield* Deferred.await(warmedUp)
      yield* cliOk("export", "--data", source, "--out", archive)
      const writtenByThen = yield* Ref.get(batches)
      yield* Fiber.interrupt(writer)

      yield* cliOk("import", "--data", restored, "--from", archive)
      const stats = yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const [integrity] = yield* sql<{ readonly integrityCheck: string }>`PRAGMA integrity_check`
        const [points] = yield* sql<{ readonly count: number; readonly maxStep: number }>`SELECT SUM(count) AS count,
          MAX(max_step) AS max_step FROM metric_chunks WHERE run_id = ${runId}`
        const [latest] = yield* sql<{ readonly step: number }>`SELECT step FROM latest_metrics WHERE run_id = ${runId}`
        return { integrity: integrity?.integrityCheck, points, latest }
      }).pipe(Effect.provide(makeSqliteLayer({ filename: path.join(restored, "mlops.db") })))

      assert.strictEqual(stats.integrity, "ok")
      const count = stats.points?.count ?? 0
      // Whole batches only, at least those written before the export began, at most those written by its end.
      assert.strictEqual(count % batchSize, 0)
      assert.isAtLeast(count, 3 * batchSize)
      assert.isAtMost(count, (writtenByThen + 1) * batchSize)
      assert.strictEqual(stats.latest?.step, stats.points?.maxStep)
      // The database is snapshotted before the artifacts: every batch in it has its artifact, with its bytes.
      const files = readTree(path.join(restored, "artifacts", "files", experimentId, runId, "artifacts"))
      for (let batch = 0; batch < count / batchSize; batch++) {
        const file = files[`batch-${batch}.txt`]
        assert.isDefined(file, `batch-${batch}.txt`)
        assert.strictEqual(Buffer.from(file ?? "", "base64").toString(), `batch ${batch}`)
      }
    })
  )
})
