import { Layer } from "effect"
import { LoggedModels } from "../../../src/core/models/LoggedModels.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { PostgresTest } from "../../support/postgres.js"
import { SqliteTest } from "../../support/sqlite.js"
import { loggedModelsContract } from "./LoggedModels.contract.js"

loggedModelsContract("memory", LoggedModels.layerMemory.pipe(Layer.provideMerge(ExperimentTracker.layerMemory)))

// Logged models and tracker share one SQLite store, as in BasicLayer.
loggedModelsContract(
  "sqlite",
  LoggedModels.layer.pipe(Layer.provideMerge(ExperimentTracker.layer), Layer.provideMerge(SqliteTest))
)

loggedModelsContract(
  "postgres",
  LoggedModels.layer.pipe(Layer.provideMerge(ExperimentTracker.layer), Layer.provideMerge(PostgresTest))
)
