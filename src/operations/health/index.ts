export {
  artifactProbeTtl,
  artifactStoreCheck,
  databaseCheck,
  layerArtifactStoreCheck,
  layerDatabaseCheck,
  layerMigrationsCheck,
  layerStoreChecks,
  migrationsCheck
} from "./checks.js"
export { HealthCheckFailed } from "./errors.js"
export {
  type Check,
  type CheckOptions,
  defaultCheckTimeout,
  HealthCheck,
  type HealthCheckShape,
  type RegisteredCheck,
  runChecks
} from "./HealthCheck.js"
export { CheckReport, HealthReport } from "./model.js"
