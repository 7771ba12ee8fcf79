export { ArtifactStore, type ArtifactStoreShape } from "./ArtifactStore.js"
export { ArtifactNotFound, ArtifactStorageError, InvalidArtifactPath } from "./errors.js"
export { ArtifactInfo, FileEntry, Sha256Hex } from "./model.js"
export { artifactPathFromUri, normalizeArtifactPath, normalizeArtifactPrefix, runArtifactPath } from "./path.js"
