// README: "Build your own composition". SQLite for metadata, artifacts in memory.
import { Layer } from "effect"
import { ArtifactStore, ExperimentTracker, ModelRegistry } from "effect-mlops"
import { makeSqliteLayer } from "effect-mlops/layers"

// Bind each infrastructure layer to one constant: layers are memoised by reference.
const SqlLive = makeSqliteLayer({ filename: "./metadata.db" })
const TrackerLive = ExperimentTracker.layer.pipe(Layer.provide(SqlLive))

export const MyLayer = Layer.mergeAll(
  TrackerLive,
  ModelRegistry.layer.pipe(Layer.provide(TrackerLive), Layer.provide(SqlLive)),
  ArtifactStore.layerMemory
)
