/**
 * effect-mlops: experiment tracking, a model registry, artifact storage and
 * versioned datasets as Effect services. Provide a configuration from
 * `effect-mlops/layers` (`BasicLayer`, `TestLayer`, or your own composition)
 * at the edge.
 */
export * from "./core/artifacts/index.js"
export * from "./core/data/index.js"
export { CurrentPrincipal, CurrentTenant, Principal, TenantId } from "./core/context.js"
export { currentMethodSpans, layerWithoutMethodSpans } from "./core/spans.js"
export { Forbidden, InvalidArgument, InvalidPageToken, LimitExceeded, StoreVersionTooNew } from "./core/errors.js"
export { Limits } from "./core/limits.js"
export * from "./core/models/index.js"
export * from "./core/registry/index.js"
export * from "./core/tracking/index.js"
export * from "./operations/alerts/index.js"
export * from "./operations/drift/index.js"
export * from "./operations/health/index.js"
export * from "./operations/webhooks/index.js"
