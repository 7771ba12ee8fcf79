/**
 * Helpers for testing programs built on effect-mlops. `TestLayer` (all core
 * services in memory) is re-exported here next to the single-service memory
 * layers, so a test can replace one service and keep the others.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { ExperimentTracker, ModelRegistry } from "effect-mlops"
 * import { memoryLayers } from "effect-mlops/testing"
 *
 * const OnlyTracking = memoryLayers.experimentTracker
 * ```
 */
import { ArtifactStore } from "../core/artifacts/ArtifactStore.js"
import { Datasets } from "../core/data/Datasets.js"
import { LoggedModels } from "../core/models/LoggedModels.js"
import { ModelRegistry } from "../core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../core/tracking/ExperimentTracker.js"

export { TestLayer } from "../../layers/Test.js"

/** The in-memory layer of each core service; each build starts empty. */
export const memoryLayers = {
  experimentTracker: ExperimentTracker.layerMemory,
  /** Needs an ExperimentTracker (for run checks and lineage). */
  modelRegistry: ModelRegistry.layerMemory,
  /** Needs an ExperimentTracker (for experiment and run checks). */
  loggedModels: LoggedModels.layerMemory,
  artifactStore: ArtifactStore.layerMemory,
  /** Needs an ArtifactStore (for the datasets' bytes). */
  datasets: Datasets.layerMemory
} as const
