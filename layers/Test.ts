import { Layer } from "effect"
import { ArtifactStore } from "../src/core/artifacts/ArtifactStore.js"
import { Datasets } from "../src/core/data/Datasets.js"
import { LoggedModels } from "../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../src/core/tracking/ExperimentTracker.js"
import { AlertStore } from "../src/operations/alerts/AlertStore.js"
import { DriftMonitor } from "../src/operations/drift/DriftMonitor.js"
import { HealthCheck } from "../src/operations/health/HealthCheck.js"
import type { CoreServices } from "./Basic.js"

/**
 * Every core service in memory, for your own tests: nothing touches the disk
 * and each build of the layer starts empty (provide it per test for
 * isolation, or once per suite with `@effect/vitest`'s `layer`). Its
 * `HealthCheck` starts with no checks: register your own.
 *
 * @example
 * ```ts
 * import { it } from "@effect/vitest"
 * import { TestLayer } from "effect-mlops/layers"
 *
 * it.effect("trains", () => myTraining.pipe(Effect.provide(TestLayer)))
 * ```
 */
export const TestLayer: Layer.Layer<CoreServices> = DriftMonitor.layer.pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      ModelRegistry.layerMemory,
      LoggedModels.layerMemory,
      Datasets.layerMemory,
      HealthCheck.layer,
      AlertStore.layerMemory
    ).pipe(Layer.provideMerge(ExperimentTracker.layerMemory), Layer.provideMerge(ArtifactStore.layerMemory))
  )
)
