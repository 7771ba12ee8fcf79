export * from "./errors.js"
export {
  type FilterClause,
  type NumberOp,
  parseModelVersionFilter,
  parseRegisteredModelFilter,
  type StringField,
  type StringOp
} from "./filter.js"
export * from "./model.js"
export { ModelRegistry, type ModelRegistryShape } from "./ModelRegistry.js"
export { RegistryLimits } from "./validation.js"
