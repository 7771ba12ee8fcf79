import { Layer } from "effect"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { PostgresTest } from "../../support/postgres.js"
import { SqliteTest } from "../../support/sqlite.js"
import { modelRegistryContract } from "./ModelRegistry.contract.js"

modelRegistryContract("memory", ModelRegistry.layerMemory.pipe(Layer.provideMerge(ExperimentTracker.layerMemory)))

// Registry and tracker share one SQLite store, as in BasicLayer.
modelRegistryContract(
  "sqlite",
  ModelRegistry.layer.pipe(Layer.provideMerge(ExperimentTracker.layer), Layer.provideMerge(SqliteTest))
)

modelRegistryContract(
  "postgres",
  ModelRegistry.layer.pipe(Layer.provideMerge(ExperimentTracker.layer), Layer.provideMerge(PostgresTest))
)
