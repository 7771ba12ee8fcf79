import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, type Layer, Schema, Stream } from "effect"
import { ArtifactStore } from "../../../src/core/artifacts/ArtifactStore.js"
import { CurrentTenant, TenantId } from "../../../src/core/context.js"
import { Datasets } from "../../../src/core/data/Datasets.js"
import { logDatasetInput } from "../../../src/core/data/lineage.js"
import {
  DataSource,
  DatasetProfile,
  DatasetSchema,
  DatasetVersionRef,
  TransformStep,
  type DatasetVersion
} from "../../../src/core/data/model.js"
import { fitStandardizer, Transform } from "../../../src/core/data/transforms.js"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { DatasetContextTag } from "../../../src/core/tracking/model.js"
import { tempDir } from "../../support/sqlite.js"

/** Every service the suite touches: datasets, the store holding their bytes, and tracking for lineage. */
export type DatasetsTestServices = Datasets | ArtifactStore | ExperimentTracker | ModelRegistry

const encoder = new TextEncoder()

/** `text` as a byte stream cut every `chunkBytes` bytes, so parsers see records and characters split across chunks. */
export const bytesOf = (text: string, chunkBytes = Number.POSITIVE_INFINITY): Stream.Stream<Uint8Array> => {
  const all = encoder.encode(text)
  const chunks: Array<Uint8Array> = []
  for (let at = 0; at < all.length; at += Math.min(chunkBytes, all.length)) chunks.push(all.slice(at, at + chunkBytes))
  return Stream.fromIterable(chunks)
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex")

const csv = (text: string, chunkBytes?: number) => DataSource.bytes(bytesOf(text, chunkBytes), "csv")
const jsonl = (text: string, chunkBytes?: number) => DataSource.bytes(bytesOf(text, chunkBytes), "jsonl")

const customersCsv = [
  "id,age,city,active,joined",
  "1,34,Paris,true,2024-01-05",
  "2,,Lyon,false,2024-02-11",
  "3,41,Paris,TRUE,2024-03-01T10:00:00Z",
  '4,29,"Saint-Étienne, FR",false,',
  ""
].join("\n")

/** 100 rows: id 0..99, x = id, group a/b/c by id mod 3, score = id * 1.5 with every 10th missing. */
const numbersCsv = [
  "id,x,group,score",
  ...Array.from(
    { length: 100 },
    (_, i) => `${i},${i},${["a", "b", "c"][i % 3]},${i % 10 === 0 ? "" : String(i * 1.5)}`
  ),
  ""
].join("\n")

const populationStddev = (values: ReadonlyArray<number>): number => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
}

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) =>
  Effect.map(Stream.runCollect(stream), (chunk) => Chunk.toReadonlyArray(chunk))

const columnOf = (version: DatasetVersion, name: string) => {
  const column = version.profile?.columns.find((c) => c.name === name)
  assert.isDefined(column, `no profile for column ${name}`)
  return column!
}

/** Fails the test unless every version of `name` is still exactly `expected`, and no other bytes were stored. */
const assertUnchanged = (name: string, expected: ReadonlyArray<DatasetVersion>) =>
  Effect.gen(function* () {
    const datasets = yield* Datasets
    const artifacts = yield* ArtifactStore
    const versions = yield* Effect.either(datasets.listVersions(name))
    if (expected.length === 0) {
      assert.strictEqual(versions._tag === "Left" && versions.left._tag, "DatasetNotFound")
    } else {
      assert.deepStrictEqual(versions._tag === "Right" ? versions.right : versions.left, expected)
    }
    const stored = yield* artifacts.list(`datasets/${name}`)
    assert.deepStrictEqual(
      stored.map((entry) => entry.path),
      expected.map((v) => `datasets/${name}/v${v.version}`)
    )
  })

/**
 * The behaviour every Datasets implementation must have. Each test gets a
 * fresh `layer`, so stores never leak between tests.
 */
export const datasetsContract = <E>(name: string, layer: Layer.Layer<DatasetsTestServices, E>) => {
  const test = (title: string, body: Effect.Effect<void, unknown, DatasetsTestServices>) =>
    it.effect(title, () => body.pipe(Effect.provide(layer)))

  describe(`Datasets (${name})`, () => {
    describe("register", () => {
      test(
        "a CSV stream becomes version 1 with its digest, stored bytes, schema and profile",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const artifacts = yield* ArtifactStore
          const v1 = yield* datasets.register({ name: "customers", source: csv(customersCsv), context: "training" })
          assert.strictEqual(v1.version, 1)
          assert.strictEqual(v1.digest, sha256(customersCsv))
          assert.strictEqual(v1.context, "training")
          assert.deepStrictEqual(
            [v1.content?.path, v1.content?.format, v1.content?.sizeBytes],
            ["datasets/customers/v1/data.csv", "csv", encoder.encode(customersCsv).length]
          )
          assert.deepStrictEqual(
            yield* artifacts.getBytes("datasets/customers/v1/data.csv"),
            encoder.encode(customersCsv)
          )
          assert.deepStrictEqual(
            v1.schema?.columns.map((c) => [c.name, c.type, c.nullable]),
            [
              ["id", "integer", false],
              ["age", "integer", true],
              ["city", "string", false],
              ["active", "boolean", false],
              ["joined", "datetime", true]
            ]
          )
          assert.strictEqual(v1.profile?.rowCount, 4)
          assert.deepStrictEqual(yield* datasets.getVersion("customers", 1), v1)
        })
      )

      test(
        "numeric columns get exact moments and a histogram; strings get distinct counts and top values",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const v1 = yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const age = columnOf(v1, "age")
          assert.deepStrictEqual([age.count, age.nullCount, age.topValues], [3, 1, []])
          assert.strictEqual(age.numeric?.min, 29)
          assert.strictEqual(age.numeric?.max, 41)
          assert.closeTo(age.numeric!.mean, (34 + 41 + 29) / 3, 1e-12)
          assert.closeTo(age.numeric!.stddev, populationStddev([34, 41, 29]), 1e-12)
          const histogram = age.numeric!.histogram
          assert.strictEqual(
            histogram.reduce((sum, bin) => sum + bin.count, 0),
            3
          )
          for (const value of [29, 34, 41]) {
            const bin = histogram.find((b) => b.lower <= value && value < b.upper)
            assert.isAtLeast(bin?.count ?? 0, 1, `no bin holds ${value}`)
          }
          const city = columnOf(v1, "city")
          assert.strictEqual(city.numeric, null)
          assert.strictEqual(city.distinct.estimate, 3)
          assert.closeTo(city.distinct.relativeStandardError, 1.04 / 128, 1e-12)
          assert.deepStrictEqual(
            city.topValues.map((t) => [t.value, t.count, t.error]),
            [
              ["Paris", 2, 0],
              ["Lyon", 1, 0],
              ["Saint-Étienne, FR", 1, 0]
            ]
          )
          const active = columnOf(v1, "active")
          assert.deepStrictEqual(
            active.topValues.map((t) => [t.value, t.count]),
            [
              ["false", 2],
              ["true", 2]
            ]
          )
        })
      )

      test(
        "a JSONL stream: nested values, absent keys as nulls, order of first appearance",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const text = [
            '{"user":"ann","score":1.5,"tags":["a","b"]}',
            "",
            '{"score":2,"user":"bob","seen":"2024-05-01"}\r',
            '{"user":"cy","score":null,"tags":{"k":1}}',
            ""
          ].join("\n")
          const v1 = yield* datasets.register({ name: "events", source: jsonl(text) })
          assert.strictEqual(v1.content?.path, "datasets/events/v1/data.jsonl")
          assert.deepStrictEqual(
            v1.schema?.columns.map((c) => [c.name, c.type, c.nullable]),
            [
              ["user", "string", false],
              ["score", "number", true],
              ["tags", "json", true],
              ["seen", "datetime", true]
            ]
          )
          assert.strictEqual(v1.profile?.rowCount, 3)
          assert.deepStrictEqual(
            columnOf(v1, "tags").topValues.map((t) => t.value),
            ['["a","b"]', '{"k":1}']
          )
        })
      )

      test(
        "records and characters split across chunks give the same digest, schema and profile",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const text = `${customersCsv}5,52,"multi\nline ✓ café",true,2024-04-04\n`
          const whole = yield* datasets.register({ name: "whole", source: csv(text) })
          const pieces = yield* datasets.register({ name: "pieces", source: csv(text, 3) })
          assert.deepStrictEqual(
            [pieces.digest, pieces.schema, pieces.profile],
            [whole.digest, whole.schema, whole.profile]
          )
          assert.strictEqual(whole.profile?.rowCount, 5)
        })
      )

      test(
        "new content gets the next version; content already registered returns its version",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const v1 = yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const v2 = yield* datasets.register({ name: "customers", source: csv(`${customersCsv}5,1,Nice,false,\n`) })
          const again = yield* datasets.register({ name: "customers", source: csv(customersCsv, 5) })
          const v3 = yield* datasets.register({ name: "customers", source: csv(`${customersCsv}6,2,Nice,false,\n`) })
          assert.deepStrictEqual([v1.version, v2.version, again.version, v3.version], [1, 2, 1, 3])
          assert.deepStrictEqual(again, v1)
          yield* assertUnchanged("customers", [v1, v2, v3])
          assert.deepStrictEqual(yield* datasets.getLatestVersion("customers"), v3)
        })
      )

      test(
        "a file path: the format comes from the extension and the source is the absolute path",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const dir = yield* tempDir("effect-mlops-datasets")
          const file = path.join(dir, "customers.csv")
          fs.writeFileSync(file, customersCsv)
          const v1 = yield* datasets.register({ name: "customers", source: DataSource.file(file) })
          assert.deepStrictEqual(
            [v1.source, v1.sourceType, v1.digest, v1.profile?.rowCount],
            [file, "local", sha256(customersCsv), 4]
          )
          const ndjson = path.join(dir, "events.ndjson")
          fs.writeFileSync(ndjson, '{"a":1}\n')
          assert.strictEqual(
            (yield* datasets.register({ name: "events", source: DataSource.file(ndjson) })).content?.format,
            "jsonl"
          )
        }).pipe(Effect.scoped)
      )

      test(
        "an unknown extension without a format, or a bad name, is InvalidArgument naming the field",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const noFormat = yield* Effect.flip(
            datasets.register({ name: "x", source: DataSource.file("/tmp/data.parquet") })
          )
          assert.deepStrictEqual(
            [noFormat._tag, "field" in noFormat && noFormat.field],
            ["InvalidArgument", "source.format"]
          )
          for (const bad of ["", "../up", ".hidden", "a/b", "sp ace"]) {
            const error = yield* Effect.flip(datasets.register({ name: bad, source: csv(customersCsv) }))
            assert.deepStrictEqual([error._tag, "field" in error && error.field], ["InvalidArgument", "name"], bad)
          }
          yield* assertUnchanged("x", [])
        })
      )

      test(
        "a missing file fails with DatasetReadError and registers nothing",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const error = yield* Effect.flip(
            datasets.register({ name: "ghost", source: DataSource.file("/nonexistent/ghost.csv") })
          )
          assert.strictEqual(error._tag, "DatasetReadError")
          yield* assertUnchanged("ghost", [])
        })
      )

      test(
        "a header without rows is a dataset of 0 rows whose columns are all null",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const v1 = yield* datasets.register({ name: "empty", source: csv("a,b\n") })
          assert.strictEqual(v1.profile?.rowCount, 0)
          assert.deepStrictEqual(v1.profile?.columns, [])
        })
      )
    })

    describe("bad input", () => {
      const cases: ReadonlyArray<readonly [string, ReturnType<typeof csv>, number, RegExp]> = [
        ["an unclosed quote", csv('a,b\n1,2\n3,"open\n'), 3, /quote/i],
        [
          "a row with too many cells",
          csv("a,b\n1,2\n\n3,4,5\n6,7\n", 2),
          4,
          /expected 2 cells as in the header, got 3/
        ],
        ["a row with too few cells", csv('a,b\r\n1,"x\r\ny"\r\n3\r\n'), 4, /expected 2 cells as in the header, got 1/],
        ["a duplicate column name", csv("a,b,a\n1,2,3\n"), 1, /duplicate column name "a"/],
        ["a line that is not JSON", jsonl('{"a":1}\n\n{"a":\n', 4), 3, /invalid JSON/],
        ["a JSON line that is not an object", jsonl('{"a":1}\n[1,2]\n'), 2, /expected a JSON object, got an array/]
      ]
      for (const [label, source, line, reason] of cases) {
        test(
          `${label} fails with InvalidDatasetFile naming line ${line}, and leaves nothing behind`,
          Effect.gen(function* () {
            const datasets = yield* Datasets
            const v1 = yield* datasets.register({ name: "data", source: csv("a,b\n1,2\n") })
            const error = yield* Effect.flip(datasets.register({ name: "data", source }))
            assert.strictEqual(error._tag, "InvalidDatasetFile")
            if (error._tag !== "InvalidDatasetFile") return
            assert.strictEqual(error.line, line)
            assert.match(error.reason, reason)
            yield* assertUnchanged("data", [v1])
            // The failed attempt's number was given back.
            const v2 = yield* datasets.register({ name: "data", source: csv("a,b\n3,4\n") })
            assert.strictEqual(v2.version, 2)
          })
        )
      }

      test(
        "a failing input stream fails with its own error and registers nothing",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const broken = Stream.concat(bytesOf("a,b\n1,2\n"), Stream.fail("disk unplugged" as const))
          const error = yield* Effect.flip(
            datasets.register({ name: "broken", source: DataSource.bytes(broken, "csv") })
          )
          assert.strictEqual(error, "disk unplugged")
          yield* assertUnchanged("broken", [])
        })
      )
    })

    describe("metadata-only versions", () => {
      const reference = {
        name: "iris",
        digest: "abc123",
        source: '{"uri": "s3://bucket/iris.csv"}',
        sourceType: "s3",
        schema: '{"mlflow_colspec": [{"type": "double", "name": "sepal_length"}]}',
        profile: '{"num_rows": 150}',
        context: "training"
      }

      test(
        "are stored as given, without content, and deduplicated by digest",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const v1 = yield* datasets.registerMetadata(reference)
          assert.deepStrictEqual(
            [v1.version, v1.digest, v1.source, v1.sourceType, v1.context, v1.rawSchema, v1.rawProfile],
            [1, "abc123", reference.source, "s3", "training", reference.schema, reference.profile]
          )
          assert.deepStrictEqual([v1.content, v1.schema, v1.profile], [null, null, null])
          assert.deepStrictEqual(yield* datasets.registerMetadata(reference), v1)
          const v2 = yield* datasets.registerMetadata({
            name: "iris",
            digest: "def456",
            source: "x",
            sourceType: "http"
          })
          assert.deepStrictEqual([v2.version, v2.rawSchema, v2.context], [2, null, null])
          const v3 = yield* datasets.register({ name: "iris", source: csv("a\n1\n") })
          assert.strictEqual(v3.version, 3)
        })
      )

      test(
        "have no records to read; an empty digest is refused",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          yield* datasets.registerMetadata(reference)
          const error = yield* Effect.flip(collect(datasets.records(DataSource.version("iris", 1))))
          assert.deepStrictEqual([error._tag, "version" in error && error.version], ["DatasetHasNoContent", 1])
          const empty = yield* Effect.flip(datasets.registerMetadata({ ...reference, digest: "" }))
          assert.deepStrictEqual([empty._tag, "field" in empty && empty.field], ["InvalidArgument", "digest"])
        })
      )
    })

    describe("lookup", () => {
      test(
        "unknown names and versions fail with DatasetNotFound and DatasetVersionNotFound",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          assert.strictEqual((yield* Effect.flip(datasets.getVersion("nope", 1)))._tag, "DatasetNotFound")
          assert.strictEqual((yield* Effect.flip(datasets.getLatestVersion("nope")))._tag, "DatasetNotFound")
          assert.strictEqual((yield* Effect.flip(datasets.listVersions("nope")))._tag, "DatasetNotFound")
          assert.strictEqual((yield* Effect.flip(datasets.getLineage("nope", 1)))._tag, "DatasetNotFound")
          const missing = yield* Effect.flip(datasets.getVersion("customers", 2))
          assert.deepStrictEqual([missing._tag, "version" in missing && missing.version], ["DatasetVersionNotFound", 2])
        })
      )

      test(
        "listDatasets returns the names in order",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          for (const name of ["zeta", "alpha", "Mid"]) yield* datasets.register({ name, source: csv("a\n1\n") })
          assert.deepStrictEqual(yield* datasets.listDatasets(), ["Mid", "alpha", "zeta"])
        })
      )

      test(
        "tenants have separate names, numbers and storage",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const ours = yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const theirs = yield* datasets
            .register({ name: "customers", source: csv("a\n1\n") })
            .pipe(Effect.provideService(CurrentTenant, TenantId.make("acme")))
          assert.deepStrictEqual([ours.version, theirs.version], [1, 1])
          assert.strictEqual(theirs.content?.path, "tenants/acme/datasets/customers/v1/data.csv")
          assert.deepStrictEqual(yield* datasets.listVersions("customers"), [ours])
        })
      )
    })

    describe("records and validation", () => {
      const Row = Schema.Struct({
        id: Schema.Int,
        x: Schema.Number,
        group: Schema.Literal("a", "b"),
        score: Schema.Number
      })

      test(
        "records are read back typed from a registered version",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const records = yield* collect(datasets.records(DataSource.version("customers", 1)))
          assert.deepStrictEqual(records[1], { id: 2, age: null, city: "Lyon", active: false, joined: "2024-02-11" })
          assert.strictEqual(records.length, 4)
        })
      )

      test(
        "validate streams every invalid row with its line and all reasons, in order",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const issues = yield* collect(datasets.validate(csv(numbersCsv, 64), Row))
          // Rows 2, 5, 8, ... have group "c"; rows with id % 10 === 0 lack a score. Line = id + 2.
          const expected = Array.from({ length: 100 }, (_, id) => id).filter((id) => id % 3 === 2 || id % 10 === 0)
          assert.deepStrictEqual(
            issues.map((issue) => issue.line),
            expected.map((id) => id + 2)
          )
          const both = issues.find((issue) => issue.line === 20 + 2)
          assert.match(both!.reason, /group: .*"c"/)
          assert.match(both!.reason, /score: Expected number, actual null/)
        })
      )

      test(
        "validate on a registered version or a file reports the same issues",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          yield* datasets.register({ name: "numbers", source: csv(numbersCsv) })
          const dir = yield* tempDir("effect-mlops-validate")
          const file = path.join(dir, "numbers.csv")
          fs.writeFileSync(file, numbersCsv)
          const fromVersion = yield* collect(datasets.validate(DataSource.version("numbers", 1), Row))
          const fromFile = yield* collect(datasets.validate(DataSource.file(file), Row))
          assert.deepStrictEqual(fromFile, fromVersion)
          assert.strictEqual(fromFile.length, 40)
        }).pipe(Effect.scoped)
      )

      test(
        "validateSummary counts rows and keeps the first issues",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const summary = yield* datasets.validateSummary(csv(numbersCsv), Row, { maxIssues: 3 })
          assert.deepStrictEqual([summary.rows, summary.invalidRows], [100, 40])
          assert.deepStrictEqual(
            summary.issues.map((issue) => issue.line),
            [2, 4, 7]
          )
        })
      )

      test(
        "unparseable input fails validation with InvalidDatasetFile instead of being skipped",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const error = yield* Effect.flip(collect(datasets.validate(jsonl('{"id":1}\nnot json\n'), Row)))
          assert.deepStrictEqual([error._tag, "line" in error && error.line], ["InvalidDatasetFile", 2])
        })
      )
    })

    describe("derive", () => {
      test(
        "select, rename and fill produce a version recording its parent and the transform",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const v1 = yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const transform = Transform.select(["id", "age", "city"])
            .andThen(Transform.rename({ city: "town" }))
            .andThen(Transform.fillMissing({ age: 0 }))
          const clean = yield* datasets.derive({ name: "customers-clean", from: v1, transform })
          assert.deepStrictEqual(
            [clean.version, clean.sourceType, clean.source],
            [1, "transform", "datasets:/customers/1"]
          )
          assert.deepStrictEqual(clean.parents, [new DatasetVersionRef({ name: "customers", version: 1 })])
          assert.deepStrictEqual(
            clean.transform.map((step) => step.op),
            ["select", "rename", "fillMissing"]
          )
          assert.deepStrictEqual(JSON.parse(JSON.stringify(clean.transform)), [
            { op: "select", args: { columns: ["id", "age", "city"] } },
            { op: "rename", args: { mapping: { city: "town" } } },
            { op: "fillMissing", args: { values: { age: 0 } } }
          ])
          const records = yield* collect(datasets.records(DataSource.version("customers-clean", 1)))
          assert.deepStrictEqual(records, [
            { id: 1, age: 34, town: "Paris" },
            { id: 2, age: 0, town: "Lyon" },
            { id: 3, age: 41, town: "Paris" },
            { id: 4, age: 29, town: "Saint-Étienne, FR" }
          ])
          assert.deepStrictEqual(
            clean.schema?.columns.map((c) => [c.name, c.type, c.nullable]),
            [
              ["id", "integer", false],
              ["age", "integer", false],
              ["town", "string", false]
            ]
          )
          // The same derivation again yields the same bytes, hence the same version.
          assert.deepStrictEqual(yield* datasets.derive({ name: "customers-clean", from: v1, transform }), clean)
        })
      )

      test(
        "content derived elsewhere registers with derivedFrom, recording its parents and transform",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const steps = [new TransformStep({ op: "spark-job", args: { script: "clean.py" } })]
          const derived = yield* datasets.register({
            name: "customers-spark",
            source: csv("id,age\n1,34\n"),
            derivedFrom: { parents: [{ name: "customers", version: 1 }], transform: steps }
          })
          assert.deepStrictEqual(
            [derived.sourceType, derived.parents, derived.transform],
            ["transform", [new DatasetVersionRef({ name: "customers", version: 1 })], steps]
          )
          const lineage = yield* datasets.getLineage("customers-spark", 1)
          assert.deepStrictEqual(
            lineage.ancestors.map((a) => [a.name, a.version]),
            [["customers", 1]]
          )
        })
      )

      test(
        "derivedFrom naming a version that does not exist fails and registers nothing",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const error = yield* Effect.flip(
            datasets.register({
              name: "orphan",
              source: csv("id\n1\n"),
              derivedFrom: { parents: [{ name: "customers", version: 9 }], transform: [] }
            })
          )
          assert.strictEqual(error._tag, "DatasetVersionNotFound")
          assert.deepStrictEqual(
            (yield* datasets.listDatasets()).filter((name) => name === "orphan"),
            []
          )
        })
      )

      test(
        "a seeded split gives disjoint parts covering every row, reproducibly",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const v1 = yield* datasets.register({ name: "numbers", source: csv(numbersCsv) })
          const parts = Transform.split({ seed: 42, fractions: { train: 0.6, validation: 0.2, test: 0.2 } })
          const ids: Record<string, ReadonlyArray<unknown>> = {}
          for (const part of ["train", "validation", "test"] as const) {
            const version = yield* datasets.derive({ name: `numbers-${part}`, from: v1, transform: parts[part] })
            ids[part] = (yield* collect(datasets.records(DataSource.version(version.name, version.version)))).map(
              (r) => r.id
            )
          }
          const all = [...ids.train!, ...ids.validation!, ...ids.test!].map(Number).sort((a, b) => a - b)
          assert.deepStrictEqual(
            all,
            Array.from({ length: 100 }, (_, i) => i)
          )
          assert.isAbove(ids.train!.length, 40)
          assert.isAbove(ids.test!.length, 5)
          const again = yield* datasets.derive({ name: "numbers-train", from: v1, transform: parts.train })
          assert.strictEqual(again.version, 1)
          const reseeded = Transform.split({ seed: 7, fractions: { train: 0.6, validation: 0.2, test: 0.2 } })
          const other = yield* datasets.derive({ name: "numbers-train", from: v1, transform: reseeded.train })
          assert.strictEqual(other.version, 2)
        })
      )

      test(
        "standardisation fitted on the training split is applied unchanged to the test split",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const v1 = yield* datasets.register({ name: "numbers", source: csv(numbersCsv) })
          const { test: testPart, train } = Transform.split({ seed: 1, fractions: { train: 0.7, test: 0.3 } })
          const trainVersion = yield* datasets.derive({ name: "train", from: v1, transform: train })
          const trainSource = DataSource.version("train", trainVersion.version)
          const scaler = yield* fitStandardizer(datasets.records(trainSource), ["x"], { fittedOn: trainVersion })
          const trainX = (yield* collect(datasets.records(trainSource))).map((r) => r.x as number)
          assert.closeTo(scaler.columns.x!.mean, trainX.reduce((a, b) => a + b, 0) / trainX.length, 1e-9)
          assert.closeTo(scaler.columns.x!.stddev, populationStddev(trainX), 1e-9)

          const scaled = yield* datasets.derive({
            name: "train-scaled",
            from: trainVersion,
            transform: Transform.standardize(scaler)
          })
          const x = columnOf(scaled, "x").numeric!
          assert.closeTo(x.mean, 0, 1e-9)
          assert.closeTo(x.stddev, 1, 1e-9)

          const testScaled = yield* datasets.derive({
            name: "test-scaled",
            from: v1,
            transform: testPart.andThen(Transform.standardize(scaler))
          })
          const records = yield* collect(datasets.records(DataSource.version("test-scaled", testScaled.version)))
          assert.isAbove(records.length, 0)
          // x equals id in the raw data, so each scaled x can be checked against its id.
          for (const record of records) {
            assert.closeTo(
              record.x as number,
              ((record.id as number) - scaler.columns.x!.mean) / scaler.columns.x!.stddev,
              1e-9
            )
          }
          const step = testScaled.transform.at(-1)!
          assert.strictEqual(step.op, "standardize")
          assert.deepInclude(step.args as object, { fittedOn: { name: "train", version: 1 } })
        })
      )

      test(
        "several parents are read in order and all recorded",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const a = yield* datasets.register({ name: "part-a", source: csv("k,v\n1,x\n") })
          const b = yield* datasets.register({ name: "part-b", source: jsonl('{"k":2,"v":"y"}\n') })
          const both = yield* datasets.derive({ name: "joined", from: [a, b], transform: Transform.sequence() })
          assert.deepStrictEqual(
            both.parents.map((p) => [p.name, p.version]),
            [
              ["part-a", 1],
              ["part-b", 1]
            ]
          )
          assert.strictEqual(both.content?.format, "csv")
          assert.deepStrictEqual(yield* collect(datasets.records(DataSource.version("joined", 1))), [
            { k: 1, v: "x" },
            { k: 2, v: "y" }
          ])
        })
      )

      test(
        "a failing transform or an unusable parent registers nothing",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const v1 = yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const scaler = yield* fitStandardizer(datasets.records(DataSource.version("customers", 1)), ["age"])
          const notNumeric = Transform.rename({ city: "age", age: "city" }).andThen(Transform.standardize(scaler))
          const failed = yield* Effect.flip(datasets.derive({ name: "out", from: v1, transform: notNumeric }))
          assert.deepStrictEqual([failed._tag, "row" in failed && failed.row], ["TransformFailed", 0])
          const badSplit = Transform.split({ seed: 1, fractions: { a: 0.5, b: 0.4 } }).a
          const invalid = yield* Effect.flip(datasets.derive({ name: "out", from: v1, transform: badSplit }))
          assert.deepStrictEqual(
            [invalid._tag, "field" in invalid && invalid.field],
            ["InvalidArgument", "split.fractions"]
          )
          yield* datasets.registerMetadata({ name: "remote", digest: "d", source: "s", sourceType: "s3" })
          const noContent = yield* Effect.flip(
            datasets.derive({ name: "out", from: { name: "remote", version: 1 }, transform: Transform.sequence() })
          )
          assert.strictEqual(noContent._tag, "DatasetHasNoContent")
          const missing = yield* Effect.flip(
            datasets.derive({ name: "out", from: { name: "customers", version: 9 }, transform: Transform.sequence() })
          )
          assert.strictEqual(missing._tag, "DatasetVersionNotFound")
          yield* assertUnchanged("out", [])
        })
      )
    })

    describe("lineage", () => {
      test(
        "getLineage lists every ancestor once, nearest first, with its transform",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const raw = yield* datasets.register({ name: "raw", source: csv(numbersCsv) })
          const left = yield* datasets.derive({ name: "left", from: raw, transform: Transform.select(["id", "x"]) })
          const right = yield* datasets.derive({
            name: "right",
            from: raw,
            transform: Transform.select(["id", "group"])
          })
          const merged = yield* datasets.derive({
            name: "merged",
            from: [left, right],
            transform: Transform.fillMissing({ x: 0, group: "none" }),
            format: "jsonl"
          })
          const lineage = yield* datasets.getLineage("merged", merged.version)
          assert.deepStrictEqual(lineage.version, merged)
          assert.deepStrictEqual(
            lineage.ancestors.map((v) => v.name),
            ["left", "right", "raw"]
          )
          assert.deepStrictEqual(lineage.ancestors[0]?.transform[0]?.op, "select")
          assert.deepStrictEqual((yield* datasets.getLineage("raw", 1)).ancestors, [])
        })
      )

      test(
        "a dataset logged as a run input reaches the run and the model version's lineage with its profile",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const tracker = yield* ExperimentTracker
          const registry = yield* ModelRegistry
          const v1 = yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const experiment = yield* tracker.createExperiment({ name: "churn" })
          const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
          yield* logDatasetInput(run.info.runId, v1, { context: "training" })
          yield* registry.createRegisteredModel({ name: "churn-model" })
          const model = yield* registry.createModelVersion({
            name: "churn-model",
            source: "models:/churn",
            runId: run.info.runId
          })
          const lineage = yield* registry.getLineage("churn-model", model.version)
          assert.strictEqual(lineage.inputs.length, 1)
          const input = lineage.inputs[0]!
          assert.deepStrictEqual(
            [input.dataset.name, input.dataset.digest, input.dataset.source, input.dataset.sourceType],
            ["customers", v1.digest, "stream", "stream"]
          )
          assert.deepStrictEqual(
            input.tags.map((t) => [t.key, t.value]),
            [[DatasetContextTag, "training"]]
          )
          const profile = Schema.decodeUnknownSync(Schema.parseJson(DatasetProfile))(input.dataset.profile)
          assert.deepStrictEqual(profile, v1.profile)
          const schema = Schema.decodeUnknownSync(Schema.parseJson(DatasetSchema))(input.dataset.schema)
          assert.deepStrictEqual(schema, v1.schema)
          // MLflow clients read these keys.
          assert.deepInclude(JSON.parse(input.dataset.profile!), { num_rows: 4, num_elements: 20 })
          assert.deepInclude(JSON.parse(input.dataset.schema!).mlflow_colspec[0], { name: "id", type: "long" })
        })
      )

      test(
        "logging an unknown version fails with DatasetVersionNotFound and logs nothing",
        Effect.gen(function* () {
          const datasets = yield* Datasets
          const tracker = yield* ExperimentTracker
          yield* datasets.register({ name: "customers", source: csv(customersCsv) })
          const experiment = yield* tracker.createExperiment({ name: "churn" })
          const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
          const error = yield* Effect.flip(logDatasetInput(run.info.runId, { name: "customers", version: 2 }))
          assert.strictEqual(error._tag, "DatasetVersionNotFound")
          assert.deepStrictEqual((yield* tracker.getRun(run.info.runId)).inputs, [])
        })
      )
    })
  })
}
