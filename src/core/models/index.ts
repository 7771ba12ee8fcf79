export * from "./errors.js"
export {
  type LoggedModelComparison,
  type LoggedModelFilter,
  type LoggedModelOrder,
  parseLoggedModelFilter,
  parseLoggedModelOrderBy
} from "./filter.js"
export { LoggedModels, type LoggedModelsShape } from "./LoggedModels.js"
export * from "./model.js"
export { LoggedModelLimits } from "./validation.js"
