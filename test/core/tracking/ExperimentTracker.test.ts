import { Layer } from "effect"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { SqliteTest } from "../../support/sqlite.js"
import { experimentTrackerContract } from "./ExperimentTracker.contract.js"

experimentTrackerContract("memory", ExperimentTracker.layerMemory)
experimentTrackerContract("sqlite", ExperimentTracker.layer.pipe(Layer.provide(SqliteTest)))
