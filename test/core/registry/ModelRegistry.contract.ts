import { assert, describe, it } from "@effect/vitest"
import { Effect, type Layer, TestClock } from "effect"
import { CurrentPrincipal, CurrentTenant, Principal, TenantId } from "../../../src/core/context.js"
import type { Forbidden, InvalidArgument, InvalidPageToken, LimitExceeded } from "../../../src/core/errors.js"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import {
  type CreateModelVersion,
  ModelVersionNumber,
  type ModelVersionStatus
} from "../../../src/core/registry/model.js"
import type { InvalidFilter } from "../../../src/core/tracking/errors.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { DatasetContextTag, DatasetInput, DatasetRef, RunId, Tag } from "../../../src/core/tracking/model.js"

const v = (n: number): ModelVersionNumber => ModelVersionNumber.make(String(n))

const as = (id: string) => Effect.provideService(CurrentPrincipal, new Principal({ id }))

const unknownRunId = RunId.make("0000000000000000000000000000dead")

/** A model with `count` versions registered without a run. */
const seed = (name: string, count = 0, version: Partial<CreateModelVersion> = {}) =>
  Effect.gen(function* () {
    const registry = yield* ModelRegistry
    yield* registry.createRegisteredModel({ name })
    for (let i = 0; i < count; i++) {
      yield* registry.createModelVersion({ name, source: `s3://models/${name}/${i + 1}`, ...version })
    }
  })

/** Everything stored about a model, to prove a failed call changed nothing. */
const snapshot = (name: string) =>
  Effect.gen(function* () {
    const registry = yield* ModelRegistry
    return {
      model: yield* registry.getRegisteredModel(name),
      versions: yield* registry.searchModelVersions({ filter: `name = '${name}'` }),
      history: yield* registry.getAliasHistory(name)
    }
  })

/** Runs `failing`, checks its error tag (and field when given), and that the model's data is unchanged. */
const failsUnchanged = <A, E extends { readonly _tag: string }, R>(
  name: string,
  failing: Effect.Effect<A, E, R>,
  expected: { readonly _tag: string; readonly field?: string }
) =>
  Effect.gen(function* () {
    const before = yield* snapshot(name)
    const error = yield* Effect.flip(failing)
    assert.strictEqual(error._tag, expected._tag)
    if (expected.field !== undefined) assert.strictEqual((error as unknown as { field: string }).field, expected.field)
    assert.deepStrictEqual(yield* snapshot(name), before)
  })

const versionNumbers = (versions: ReadonlyArray<{ readonly name: string; readonly version: string }>) =>
  versions.map((mv) => `${mv.name}/${mv.version}`)

/**
 * The behaviour every ModelRegistry implementation must have. Each test gets
 * a fresh `layer` (with the ExperimentTracker it uses), so stores never leak
 * between tests.
 */
export const modelRegistryContract = <E>(name: string, layer: Layer.Layer<ModelRegistry | ExperimentTracker, E>) => {
  const test = (title: string, body: Effect.Effect<void, unknown, ModelRegistry | ExperimentTracker>) =>
    it.effect(title, () => body.pipe(Effect.provide(layer)))

  describe(`ModelRegistry (${name})`, () => {
    describe("registered models", () => {
      test(
        "create then get returns the description and tags",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* TestClock.adjust(1000)
          const created = yield* registry.createRegisteredModel({
            name: "churn",
            description: "predicts churn",
            tags: [
              { key: "team", value: "growth" },
              { key: "domain", value: "crm" }
            ]
          })
          assert.strictEqual(created.name, "churn")
          assert.strictEqual(created.description, "predicts churn")
          assert.strictEqual(created.creationTimestamp, 1000)
          assert.strictEqual(created.lastUpdatedTimestamp, 1000)
          assert.deepStrictEqual(created.tags, [
            new Tag({ key: "domain", value: "crm" }),
            new Tag({ key: "team", value: "growth" })
          ])
          assert.deepStrictEqual(created.aliases, [])
          assert.deepStrictEqual(yield* registry.getRegisteredModel("churn"), created)
        })
      )

      test(
        "a duplicate name fails with RegisteredModelAlreadyExists",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* registry.createRegisteredModel({ name: "churn", description: "first" })
          yield* failsUnchanged("churn", registry.createRegisteredModel({ name: "churn", description: "second" }), {
            _tag: "RegisteredModelAlreadyExists"
          })
        })
      )

      test(
        "an unknown name fails with RegisteredModelNotFound",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          const error = yield* Effect.flip(registry.getRegisteredModel("missing"))
          assert.strictEqual(error._tag, "RegisteredModelNotFound")
          assert.strictEqual(error.name, "missing")
        })
      )

      test(
        "invalid names and tags are rejected with the field and store nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          const empty = yield* Effect.flip(registry.createRegisteredModel({ name: "  " }))
          assert.deepInclude(empty, { _tag: "InvalidArgument", field: "name" })
          const long = yield* Effect.flip(registry.createRegisteredModel({ name: "m".repeat(251) }))
          assert.deepInclude(long, { _tag: "LimitExceeded", field: "name" })
          const badTag = yield* Effect.flip(
            registry.createRegisteredModel({
              name: "ok",
              tags: [
                { key: "fine", value: "" },
                { key: "../up", value: "x" }
              ]
            })
          )
          assert.deepInclude(badTag, { _tag: "InvalidArgument", field: "tags[1].key" })
          const page = yield* registry.searchRegisteredModels()
          assert.deepStrictEqual(page.items, [])
        })
      )

      test(
        "rename moves the model and its versions to the new name",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("old", 1)
          yield* TestClock.adjust(500)
          const renamed = yield* registry.renameRegisteredModel("old", "new")
          assert.strictEqual(renamed.name, "new")
          assert.strictEqual(renamed.lastUpdatedTimestamp, 500)
          assert.strictEqual((yield* Effect.flip(registry.getRegisteredModel("old")))._tag, "RegisteredModelNotFound")
          const version = yield* registry.getModelVersion("new", v(1))
          assert.strictEqual(version.name, "new")
        })
      )

      test(
        "rename onto an existing name or to an empty name fails and changes nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("a", 1)
          yield* seed("b")
          yield* failsUnchanged("a", registry.renameRegisteredModel("a", "b"), { _tag: "RegisteredModelAlreadyExists" })
          yield* failsUnchanged("a", registry.renameRegisteredModel("a", ""), {
            _tag: "InvalidArgument",
            field: "newName"
          })
          const missing = yield* Effect.flip(registry.renameRegisteredModel("nope", "c"))
          assert.strictEqual(missing._tag, "RegisteredModelNotFound")
        })
      )

      test(
        "updateRegisteredModel sets the description and the update time",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn")
          yield* TestClock.adjust(2000)
          const updated = yield* registry.updateRegisteredModel("churn", { description: "v2 of the churn model" })
          assert.strictEqual(updated.description, "v2 of the churn model")
          assert.strictEqual(updated.creationTimestamp, 0)
          assert.strictEqual(updated.lastUpdatedTimestamp, 2000)
          assert.deepStrictEqual(yield* registry.getRegisteredModel("churn"), updated)
        })
      )

      test(
        "model tags are set, overwritten and deleted; a bad key changes nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn")
          yield* registry.setRegisteredModelTag("churn", "team", "growth")
          yield* registry.setRegisteredModelTag("churn", "team", "retention")
          yield* registry.setRegisteredModelTag("churn", "owner", "alice")
          assert.deepStrictEqual((yield* registry.getRegisteredModel("churn")).tags, [
            new Tag({ key: "owner", value: "alice" }),
            new Tag({ key: "team", value: "retention" })
          ])
          yield* registry.deleteRegisteredModelTag("churn", "owner")
          assert.deepStrictEqual((yield* registry.getRegisteredModel("churn")).tags, [
            new Tag({ key: "team", value: "retention" })
          ])
          yield* failsUnchanged("churn", registry.setRegisteredModelTag("churn", "/abs", "x"), {
            _tag: "InvalidArgument",
            field: "key"
          })
          yield* failsUnchanged("churn", registry.setRegisteredModelTag("churn", "big", "x".repeat(64 * 1024 + 1)), {
            _tag: "LimitExceeded",
            field: "value"
          })
        })
      )

      test(
        "delete removes the model and its versions; the name can be registered again from version 1",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 2)
          yield* registry.setAlias("churn", "champion", v(2))
          yield* registry.setModelVersionTag("churn", v(1), "k", "v")
          yield* registry.deleteRegisteredModel("churn")
          assert.strictEqual((yield* Effect.flip(registry.getRegisteredModel("churn")))._tag, "RegisteredModelNotFound")
          assert.deepStrictEqual((yield* registry.searchModelVersions()).items, [])
          assert.strictEqual(
            (yield* Effect.flip(registry.deleteRegisteredModel("churn")))._tag,
            "RegisteredModelNotFound"
          )
          yield* registry.createRegisteredModel({ name: "churn" })
          const first = yield* registry.createModelVersion({ name: "churn", source: "s3://again" })
          assert.strictEqual(first.version, "1")
          assert.deepStrictEqual(yield* registry.getAliasHistory("churn"), [])
        })
      )
    })

    describe("model versions", () => {
      test(
        "versions are numbered 1, 2, 3 per model with MLflow's defaults",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("a")
          yield* seed("b")
          const numbers: Array<string> = []
          for (const model of ["a", "a", "b", "a"]) {
            numbers.push((yield* registry.createModelVersion({ name: model, source: "s3://m" })).version)
          }
          assert.deepStrictEqual(numbers, ["1", "2", "1", "3"])
          const version = yield* registry.getModelVersion("a", v(2)).pipe(as("alice"))
          assert.strictEqual(version.currentStage, "None")
          assert.strictEqual(version.status, "READY")
          assert.strictEqual(version.statusMessage, "")
          assert.strictEqual(version.description, "")
          assert.strictEqual(version.runLink, "")
          assert.strictEqual(version.runId, null)
          assert.deepStrictEqual(version.tags, [])
          assert.deepStrictEqual(version.aliases, [])
        })
      )

      test(
        "the creator is recorded as userId and the version keeps its inputs",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          const tracker = yield* ExperimentTracker
          const experiment = yield* tracker.createExperiment({ name: "exp" })
          const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
          yield* seed("churn")
          yield* TestClock.adjust(42)
          const created = yield* registry
            .createModelVersion({
              name: "churn",
              source: "runs:/x/model",
              runId: run.info.runId,
              description: "first",
              runLink: "http://runs/1",
              status: "PENDING_REGISTRATION",
              tags: [{ key: "validated", value: "true" }]
            })
            .pipe(as("alice"))
          assert.strictEqual(created.userId, "alice")
          assert.strictEqual(created.runId, run.info.runId)
          assert.strictEqual(created.status, "PENDING_REGISTRATION")
          assert.strictEqual(created.creationTimestamp, 42)
          assert.deepStrictEqual(created.tags, [new Tag({ key: "validated", value: "true" })])
          assert.deepStrictEqual(yield* registry.getModelVersion("churn", v(1)), created)
          assert.strictEqual((yield* registry.getRegisteredModel("churn")).lastUpdatedTimestamp, 42)
        })
      )

      test(
        "numbers are never reused after a delete",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 2)
          yield* registry.deleteModelVersion("churn", v(2))
          const error = yield* Effect.flip(registry.getModelVersion("churn", v(2)))
          assert.deepInclude(error, { _tag: "ModelVersionNotFound", name: "churn", version: "2" })
          const next = yield* registry.createModelVersion({ name: "churn", source: "s3://3" })
          assert.strictEqual(next.version, "3")
          assert.strictEqual(
            (yield* Effect.flip(registry.deleteModelVersion("churn", v(2))))._tag,
            "ModelVersionNotFound"
          )
        })
      )

      test(
        "createModelVersion fails on a missing model or an unknown run and stores nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn")
          const noModel = yield* Effect.flip(registry.createModelVersion({ name: "nope", source: "s3://m" }))
          assert.strictEqual(noModel._tag, "RegisteredModelNotFound")
          yield* failsUnchanged(
            "churn",
            registry.createModelVersion({ name: "churn", source: "s3://m", runId: unknownRunId }),
            {
              _tag: "RunNotFound"
            }
          )
          const first = yield* registry.createModelVersion({ name: "churn", source: "s3://m" })
          assert.strictEqual(first.version, "1")
        })
      )

      test(
        "invalid version inputs name the field and store nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn")
          const bad = (input: Partial<CreateModelVersion>) =>
            registry.createModelVersion({ name: "churn", source: "s3://m", ...input })
          yield* failsUnchanged("churn", bad({ source: "" }), { _tag: "InvalidArgument", field: "source" })
          yield* failsUnchanged("churn", bad({ tags: [{ key: "", value: "x" }] }), {
            _tag: "InvalidArgument",
            field: "tags[0].key"
          })
          yield* failsUnchanged("churn", bad({ status: "DONE" as ModelVersionStatus }), {
            _tag: "InvalidArgument",
            field: "status"
          })
          yield* failsUnchanged("churn", bad({ description: "d".repeat(64 * 1024 + 1) }), {
            _tag: "LimitExceeded",
            field: "description"
          })
          assert.strictEqual((yield* registry.createModelVersion({ name: "churn", source: "s3://m" })).version, "1")
        })
      )

      test(
        "updateModelVersion changes description, status and message; an invalid status changes nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 1, { status: "PENDING_REGISTRATION" })
          yield* TestClock.adjust(7)
          const updated = yield* registry.updateModelVersion("churn", v(1), {
            description: "tuned",
            status: "FAILED_REGISTRATION",
            statusMessage: "upload failed"
          })
          assert.strictEqual(updated.description, "tuned")
          assert.strictEqual(updated.status, "FAILED_REGISTRATION")
          assert.strictEqual(updated.statusMessage, "upload failed")
          assert.strictEqual(updated.lastUpdatedTimestamp, 7)
          assert.deepStrictEqual(yield* registry.getModelVersion("churn", v(1)), updated)
          const onlyDescription = yield* registry.updateModelVersion("churn", v(1), { description: "again" })
          assert.strictEqual(onlyDescription.status, "FAILED_REGISTRATION")
          yield* failsUnchanged(
            "churn",
            registry.updateModelVersion("churn", v(1), { status: "BROKEN" as "READY", description: "lost" }),
            { _tag: "InvalidArgument", field: "status" }
          )
          const missing = yield* Effect.flip(registry.updateModelVersion("churn", v(9), { description: "x" }))
          assert.strictEqual(missing._tag, "ModelVersionNotFound")
        })
      )

      test(
        "version tags are set, overwritten and deleted; a bad key changes nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 2)
          yield* registry.setModelVersionTag("churn", v(1), "validated", "false")
          yield* registry.setModelVersionTag("churn", v(1), "validated", "true")
          yield* registry.setModelVersionTag("churn", v(1), "owner", "bob")
          assert.deepStrictEqual((yield* registry.getModelVersion("churn", v(1))).tags, [
            new Tag({ key: "owner", value: "bob" }),
            new Tag({ key: "validated", value: "true" })
          ])
          assert.deepStrictEqual((yield* registry.getModelVersion("churn", v(2))).tags, [])
          yield* registry.deleteModelVersionTag("churn", v(1), "owner")
          assert.deepStrictEqual((yield* registry.getModelVersion("churn", v(1))).tags, [
            new Tag({ key: "validated", value: "true" })
          ])
          yield* failsUnchanged("churn", registry.setModelVersionTag("churn", v(1), "a..b/../c", "x"), {
            _tag: "InvalidArgument",
            field: "key"
          })
          const missing = yield* Effect.flip(registry.setModelVersionTag("churn", v(3), "k", "v"))
          assert.strictEqual(missing._tag, "ModelVersionNotFound")
        })
      )
    })

    describe("search", () => {
      const names = (page: { readonly items: ReadonlyArray<{ readonly name: string }> }) =>
        page.items.map((m) => m.name)

      test(
        "registered models are filtered by name and tags and ordered by name",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          for (const name of ["churn-b", "Churn-A", "fraud", "churn-a"]) {
            yield* registry.createRegisteredModel({
              name,
              tags: name === "fraud" ? [] : [{ key: "team", value: "growth" }]
            })
          }
          yield* registry.setRegisteredModelTag("fraud", "team", "risk")
          const search = (filter: string) => registry.searchRegisteredModels({ filter }).pipe(Effect.map(names))
          assert.deepStrictEqual(yield* search(""), ["Churn-A", "churn-a", "churn-b", "fraud"])
          assert.deepStrictEqual(yield* search("name = 'fraud'"), ["fraud"])
          assert.deepStrictEqual(yield* search("name != 'fraud'"), ["Churn-A", "churn-a", "churn-b"])
          assert.deepStrictEqual(yield* search("name LIKE 'churn%'"), ["churn-a", "churn-b"])
          assert.deepStrictEqual(yield* search("name ILIKE 'churn-_'"), ["Churn-A", "churn-a", "churn-b"])
          assert.deepStrictEqual(yield* search("attribute.name like '%a'"), ["churn-a"])
          assert.deepStrictEqual(yield* search("tags.team = 'risk'"), ["fraud"])
          assert.deepStrictEqual(yield* search("tags.`team` != 'risk' AND name LIKE '%b'"), ["churn-b"])
          assert.deepStrictEqual(yield* search("tags.missing = 'x'"), [])
        })
      )

      test(
        "tags.<key> != 'v' keeps models and versions without the tag, as MLflow's prompt clause needs",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("plain", 1)
          yield* seed("prompt", 1)
          yield* seed("other", 1)
          yield* registry.setRegisteredModelTag("prompt", "mlflow.prompt.is_prompt", "true")
          yield* registry.setRegisteredModelTag("other", "mlflow.prompt.is_prompt", "false")
          yield* registry.setModelVersionTag("prompt", v(1), "stage", "dev")
          const models = (filter: string) => registry.searchRegisteredModels({ filter }).pipe(Effect.map(names))
          const versions = (filter: string) =>
            registry.searchModelVersions({ filter }).pipe(Effect.map((page) => versionNumbers(page.items)))
          assert.deepStrictEqual(yield* models("tags.`mlflow.prompt.is_prompt` != 'true'"), ["other", "plain"])
          assert.deepStrictEqual(yield* models("name LIKE 'p%' AND tag.`mlflow.prompt.is_prompt` != 'true'"), ["plain"])
          assert.deepStrictEqual(yield* models("tags.`mlflow.prompt.is_prompt` = 'true'"), ["prompt"])
          assert.deepStrictEqual(yield* versions("tags.stage != 'dev'"), ["other/1", "plain/1"])
        })
      )

      test(
        "ILIKE folds the case of ASCII letters only, as SQLite does",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          for (const name of ["Zürich", "ZÜRICH", "zurich"]) yield* registry.createRegisteredModel({ name })
          const search = (filter: string) => registry.searchRegisteredModels({ filter }).pipe(Effect.map(names))
          assert.deepStrictEqual(yield* search("name ILIKE 'zürich'"), ["Zürich"])
          assert.deepStrictEqual(yield* search("name ILIKE 'zÜrich'"), ["ZÜRICH"])
          assert.deepStrictEqual(yield* search("name ILIKE 'z_rich'"), ["ZÜRICH", "Zürich", "zurich"])
        })
      )

      test(
        "LIKE treats % and _ as the only wildcards",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          for (const name of ["a*b", "axb", "a[b]", "a.b", "a\\b"]) yield* registry.createRegisteredModel({ name })
          const search = (filter: string) => registry.searchRegisteredModels({ filter }).pipe(Effect.map(names))
          assert.deepStrictEqual(yield* search("name LIKE 'a*b'"), ["a*b"])
          assert.deepStrictEqual(yield* search("name LIKE 'a[b]'"), ["a[b]"])
          assert.deepStrictEqual(yield* search("name LIKE 'a.b'"), ["a.b"])
          assert.deepStrictEqual(yield* search("name LIKE 'a\\b'"), ["a\\b"])
          assert.deepStrictEqual(yield* search("name LIKE 'a_b'"), ["a*b", "a.b", "a\\b", "axb"])
        })
      )

      test(
        "registered models are paged with page tokens",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          for (const name of ["m1", "m2", "m3", "m4", "m5"]) yield* registry.createRegisteredModel({ name })
          const seen: Array<string> = []
          let pageToken: string | undefined
          let pages = 0
          do {
            const page = yield* registry.searchRegisteredModels({
              filter: "name LIKE 'm%'",
              maxResults: 2,
              ...(pageToken === undefined ? {} : { pageToken })
            })
            seen.push(...names(page))
            pageToken = page.nextPageToken ?? undefined
            pages++
          } while (pageToken !== undefined)
          assert.deepStrictEqual(seen, ["m1", "m2", "m3", "m4", "m5"])
          assert.strictEqual(pages, 3)
          const first = yield* registry.searchRegisteredModels({ maxResults: 2 })
          const replayed = yield* Effect.flip(
            registry.searchRegisteredModels({
              maxResults: 2,
              filter: "name = 'm1'",
              pageToken: first.nextPageToken ?? ""
            })
          )
          assert.strictEqual(replayed._tag, "InvalidPageToken")
          const garbage = yield* Effect.flip(registry.searchRegisteredModels({ pageToken: "not-a-token" }))
          assert.strictEqual(garbage._tag, "InvalidPageToken")
          const tooMany = yield* Effect.flip(registry.searchRegisteredModels({ maxResults: 1001 }))
          assert.deepInclude(tooMany, { _tag: "InvalidArgument", field: "maxResults" })
        })
      )

      test(
        "malformed filters fail with InvalidFilter at the offending position",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          const position = (filter: string, entity: "models" | "versions" = "models") => {
            const search: Effect.Effect<
              unknown,
              InvalidFilter | InvalidPageToken | InvalidArgument | LimitExceeded | Forbidden
            > =
              entity === "models"
                ? registry.searchRegisteredModels({ filter })
                : registry.searchModelVersions({ filter })
            return Effect.flip(search).pipe(
              Effect.map((error) => {
                assert.strictEqual(error._tag, "InvalidFilter")
                return error._tag === "InvalidFilter" ? error.position : -1
              })
            )
          }
          assert.strictEqual(yield* position("name = 'a' OR name = 'b'"), 11)
          assert.strictEqual(yield* position("run_id = 'r'"), 0)
          assert.strictEqual(yield* position("name = 'unterminated"), 7)
          assert.strictEqual(yield* position("name > 'a'"), 5)
          assert.strictEqual(yield* position("name = 5"), 7)
          assert.strictEqual(yield* position("name IN ('a')"), 5)
          assert.strictEqual(yield* position("params.x = 'a'"), 0)
          assert.strictEqual(yield* position("run_id NOT IN ('a')", "versions"), 7)
          assert.strictEqual(yield* position("version_number = 'one'", "versions"), 17)
          assert.strictEqual(yield* position("name = 'a' AND", "versions"), 14)
        })
      )

      test(
        "model versions are filtered by name, run_id, source_path, version_number and tags",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          const tracker = yield* ExperimentTracker
          const experiment = yield* tracker.createExperiment({ name: "exp" })
          const runA = (yield* tracker.createRun({ experimentId: experiment.experimentId })).info.runId
          const runB = (yield* tracker.createRun({ experimentId: experiment.experimentId })).info.runId
          yield* seed("churn")
          yield* seed("fraud")
          yield* registry.createModelVersion({ name: "churn", source: "s3://churn/1", runId: runA })
          yield* registry.createModelVersion({ name: "churn", source: "s3://churn/2", runId: runB })
          yield* registry.createModelVersion({ name: "churn", source: "file:///churn/3" })
          yield* registry.createModelVersion({ name: "fraud", source: "s3://fraud/1", runId: runA })
          yield* registry.setModelVersionTag("fraud", v(1), "validated", "true")
          const search = (filter: string) =>
            registry.searchModelVersions({ filter }).pipe(Effect.map((page) => versionNumbers(page.items)))
          assert.deepStrictEqual(yield* search(""), ["churn/3", "churn/2", "churn/1", "fraud/1"])
          assert.deepStrictEqual(yield* search("name = 'churn'"), ["churn/3", "churn/2", "churn/1"])
          assert.deepStrictEqual(yield* search(`run_id = '${runA}'`), ["churn/1", "fraud/1"])
          assert.deepStrictEqual(yield* search(`run_id != '${runA}'`), ["churn/2"])
          assert.deepStrictEqual(yield* search(`run_id IN ('${runB}', '${unknownRunId}')`), ["churn/2"])
          assert.deepStrictEqual(yield* search("source_path LIKE 's3://%'"), ["churn/2", "churn/1", "fraud/1"])
          assert.deepStrictEqual(yield* search("name = 'churn' AND version_number >= 2"), ["churn/3", "churn/2"])
          assert.deepStrictEqual(yield* search("version_number = '1'"), ["churn/1", "fraud/1"])
          assert.deepStrictEqual(yield* search("tags.validated = 'true'"), ["fraud/1"])
        })
      )

      test(
        "model versions are paged with page tokens",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("a", 3)
          yield* seed("b", 2)
          const first = yield* registry.searchModelVersions({ maxResults: 3 })
          assert.deepStrictEqual(versionNumbers(first.items), ["a/3", "a/2", "a/1"])
          assert.isNotNull(first.nextPageToken)
          const second = yield* registry.searchModelVersions({ maxResults: 3, pageToken: first.nextPageToken ?? "" })
          assert.deepStrictEqual(versionNumbers(second.items), ["b/2", "b/1"])
          assert.isNull(second.nextPageToken)
          const zero = yield* Effect.flip(registry.searchModelVersions({ maxResults: 0 }))
          assert.deepInclude(zero, { _tag: "InvalidArgument", field: "maxResults" })
        })
      )

      test(
        "each tenant sees only its own models; names are unique per tenant",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          const inTenant = (tenant: string) => Effect.provideService(CurrentTenant, TenantId.make(tenant))
          yield* seed("shared", 1).pipe(inTenant("acme"))
          yield* seed("shared", 2).pipe(inTenant("globex"))
          const acme = yield* registry.searchModelVersions().pipe(inTenant("acme"))
          assert.deepStrictEqual(versionNumbers(acme.items), ["shared/1"])
          assert.deepStrictEqual((yield* registry.searchRegisteredModels()).items, [])
          const missing = yield* Effect.flip(registry.getModelVersion("shared", v(2)).pipe(inTenant("acme")))
          assert.strictEqual(missing._tag, "ModelVersionNotFound")
        })
      )
    })

    describe("stages", () => {
      test(
        "transition moves a version to a stage and getLatestVersions returns the newest per stage",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 4)
          yield* TestClock.adjust(10)
          const staged = yield* registry.transitionModelVersionStage("churn", v(2), "Staging")
          assert.strictEqual(staged.currentStage, "Staging")
          assert.strictEqual(staged.lastUpdatedTimestamp, 10)
          yield* registry.transitionModelVersionStage("churn", v(1), "Staging")
          yield* registry.transitionModelVersionStage("churn", v(3), "Production")
          const latest = (stages?: ReadonlyArray<"None" | "Staging" | "Production" | "Archived">) =>
            registry
              .getLatestVersions("churn", stages)
              .pipe(Effect.map((versions) => versions.map((mv) => `${mv.version}:${mv.currentStage}`)))
          assert.deepStrictEqual(yield* latest(), ["2:Staging", "3:Production", "4:None"])
          assert.deepStrictEqual(yield* latest([]), ["2:Staging", "3:Production", "4:None"])
          assert.deepStrictEqual(yield* latest(["Staging", "None"]), ["2:Staging", "4:None"])
          assert.deepStrictEqual(yield* latest(["Archived"]), [])
          const missing = yield* Effect.flip(registry.getLatestVersions("nope"))
          assert.strictEqual(missing._tag, "RegisteredModelNotFound")
        })
      )

      test(
        "archiveExistingVersions archives the other versions of the target stage",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 3)
          yield* registry.transitionModelVersionStage("churn", v(1), "Production")
          yield* registry.transitionModelVersionStage("churn", v(2), "Production")
          yield* registry.transitionModelVersionStage("churn", v(3), "Production", { archiveExistingVersions: true })
          const stages = yield* registry
            .searchModelVersions({ filter: "name = 'churn'" })
            .pipe(Effect.map((page) => page.items.map((mv) => `${mv.version}:${mv.currentStage}`)))
          assert.deepStrictEqual(stages, ["3:Production", "2:Archived", "1:Archived"])
        })
      )

      test(
        "archiveExistingVersions only applies to Staging and Production; unknown versions fail",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 2)
          yield* failsUnchanged(
            "churn",
            registry.transitionModelVersionStage("churn", v(1), "Archived", { archiveExistingVersions: true }),
            { _tag: "InvalidArgument", field: "archiveExistingVersions" }
          )
          yield* failsUnchanged("churn", registry.transitionModelVersionStage("churn", v(5), "Staging"), {
            _tag: "ModelVersionNotFound"
          })
        })
      )
    })

    describe("aliases", () => {
      test(
        "an alias resolves to its version and is listed on the version and the model",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 2)
          yield* registry.setAlias("churn", "champion", v(1))
          yield* registry.setAlias("churn", "baseline", v(1))
          yield* registry.setAlias("churn", "challenger", v(2))
          const champion = yield* registry.getVersionByAlias("churn", "champion")
          assert.strictEqual(champion.version, "1")
          assert.deepStrictEqual(champion.aliases, ["baseline", "champion"])
          assert.deepStrictEqual((yield* registry.getModelVersion("churn", v(2))).aliases, ["challenger"])
          const model = yield* registry.getRegisteredModel("churn")
          assert.deepStrictEqual(
            model.aliases.map((a) => `${a.alias}=${a.version}`),
            ["baseline=1", "challenger=2", "champion=1"]
          )
        })
      )

      test(
        "setting an alias again moves it",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 2)
          yield* registry.setAlias("churn", "champion", v(1))
          yield* registry.setAlias("churn", "champion", v(2))
          assert.strictEqual((yield* registry.getVersionByAlias("churn", "champion")).version, "2")
          assert.deepStrictEqual((yield* registry.getModelVersion("churn", v(1))).aliases, [])
        })
      )

      test(
        "a deleted alias no longer resolves",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 1)
          yield* registry.setAlias("churn", "champion", v(1))
          yield* registry.deleteAlias("churn", "champion")
          const error = yield* Effect.flip(registry.getVersionByAlias("churn", "champion"))
          assert.deepInclude(error, { _tag: "AliasNotFound", name: "churn", alias: "champion" })
          assert.strictEqual((yield* Effect.flip(registry.deleteAlias("churn", "champion")))._tag, "AliasNotFound")
          assert.strictEqual(
            (yield* Effect.flip(registry.getVersionByAlias("nope", "x")))._tag,
            "RegisteredModelNotFound"
          )
        })
      )

      test(
        "reserved and malformed aliases are rejected and change nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 1)
          for (const alias of ["latest", "LATEST", "v1", "V12", "", "has space", "a.b", "a/b", "x".repeat(256)]) {
            yield* failsUnchanged("churn", registry.setAlias("churn", alias, v(1)), {
              _tag: alias.length > 255 ? "LimitExceeded" : "InvalidArgument",
              field: "alias"
            })
          }
          yield* registry.setAlias("churn", "v1-candidate_2", v(1))
        })
      )

      test(
        "an alias on a missing version fails with ModelVersionNotFound and records nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 1)
          yield* failsUnchanged("churn", registry.setAlias("churn", "champion", v(2)), { _tag: "ModelVersionNotFound" })
          const noModel = yield* Effect.flip(registry.setAlias("nope", "champion", v(1)))
          assert.strictEqual(noModel._tag, "RegisteredModelNotFound")
        })
      )

      test(
        "the history records set, move and delete in order, with who and when",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 2)
          yield* TestClock.adjust(100)
          yield* registry.setAlias("churn", "champion", v(1)).pipe(as("alice"))
          yield* TestClock.adjust(100)
          yield* registry.setAlias("churn", "challenger", v(2)).pipe(as("carol"))
          yield* registry.setAlias("churn", "champion", v(2)).pipe(as("bob"))
          yield* TestClock.adjust(100)
          yield* registry.deleteAlias("churn", "champion").pipe(as("alice"))
          const history = yield* registry.getAliasHistory("churn", "champion")
          assert.deepStrictEqual(
            history.map((h) => [h.alias, h.fromVersion, h.toVersion, h.changedBy, h.changedAt]),
            [
              ["champion", null, "1", "alice", 100],
              ["champion", "1", "2", "bob", 200],
              ["champion", "2", null, "alice", 300]
            ]
          )
          const all = yield* registry.getAliasHistory("churn")
          assert.deepStrictEqual(
            all.map((h) => `${h.alias}:${h.changedBy}`),
            ["champion:alice", "challenger:carol", "champion:bob", "champion:alice"]
          )
          assert.strictEqual((yield* Effect.flip(registry.getAliasHistory("nope")))._tag, "RegisteredModelNotFound")
        })
      )

      test(
        "setting an alias to the version it already points at records nothing",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 1)
          yield* registry.setAlias("churn", "champion", v(1))
          yield* registry.setAlias("churn", "champion", v(1))
          assert.strictEqual((yield* registry.getAliasHistory("churn")).length, 1)
        })
      )

      test(
        "deleting a version removes its aliases and records each removal",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 2)
          yield* registry.setAlias("churn", "champion", v(2))
          yield* registry.setAlias("churn", "candidate", v(2))
          yield* registry.setAlias("churn", "baseline", v(1))
          yield* registry.deleteModelVersion("churn", v(2)).pipe(as("dave"))
          assert.strictEqual(
            (yield* Effect.flip(registry.getVersionByAlias("churn", "champion")))._tag,
            "AliasNotFound"
          )
          assert.deepStrictEqual(
            (yield* registry.getRegisteredModel("churn")).aliases.map((a) => a.alias),
            ["baseline"]
          )
          const removals = (yield* registry.getAliasHistory("churn")).filter((h) => h.toVersion === null)
          assert.deepStrictEqual(
            removals.map((h) => [h.alias, h.fromVersion, h.changedBy]),
            [
              ["candidate", "2", "dave"],
              ["champion", "2", "dave"]
            ]
          )
        })
      )
    })

    describe("lineage", () => {
      test(
        "lineage reaches the run, its experiment and its dataset inputs",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          const tracker = yield* ExperimentTracker
          const experiment = yield* tracker.createExperiment({ name: "churn-training" })
          const run = yield* tracker.createRun({ experimentId: experiment.experimentId, runName: "baseline" })
          const input = new DatasetInput({
            dataset: new DatasetRef({ name: "customers", digest: "abc123", sourceType: "local", source: "data/c.csv" }),
            tags: [new Tag({ key: DatasetContextTag, value: "training" })]
          })
          yield* tracker.logInputs(run.info.runId, [input])
          yield* seed("churn", 1, { runId: run.info.runId })
          const lineage = yield* registry.getLineage("churn", v(1))
          assert.strictEqual(lineage.version.version, "1")
          assert.strictEqual(lineage.run?.runId, run.info.runId)
          assert.strictEqual(lineage.run?.runName, "baseline")
          assert.strictEqual(lineage.experiment?.experimentId, experiment.experimentId)
          assert.strictEqual(lineage.experiment?.name, "churn-training")
          assert.strictEqual(lineage.inputs.length, 1)
          assert.strictEqual(lineage.inputs[0]?.dataset.name, "customers")
          assert.strictEqual(lineage.inputs[0]?.dataset.digest, "abc123")
          assert.deepStrictEqual(lineage.inputs[0]?.tags, [new Tag({ key: DatasetContextTag, value: "training" })])
        })
      )

      test(
        "a version of a deleted run still resolves its lineage",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          const tracker = yield* ExperimentTracker
          const experiment = yield* tracker.createExperiment({ name: "exp" })
          const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
          yield* seed("churn", 1, { runId: run.info.runId })
          yield* tracker.deleteRun(run.info.runId)
          const lineage = yield* registry.getLineage("churn", v(1))
          assert.strictEqual(lineage.run?.lifecycleStage, "deleted")
          assert.strictEqual(lineage.experiment?.experimentId, experiment.experimentId)
        })
      )

      test(
        "a version without a run has an empty lineage; a missing version fails",
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          yield* seed("churn", 1)
          const lineage = yield* registry.getLineage("churn", v(1))
          assert.isNull(lineage.run)
          assert.isNull(lineage.experiment)
          assert.deepStrictEqual(lineage.inputs, [])
          assert.strictEqual((yield* Effect.flip(registry.getLineage("churn", v(2))))._tag, "ModelVersionNotFound")
        })
      )
    })
  })
}
