import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer } from "effect"
import { ArtifactStore } from "../../../src/core/artifacts/ArtifactStore.js"
import { Datasets } from "../../../src/core/data/Datasets.js"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { PostgresTest } from "../../support/postgres.js"
import { SqliteTest, tempDir } from "../../support/sqlite.js"
import { datasetsContract } from "./Datasets.contract.js"

datasetsContract(
  "memory",
  Layer.mergeAll(Datasets.layerMemory, ModelRegistry.layerMemory).pipe(
    Layer.provideMerge(ExperimentTracker.layerMemory),
    Layer.provideMerge(ArtifactStore.layerMemory)
  )
)

// As in BasicLayer: one SQLite store for metadata, artifacts on the local disk.
const LocalArtifacts = Layer.unwrapScoped(
  Effect.map(tempDir("effect-mlops-dataset-artifacts"), (dir) => ArtifactStore.layer(dir))
).pipe(Layer.provide(NodeContext.layer))

datasetsContract(
  "sqlite",
  Layer.mergeAll(Datasets.layer, ModelRegistry.layer).pipe(
    Layer.provideMerge(ExperimentTracker.layer),
    Layer.provideMerge(LocalArtifacts),
    Layer.provideMerge(SqliteTest)
  )
)

datasetsContract(
  "postgres",
  Layer.mergeAll(Datasets.layer, ModelRegistry.layer).pipe(
    Layer.provideMerge(ExperimentTracker.layer),
    Layer.provideMerge(LocalArtifacts),
    Layer.provideMerge(PostgresTest)
  )
)
