export { Datasets, type DatasetsShape, type ReadError, type RegisterError } from "./Datasets.js"
export {
  DatasetHasNoContent,
  DatasetNotFound,
  DatasetReadError,
  DatasetVersionNotFound,
  InvalidDatasetFile,
  TransformFailed
} from "./errors.js"
export { logDatasetInput, toDatasetInput } from "./lineage.js"
export {
  type BytesSource,
  ColumnProfile,
  ColumnSchema,
  ColumnType,
  type DataObject,
  type DataRecord,
  DatasetContent,
  DatasetFormat,
  DatasetLineage,
  DatasetProfile,
  DatasetSchema,
  DatasetVersion,
  DatasetVersionRef,
  DataSource,
  type DataValue,
  type DeriveDataset,
  DistinctEstimate,
  type FileSource,
  HistogramBin,
  NumericSummary,
  type RegisterDataset,
  type RegisterDatasetMetadata,
  TopValue,
  TransformStep,
  type UploadSource,
  ValidationIssue,
  ValidationSummary,
  type VersionKey,
  type VersionSource
} from "./model.js"
export { Profiler } from "./profile.js"
export { type Bin, type HeavyHitter, HyperLogLog, Moments, SpaceSaving, StreamingHistogram } from "./sketches.js"
export {
  ColumnStatistics,
  fitStandardizer,
  type SplitOptions,
  Standardizer,
  Transform,
  type TransformError
} from "./transforms.js"
