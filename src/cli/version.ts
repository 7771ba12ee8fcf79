/**
 * The version `effect-mlops --version` prints. Kept in a constant rather than
 * read from package.json at run time, whose path differs between the sources
 * and `dist/`; a test checks the two agree.
 */
export const cliVersion = "0.1.0"
