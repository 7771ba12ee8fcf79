import { Context, Effect, Layer } from "effect"
import { ArtifactStore } from "../../../core/artifacts/ArtifactStore.js"
import { type AuditCheckpointsShape, makeArtifactCheckpoints, makeMemoryCheckpoints } from "./checkpoints.js"

export type { AuditCheckpointsShape } from "./checkpoints.js"

/**
 * Where the head of each tenant's audit chain is checkpointed, outside the
 * audit table: someone who can delete the newest rows of `audit_log` cannot
 * also roll the checkpoint back (nor forge one: it carries a MAC under the
 * audit key), so `AuditTrail.verify` notices the chain ending early.
 *
 * Every replica must see the same checkpoints: use the artifact store they
 * share.
 */
export class AuditCheckpoints extends Context.Tag("effect-mlops/enterprise/AuditCheckpoints")<
  AuditCheckpoints,
  AuditCheckpointsShape
>() {
  /**
   * Checkpoints as `audit-checkpoints/<tenant>.json` in the `ArtifactStore`
   * provided. Provide the *un-prefixed* store (the enterprise layer's
   * `ArtifactStore.layer(<data>/artifacts)`, not the per-tenant one callers
   * of the API write through), so no tenant can reach the files.
   */
  static readonly layerArtifacts: Layer.Layer<AuditCheckpoints, never, ArtifactStore> = Layer.effect(
    this,
    Effect.map(ArtifactStore, makeArtifactCheckpoints)
  )

  /** In memory; each build of the layer gets its own empty store. */
  static readonly layerMemory: Layer.Layer<AuditCheckpoints> = Layer.effect(this, makeMemoryCheckpoints)
}
