import type { Effect, Option } from "effect"
import type { DatasetVersion } from "./model.js"

/**
 * Where an implementation keeps version metadata (the bytes go to the
 * ArtifactStore). Every method works in the `CurrentTenant`, and fails only
 * with defects: the service above maps absence to domain errors.
 *
 * Numbering: `reserve` takes the next number with a pending entry that
 * readers never see, so content can be streamed to its final artifact path
 * before its digest is known; `commit` makes it visible (or hands back the
 * version that already has the digest); `release` drops a reservation.
 */
export interface DatasetRepository {
  readonly reserve: (name: string) => Effect.Effect<number>
  /**
   * Publishes `candidate` in place of its reservation. When a published
   * version of the name already has the candidate's digest, the reservation
   * is released instead and that version is returned.
   */
  readonly commit: (candidate: DatasetVersion) => Effect.Effect<DatasetVersion>
  readonly release: (name: string, version: number) => Effect.Effect<void>
  readonly find: (name: string, version: number) => Effect.Effect<Option.Option<DatasetVersion>>
  readonly latest: (name: string) => Effect.Effect<Option.Option<DatasetVersion>>
  /** Published versions of `name`, oldest first. */
  readonly versions: (name: string) => Effect.Effect<ReadonlyArray<DatasetVersion>>
  /** Names with at least one published version, sorted. */
  readonly names: Effect.Effect<ReadonlyArray<string>>
}
