import * as path from "node:path"

/**
 * The files of a data directory, as `makeBasicLayer` lays them out: the
 * SQLite store and the artifact store's root. Commands that work below the
 * services (gc, export, import) need the paths themselves.
 */
export const storePaths = (dataPath: string) => ({
  database: path.join(dataPath, "mlops.db"),
  artifacts: path.join(dataPath, "artifacts")
})

/** SQLite's companions of the database file in WAL mode. */
export const databaseSidecars = (database: string): ReadonlyArray<string> => [`${database}-wal`, `${database}-shm`]
