import type { SqlClient } from "@effect/sql"
import { Context, Effect, Either, Layer, Option, type Schema, Stream } from "effect"
import { ArtifactStore, type ArtifactStoreShape } from "../../../core/artifacts/ArtifactStore.js"
import { normalizeArtifactPrefix } from "../../../core/artifacts/path.js"
import { CurrentTenant } from "../../../core/context.js"
import { Datasets, type DatasetsShape } from "../../../core/data/Datasets.js"
import type { DataSource, RegisterDataset } from "../../../core/data/model.js"
import { LoggedModels, type LoggedModelsShape } from "../../../core/models/LoggedModels.js"
import { type LoggedModelId, RunOutputs, type SearchLoggedModels } from "../../../core/models/model.js"
import { ModelRegistry, type ModelRegistryShape } from "../../../core/registry/ModelRegistry.js"
import { type CreateModelVersion, ModelVersionLineage } from "../../../core/registry/model.js"
import { ExperimentTracker, type ExperimentTrackerShape } from "../../../core/tracking/ExperimentTracker.js"
import type { ExperimentId, Page, RunId, SearchRuns } from "../../../core/tracking/model.js"
import { CurrentCaller } from "../Authenticator.js"
import type { Action } from "./actions.js"
import { Authorizer } from "./Authorizer.js"
import { Lru } from "./lru.js"
import { Resource, type ResourceRef } from "./model.js"
import { makeGrantStore } from "./store.js"

/** Runs and logged models whose experiment is remembered (the mapping never changes). */
const rememberedIds = 100_000

/** The tenant's experiment holding an artifact path (its first segment, when numeric), else the tenant. */
const artifactResource = (path: string): ResourceRef => {
  const normalized = normalizeArtifactPrefix(path)
  if (Either.isLeft(normalized)) return Resource.tenant
  const first = normalized.right.split("/", 1)[0] ?? ""
  return /^(0|[1-9]\d{0,17})$/.test(first) ? Resource.experiment(first) : Resource.tenant
}

const isRoot = (prefix: string) => Either.getOrElse(normalizeArtifactPrefix(prefix), () => "x") === ""

const make = Effect.gen(function* () {
  const authorizer = yield* Authorizer
  const store = yield* makeGrantStore(authorizer.invalidate)
  const tracker = yield* ExperimentTracker
  const registry = yield* ModelRegistry
  const models = yield* LoggedModels
  const datasets = yield* Datasets
  const artifacts = yield* ArtifactStore
  const runExperiments = new Lru<string, ExperimentId>(rememberedIds)
  const modelExperiments = new Lru<string, ExperimentId>(rememberedIds)

  /** `effect`, once the current caller (if any) may do `action` on `resource`. */
  const guard = <A, E>(action: Action, resource: ResourceRef, effect: Effect.Effect<A, E>) =>
    Effect.zipRight(authorizer.authorize(action, resource), effect)

  /** `effect` for in-process programs (no caller, nothing to check), else `checked`. */
  const forCaller = <A, E, E2>(effect: Effect.Effect<A, E>, checked: Effect.Effect<A, E2>): Effect.Effect<A, E | E2> =>
    Effect.flatMap(CurrentCaller, (caller): Effect.Effect<A, E | E2> => (Option.isNone(caller) ? effect : checked))

  const experimentOfRun = (runId: RunId) =>
    Effect.flatMap(CurrentTenant, (tenant) => {
      const key = `${tenant}/${runId}`
      const known = runExperiments.get(key)
      if (known !== undefined) return Effect.succeed(known)
      return Effect.map(tracker.getRun(runId), (run) => {
        runExperiments.set(key, run.info.experimentId)
        return run.info.experimentId
      })
    })

  const rememberRuns = (
    runs: ReadonlyArray<{ readonly info: { readonly runId: RunId; readonly experimentId: ExperimentId } }>
  ) =>
    Effect.map(CurrentTenant, (tenant) => {
      for (const run of runs) runExperiments.set(`${tenant}/${run.info.runId}`, run.info.experimentId)
    })

  const experimentOfModel = (modelId: LoggedModelId) =>
    Effect.flatMap(CurrentTenant, (tenant) => {
      const key = `${tenant}/${modelId}`
      const known = modelExperiments.get(key)
      if (known !== undefined) return Effect.succeed(known)
      return Effect.map(models.getLoggedModel(modelId), (model) => {
        modelExperiments.set(key, model.experimentId)
        return model.experimentId
      })
    })

  /** A run-scoped call: checked on the run's experiment. */
  const onRun = <A, E>(action: Action, runId: RunId, effect: Effect.Effect<A, E>) =>
    forCaller(
      effect,
      Effect.flatMap(experimentOfRun(runId), (experimentId) => guard(action, Resource.experiment(experimentId), effect))
    )

  /** A logged-model-scoped call: checked on the model's experiment. */
  const onModel = <A, E>(action: Action, modelId: LoggedModelId, effect: Effect.Effect<A, E>) =>
    forCaller(
      effect,
      Effect.flatMap(experimentOfModel(modelId), (experimentId) =>
        guard(action, Resource.experiment(experimentId), effect)
      )
    )

  /** The caller becomes maintainer of what it just created (no caller, no grant). */
  const grantCreator = (resource: ResourceRef) =>
    Effect.flatMap(CurrentCaller, (caller) =>
      Option.isNone(caller)
        ? Effect.void
        : Effect.asVoid(
            store.upsert(
              { kind: "principal", id: caller.value.principalId, name: caller.value.username },
              resource,
              "maintainer"
            )
          )
    )

  const readableItems = <A>(page: Page<A>, resourceOf: (item: A) => ResourceRef) =>
    Effect.map(
      authorizer.readable,
      (readable): Page<A> => ({ ...page, items: page.items.filter((item) => readable(resourceOf(item))) })
    )

  const experiment = Resource.experiment
  const model = Resource.registeredModel
  const tenant = Resource.tenant

  const trackerRbac: ExperimentTrackerShape = {
    createExperiment: (input) =>
      guard(
        "ExperimentTracker.createExperiment",
        tenant,
        Effect.tap(tracker.createExperiment(input), (created) => grantCreator(experiment(created.experimentId)))
      ),
    getExperiment: (id) => guard("ExperimentTracker.getExperiment", experiment(id), tracker.getExperiment(id)),
    getExperimentByName: (name) =>
      Effect.tap(tracker.getExperimentByName(name), (found) =>
        authorizer.authorize("ExperimentTracker.getExperimentByName", experiment(found.experimentId))
      ),
    searchExperiments: (query) =>
      Effect.flatMap(tracker.searchExperiments(query), (page) =>
        readableItems(page, (e) => experiment(e.experimentId))
      ),
    renameExperiment: (id, newName) =>
      guard("ExperimentTracker.renameExperiment", experiment(id), tracker.renameExperiment(id, newName)),
    setExperimentTag: (id, key, value) =>
      guard("ExperimentTracker.setExperimentTag", experiment(id), tracker.setExperimentTag(id, key, value)),
    deleteExperimentTag: (id, key) =>
      guard("ExperimentTracker.deleteExperimentTag", experiment(id), tracker.deleteExperimentTag(id, key)),
    deleteExperiment: (id) => guard("ExperimentTracker.deleteExperiment", experiment(id), tracker.deleteExperiment(id)),
    restoreExperiment: (id) =>
      guard("ExperimentTracker.restoreExperiment", experiment(id), tracker.restoreExperiment(id)),
    getExperimentSummaries: (ids) =>
      Effect.flatMap(authorizer.readable, (readable) =>
        tracker.getExperimentSummaries(ids.filter((id) => readable(experiment(id))))
      ),
    getExperimentKeys: (id) =>
      guard("ExperimentTracker.getExperimentKeys", experiment(id), tracker.getExperimentKeys(id)),
    createRun: (input) =>
      guard(
        "ExperimentTracker.createRun",
        experiment(input.experimentId),
        Effect.tap(tracker.createRun(input), (run) => rememberRuns([run]))
      ),
    getRun: (runId) => onRun("ExperimentTracker.getRun", runId, tracker.getRun(runId)),
    updateRun: (runId, update) => onRun("ExperimentTracker.updateRun", runId, tracker.updateRun(runId, update)),
    deleteRun: (runId) => onRun("ExperimentTracker.deleteRun", runId, tracker.deleteRun(runId)),
    restoreRun: (runId) => onRun("ExperimentTracker.restoreRun", runId, tracker.restoreRun(runId)),
    logParam: (runId, key, value) => onRun("ExperimentTracker.logParam", runId, tracker.logParam(runId, key, value)),
    logMetric: (runId, metric) => onRun("ExperimentTracker.logMetric", runId, tracker.logMetric(runId, metric)),
    setTag: (runId, key, value) => onRun("ExperimentTracker.setTag", runId, tracker.setTag(runId, key, value)),
    deleteTag: (runId, key) => onRun("ExperimentTracker.deleteTag", runId, tracker.deleteTag(runId, key)),
    logBatch: (runId, batch) => onRun("ExperimentTracker.logBatch", runId, tracker.logBatch(runId, batch)),
    logInputs: (runId, inputs) => onRun("ExperimentTracker.logInputs", runId, tracker.logInputs(runId, inputs)),
    getMetricHistory: (query) =>
      onRun("ExperimentTracker.getMetricHistory", query.runId, tracker.getMetricHistory(query)),
    searchRuns: (query) =>
      forCaller(
        tracker.searchRuns(query),
        Effect.flatMap(authorizer.readable, (readable) => {
          const narrowed: SearchRuns = {
            ...query,
            experimentIds: query.experimentIds.filter((id) => readable(experiment(id)))
          }
          return Effect.tap(tracker.searchRuns(narrowed), (page) => rememberRuns(page.items))
        })
      )
  }

  /** A registration from a run also needs to read the run: checked on the run's experiment. */
  const readingRun = <A, E>(action: Action, runId: RunId, effect: Effect.Effect<A, E>) =>
    forCaller(
      effect,
      Effect.flatMap(experimentOfRun(runId), (experimentId) =>
        Effect.zipRight(authorizer.requireRole(action, "viewer", experiment(experimentId)), effect)
      )
    )

  const registryRbac: ModelRegistryShape = {
    createRegisteredModel: (input) =>
      guard(
        "ModelRegistry.createRegisteredModel",
        tenant,
        Effect.tap(registry.createRegisteredModel(input), (created) => grantCreator(model(created.name)))
      ),
    getRegisteredModel: (name) =>
      guard("ModelRegistry.getRegisteredModel", model(name), registry.getRegisteredModel(name)),
    // Grants are keyed by name, as MLflow keys model permissions: they follow the model, whoever renames it.
    renameRegisteredModel: (name, newName) =>
      guard(
        "ModelRegistry.renameRegisteredModel",
        model(name),
        Effect.tap(registry.renameRegisteredModel(name, newName), (renamed) =>
          renamed.name === name ? Effect.void : store.moveResource("registered_model", name, renamed.name)
        )
      ),
    updateRegisteredModel: (name, update) =>
      guard("ModelRegistry.updateRegisteredModel", model(name), registry.updateRegisteredModel(name, update)),
    setRegisteredModelTag: (name, key, value) =>
      guard("ModelRegistry.setRegisteredModelTag", model(name), registry.setRegisteredModelTag(name, key, value)),
    deleteRegisteredModelTag: (name, key) =>
      guard("ModelRegistry.deleteRegisteredModelTag", model(name), registry.deleteRegisteredModelTag(name, key)),
    // A later model of the same name must not inherit these grants.
    deleteRegisteredModel: (name) =>
      guard(
        "ModelRegistry.deleteRegisteredModel",
        model(name),
        Effect.tap(registry.deleteRegisteredModel(name), () => store.removeResource(model(name)))
      ),
    searchRegisteredModels: (query) =>
      Effect.flatMap(registry.searchRegisteredModels(query), (page) => readableItems(page, (m) => model(m.name))),
    createModelVersion: (input: CreateModelVersion) =>
      guard(
        "ModelRegistry.createModelVersion",
        model(input.name),
        input.runId === undefined
          ? registry.createModelVersion(input)
          : readingRun("ModelRegistry.createModelVersion", input.runId, registry.createModelVersion(input))
      ),
    getModelVersion: (name, version) =>
      guard("ModelRegistry.getModelVersion", model(name), registry.getModelVersion(name, version)),
    updateModelVersion: (name, version, update) =>
      guard("ModelRegistry.updateModelVersion", model(name), registry.updateModelVersion(name, version, update)),
    setModelVersionTag: (name, version, key, value) =>
      guard("ModelRegistry.setModelVersionTag", model(name), registry.setModelVersionTag(name, version, key, value)),
    deleteModelVersionTag: (name, version, key) =>
      guard("ModelRegistry.deleteModelVersionTag", model(name), registry.deleteModelVersionTag(name, version, key)),
    deleteModelVersion: (name, version) =>
      guard("ModelRegistry.deleteModelVersion", model(name), registry.deleteModelVersion(name, version)),
    searchModelVersions: (query) =>
      Effect.flatMap(registry.searchModelVersions(query), (page) => readableItems(page, (v) => model(v.name))),
    transitionModelVersionStage: (name, version, stage, options) =>
      guard(
        "ModelRegistry.transitionModelVersionStage",
        model(name),
        registry.transitionModelVersionStage(name, version, stage, options)
      ),
    getLatestVersions: (name, stages) =>
      guard("ModelRegistry.getLatestVersions", model(name), registry.getLatestVersions(name, stages)),
    setAlias: (name, alias, version) =>
      guard("ModelRegistry.setAlias", model(name), registry.setAlias(name, alias, version)),
    deleteAlias: (name, alias) => guard("ModelRegistry.deleteAlias", model(name), registry.deleteAlias(name, alias)),
    getVersionByAlias: (name, alias) =>
      guard("ModelRegistry.getVersionByAlias", model(name), registry.getVersionByAlias(name, alias)),
    getAliasHistory: (name, alias) =>
      guard("ModelRegistry.getAliasHistory", model(name), registry.getAliasHistory(name, alias)),
    // The run, its experiment and its inputs belong to the experiment: shown only to its readers.
    getLineage: (name, version) =>
      guard(
        "ModelRegistry.getLineage",
        model(name),
        Effect.flatMap(registry.getLineage(name, version), (lineage) =>
          Effect.map(authorizer.readable, (readable) =>
            lineage.run === null || readable(experiment(lineage.run.experimentId))
              ? lineage
              : new ModelVersionLineage(
                  { version: lineage.version, run: null, experiment: null, inputs: [] },
                  { disableValidation: true }
                )
          )
        )
      )
  }

  const searchLoggedModels = (query: SearchLoggedModels) =>
    forCaller(
      models.searchLoggedModels(query),
      Effect.flatMap(authorizer.readable, (readable) => {
        const experimentIds = query.experimentIds.filter((id) => readable(experiment(id)))
        // Naming only experiments the caller may not read finds nothing (an empty list is a mistake, refused below).
        return experimentIds.length === 0 && query.experimentIds.length > 0
          ? Effect.succeed<Page<never>>({ items: [], nextPageToken: null })
          : models.searchLoggedModels({ ...query, experimentIds })
      })
    )

  const modelsRbac: LoggedModelsShape = {
    createLoggedModel: (input) =>
      guard(
        "LoggedModels.createLoggedModel",
        experiment(input.experimentId),
        Effect.tap(models.createLoggedModel(input), (created) =>
          Effect.map(CurrentTenant, (t) => modelExperiments.set(`${t}/${created.modelId}`, created.experimentId))
        )
      ),
    getLoggedModel: (id) => onModel("LoggedModels.getLoggedModel", id, models.getLoggedModel(id)),
    finalizeLoggedModel: (id, status, message) =>
      onModel("LoggedModels.finalizeLoggedModel", id, models.finalizeLoggedModel(id, status, message)),
    deleteLoggedModel: (id) => onModel("LoggedModels.deleteLoggedModel", id, models.deleteLoggedModel(id)),
    searchLoggedModels,
    setLoggedModelTags: (id, tags) =>
      onModel("LoggedModels.setLoggedModelTags", id, models.setLoggedModelTags(id, tags)),
    deleteLoggedModelTag: (id, key) =>
      onModel("LoggedModels.deleteLoggedModelTag", id, models.deleteLoggedModelTag(id, key)),
    logLoggedModelParams: (id, params) =>
      onModel("LoggedModels.logLoggedModelParams", id, models.logLoggedModelParams(id, params)),
    logLoggedModelMetrics: (id, metrics) =>
      onModel("LoggedModels.logLoggedModelMetrics", id, models.logLoggedModelMetrics(id, metrics)),
    recordModelVersion: (id, name, version) =>
      onModel("LoggedModels.recordModelVersion", id, models.recordModelVersion(id, name, version)),
    logOutputs: (runId, outputs) => onRun("LoggedModels.logOutputs", runId, models.logOutputs(runId, outputs)),
    getRunOutputs: (runId) => onRun("LoggedModels.getRunOutputs", runId, models.getRunOutputs(runId)),
    // Runs of experiments the caller may not read (or unknown ones) answer no outputs, as unknown runs do.
    getOutputsOfRuns: (runIds) =>
      forCaller(
        models.getOutputsOfRuns(runIds),
        Effect.gen(function* () {
          const readable = yield* authorizer.readable
          const allowed = new Set<RunId>()
          for (const runId of new Set(runIds)) {
            const experimentId = yield* Effect.option(experimentOfRun(runId))
            if (Option.isSome(experimentId) && readable(experiment(experimentId.value))) allowed.add(runId)
          }
          const outputs = yield* models.getOutputsOfRuns(runIds.filter((runId) => allowed.has(runId)))
          const byRun = new Map(outputs.map((entry) => [entry.runId, entry]))
          return runIds.map(
            (runId) => byRun.get(runId) ?? new RunOutputs({ runId, outputs: [] }, { disableValidation: true })
          )
        })
      )
  }

  const datasetsRbac: DatasetsShape = {
    register: <E = never>(input: RegisterDataset<E>) => guard("Datasets.register", tenant, datasets.register(input)),
    registerMetadata: (input) => guard("Datasets.registerMetadata", tenant, datasets.registerMetadata(input)),
    derive: (input) => guard("Datasets.derive", tenant, datasets.derive(input)),
    getVersion: (name, version) => guard("Datasets.getVersion", tenant, datasets.getVersion(name, version)),
    getLatestVersion: (name) => guard("Datasets.getLatestVersion", tenant, datasets.getLatestVersion(name)),
    listVersions: (name) => guard("Datasets.listVersions", tenant, datasets.listVersions(name)),
    listDatasets: () => guard("Datasets.listDatasets", tenant, datasets.listDatasets()),
    records: <E = never>(source: DataSource<E>) =>
      Stream.unwrap(Effect.as(authorizer.authorize("Datasets.records", tenant), datasets.records(source))),
    validate: <A, I, E = never>(source: DataSource<E>, schema: Schema.Schema<A, I>) =>
      Stream.unwrap(Effect.as(authorizer.authorize("Datasets.validate", tenant), datasets.validate(source, schema))),
    validateSummary: <A, I, E = never>(
      source: DataSource<E>,
      schema: Schema.Schema<A, I>,
      options?: { readonly maxIssues?: number }
    ) => guard("Datasets.validateSummary", tenant, datasets.validateSummary(source, schema, options)),
    getLineage: (name, version) => guard("Datasets.getLineage", tenant, datasets.getLineage(name, version))
  }

  const artifactsRbac: ArtifactStoreShape = {
    put: <E>(path: string, data: Stream.Stream<Uint8Array, E>) =>
      guard("ArtifactStore.put", artifactResource(path), artifacts.put(path, data)),
    putBytes: (path, data) => guard("ArtifactStore.putBytes", artifactResource(path), artifacts.putBytes(path, data)),
    get: (path) =>
      Stream.unwrap(Effect.as(authorizer.authorize("ArtifactStore.get", artifactResource(path)), artifacts.get(path))),
    getBytes: (path) => guard("ArtifactStore.getBytes", artifactResource(path), artifacts.getBytes(path)),
    stat: (path) => guard("ArtifactStore.stat", artifactResource(path), artifacts.stat(path)),
    // The root lists one directory per experiment (and `datasets/`): only those the caller may read.
    list: (prefix) =>
      guard(
        "ArtifactStore.list",
        artifactResource(prefix),
        isRoot(prefix)
          ? Effect.flatMap(artifacts.list(prefix), (entries) =>
              Effect.map(authorizer.readable, (readable) =>
                entries.filter((entry) => {
                  const resource = artifactResource(entry.path)
                  return resource.kind === "tenant" || readable(resource)
                })
              )
            )
          : artifacts.list(prefix)
      ),
    delete: (path) => guard("ArtifactStore.delete", artifactResource(path), artifacts.delete(path))
  }

  return Context.empty().pipe(
    Context.add(ExperimentTracker, trackerRbac),
    Context.add(ModelRegistry, registryRbac),
    Context.add(LoggedModels, modelsRbac),
    Context.add(Datasets, datasetsRbac),
    Context.add(ArtifactStore, artifactsRbac)
  )
})

/** The core services {@link layerRbac} decorates. */
export type RbacServices = ExperimentTracker | ModelRegistry | LoggedModels | Datasets | ArtifactStore

/**
 * Role-based access control around the five core services: each call is
 * checked against the role its action needs (`actions`, the one table) on
 * its experiment, registered model or tenant, and refused with `Forbidden`
 * otherwise; searches leave out what the caller may not read. The caller is
 * `CurrentCaller`, set by the server's authentication; in-process programs
 * have none and pass unchecked (they hold the database's credentials).
 * Creators become maintainers of the experiments and registered models they
 * create; grants on a registered model follow its renames and go with it.
 *
 * Provide it with the undecorated services (and give those, not these, to
 * `Grants.layer`, `Tenants.layer` and the registry's own tracker).
 *
 * @example
 * ```ts
 * const Core = Layer.mergeAll(Tracker, Registry, Models, Artifacts, Data)
 * const Guarded = layerRbac.pipe(Layer.provide(Core), Layer.provide(AuthorizerLive), Layer.provide(Sql))
 * ```
 */
export const layerRbac: Layer.Layer<RbacServices, never, RbacServices | Authorizer | SqlClient.SqlClient> =
  Layer.effectContext(make)
