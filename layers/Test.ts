import { Layer } from "effect"
import { ArtifactStore } from "../src/core/artifacts/ArtifactStore.js"
import { Datasets } from "../src/core/data/Datasets.js"
import { LoggedModels } from "../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../src/core/tracking/ExperimentTracker.js"
import type { CoreServices } from "./Basic.js"

/**
 * Every core service in memory, for your own tests: nothing touches the disk
 * and each build of the layer starts empty (provide it per test for
 * isolation, or once per suite with `@effect/vitest`'s `layer`).
 *
 * @example
 * ```ts
 * import { it } from "@effect/vitest"
 * import { TestLayer } from "effect-mlops/layers"
 *
 * it.effect("trains", () => myTraining.pipe(Effect.provide(TestLayer)))
 * ```
 */
export const TestLayer: Layer.Layer<CoreServices> = Layer.mergeAll(
  ModelRegistry.layerMemory,
  LoggedModels.layerMemory,
  Datasets.layerMemory
).pipe(Layer.provideMerge(ExperimentTracker.layerMemory), Layer.provideMerge(ArtifactStore.layerMemory))
