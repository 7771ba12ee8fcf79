import { Layer } from "effect"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { PostgresTest } from "../../support/postgres.js"
import { SqliteTest } from "../../support/sqlite.js"
import { experimentTrackerContract } from "./ExperimentTracker.contract.js"

experimentTrackerContract("memory", ExperimentTracker.layerMemory)
experimentTrackerContract("sqlite", ExperimentTracker.layer.pipe(Layer.provide(SqliteTest)))
experimentTrackerContract("postgres", ExperimentTracker.layer.pipe(Layer.provide(PostgresTest)))
