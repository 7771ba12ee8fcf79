import { createRequire } from "node:module"

// Resolved through the package's own exports, so source and dist builds read the same file.
const manifest: unknown = createRequire(import.meta.url)("effect-mlops/package.json")

/** The version of the installed effect-mlops package. */
export const packageVersion: string =
  typeof manifest === "object" && manifest !== null && "version" in manifest && typeof manifest.version === "string"
    ? manifest.version
    : "0.0.0"
