import { Schema } from "effect"

/**
 * Wire schemas shared by the native API's groups: the request bodies of
 * service inputs that the core declares as plain interfaces.
 */

/** A `{ key, value }` pair in a request body. */
export const KeyValue = Schema.Struct({ key: Schema.String, value: Schema.String })

/** An optional field that, when present, is never `undefined` (matches `exactOptionalPropertyTypes`). */
export const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

/** A non-negative integer carried in a query string. */
export const IntFromString = Schema.NumberFromString.pipe(Schema.int())

/** A schema issue's path as the core names fields: `["metrics", 3, "key"]` is `metrics[3].key`. */
export const fieldPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (field, key) =>
      typeof key === "number" ? `${field}[${key}]` : field === "" ? String(key) : `${field}.${String(key)}`,
    ""
  )
