/**
 * MLflow 3.6 search filters and `order_by` clauses for runs and experiments:
 * parse to an AST, print it back, compile it to parameterised SQL, or apply it
 * in memory with the same semantics.
 */
export * from "./ast.js"
export { compareExperiments, compareRuns, matchesExperiment, matchesRun } from "./memory.js"
export { effectiveExperimentOrder, effectiveRunOrder } from "./order.js"
export { parseExperimentFilter, parseExperimentOrderBy, parseRunFilter, parseRunOrderBy } from "./parse.js"
export { printExperimentFilter, printRunFilter } from "./print.js"
export {
  compileExperimentFilter,
  compileExperimentOrderBy,
  compileRunFilter,
  compileRunOrderBy
} from "./sql.js"
