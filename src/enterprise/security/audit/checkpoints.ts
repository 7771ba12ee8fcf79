import { Effect, Option, Ref, Schema } from "effect"
import type { ArtifactStoreShape } from "../../../core/artifacts/ArtifactStore.js"
import { AuditCheckpoint, AuditCheckpointError } from "./model.js"

/** The operations of `AuditCheckpoints`. */
export interface AuditCheckpointsShape {
  /** The tenant's checkpoint; None when none was ever written (or it was removed). */
  readonly read: (tenantId: string) => Effect.Effect<Option.Option<AuditCheckpoint>, AuditCheckpointError>
  /** Replaces the tenant's checkpoint. */
  readonly write: (tenantId: string, checkpoint: AuditCheckpoint) => Effect.Effect<void, AuditCheckpointError>
}

/** Where a tenant's checkpoint lives in the artifact store given to {@link makeArtifactCheckpoints}. */
export const checkpointPath = (tenantId: string): string => `audit-checkpoints/${encodeURIComponent(tenantId)}.json`

const decodeCheckpoint = Schema.decodeUnknownEither(Schema.parseJson(AuditCheckpoint))
const encodeCheckpoint = Schema.encodeSync(Schema.parseJson(AuditCheckpoint))

/**
 * Checkpoints as small JSON files `audit-checkpoints/<tenant>.json` in
 * `store`, which must be a store no tenant can write through the API: the
 * un-prefixed store under the enterprise configuration's per-tenant one
 * (whose tenants' files all live under `tenants/<tenant>/`).
 */
export const makeArtifactCheckpoints = (store: ArtifactStoreShape): AuditCheckpointsShape => ({
  read: (tenantId) =>
    store.getBytes(checkpointPath(tenantId)).pipe(
      Effect.map((bytes) => Option.some(Buffer.from(bytes).toString("utf8"))),
      Effect.catchTag("ArtifactNotFound", () => Effect.succeed(Option.none<string>())),
      Effect.mapError(
        (error) => new AuditCheckpointError({ tenantId, operation: "read", reason: `${error._tag}: ${error.message}` })
      ),
      Effect.flatMap(
        Option.match({
          onNone: () => Effect.succeed(Option.none<AuditCheckpoint>()),
          onSome: (text) =>
            decodeCheckpoint(text).pipe(
              Effect.map(Option.some),
              Effect.mapError(
                () => new AuditCheckpointError({ tenantId, operation: "read", reason: "not a checkpoint file" })
              )
            )
        })
      ),
      Effect.withSpan("AuditCheckpoints.read")
    ),
  write: (tenantId, checkpoint) =>
    store.putBytes(checkpointPath(tenantId), encodeCheckpoint(checkpoint)).pipe(
      Effect.mapError(
        (error) => new AuditCheckpointError({ tenantId, operation: "write", reason: `${error._tag}: ${error.message}` })
      ),
      Effect.asVoid,
      Effect.withSpan("AuditCheckpoints.write")
    )
})

/** Checkpoints in memory (tests); each call is a separate, empty store. */
export const makeMemoryCheckpoints: Effect.Effect<AuditCheckpointsShape> = Effect.map(
  Ref.make(new Map<string, AuditCheckpoint>()),
  (ref) => ({
    read: (tenantId) => Effect.map(Ref.get(ref), (all) => Option.fromNullable(all.get(tenantId))),
    write: (tenantId, checkpoint) => Ref.update(ref, (all) => new Map(all).set(tenantId, checkpoint))
  })
)
