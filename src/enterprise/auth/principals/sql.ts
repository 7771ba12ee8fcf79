import { randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { Clock, Effect, Option } from "effect"
import { CurrentTenant, type TenantId } from "../../../core/context.js"
import { InvalidArgument } from "../../../core/errors.js"
import { withWriteTransaction } from "../../../storage/transaction.js"
import type { ExternalIdentity } from "../identity.js"
import {
  type CreatePrincipal,
  ExternalRef,
  Group,
  GroupAlreadyExists,
  GroupNotFound,
  PrincipalAlreadyExists,
  type PrincipalId,
  PrincipalNotFound,
  PrincipalRecord
} from "./model.js"

interface PrincipalRow {
  readonly principalId: string
  readonly tenantId: string
  readonly kind: "user" | "service_account"
  readonly username: string
  readonly email: string | null
  readonly displayName: string | null
  readonly externalIssuer: string | null
  readonly externalSubject: string | null
  readonly creationTime: number
  readonly lastLoginTime: number | null
  readonly disabled: number
}

interface GroupRow {
  readonly groupId: string
  readonly tenantId: string
  readonly name: string
  readonly external: number
  readonly creationTime: number
}

const toPrincipal = (row: PrincipalRow) =>
  new PrincipalRecord(
    {
      principalId: row.principalId as PrincipalId,
      tenantId: row.tenantId as TenantId,
      kind: row.kind,
      username: row.username,
      ...(row.email === null ? {} : { email: row.email }),
      ...(row.displayName === null ? {} : { displayName: row.displayName }),
      ...(row.externalIssuer === null || row.externalSubject === null
        ? {}
        : { external: new ExternalRef({ issuer: row.externalIssuer, subject: row.externalSubject }) }),
      creationTime: row.creationTime,
      ...(row.lastLoginTime === null ? {} : { lastLoginTime: row.lastLoginTime }),
      disabled: row.disabled !== 0
    },
    { disableValidation: true }
  )

const toGroup = (row: GroupRow) =>
  new Group(
    {
      groupId: row.groupId,
      tenantId: row.tenantId as TenantId,
      name: row.name,
      external: row.external !== 0,
      creationTime: row.creationTime
    },
    { disableValidation: true }
  )

const newId = (prefix: string) => `${prefix}-${randomBytes(16).toString("hex")}`

// User names travel in Basic-auth headers and MLflow's `user_id`: printable, no colon, no spaces at the ends.
const usernamePattern = /^[^\s:\p{Cc}](?:[^:\p{Cc}]{0,253}[^\s:\p{Cc}])?$/u
const groupPattern = /^[\w.\- @/]{1,200}$/

/** {@link Principals} over SQL; every query names the tenant, so it holds on SQLite too, where no RLS helps. */
export const makeSql = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const write = withWriteTransaction(sql)
  const principalColumns = sql.literal(
    "principal_id, tenant_id, kind, username, email, display_name, external_issuer, external_subject, creation_time, last_login_time, disabled"
  )

  const findBy = (tenant: TenantId, column: "principal_id" | "username", value: string) =>
    sql<PrincipalRow>`SELECT ${principalColumns} FROM principals
      WHERE tenant_id = ${tenant} AND ${sql(column)} = ${value}`.pipe(
      Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toPrincipal)),
      Effect.orDie
    )

  const findGroup = (tenant: TenantId, name: string) =>
    sql<GroupRow>`SELECT group_id, tenant_id, name, external, creation_time FROM principal_groups
      WHERE tenant_id = ${tenant} AND name = ${name}`.pipe(
      Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toGroup)),
      Effect.orDie
    )

  const create = Effect.fn("Principals.create")(function* (input: CreatePrincipal) {
    if (!usernamePattern.test(input.username)) {
      return yield* new InvalidArgument({
        field: "username",
        reason: "1-255 printable characters without a colon, not starting or ending with a space"
      })
    }
    const tenant = yield* CurrentTenant
    const creationTime = yield* Clock.currentTimeMillis
    const principalId = newId("p")
    const inserted = yield* write(
      Effect.gen(function* () {
        if (Option.isSome(yield* findBy(tenant, "username", input.username))) return false
        yield* sql`INSERT INTO principals ${sql.insert({
          principalId,
          tenantId: tenant,
          kind: input.kind,
          username: input.username,
          email: input.email ?? null,
          displayName: input.displayName ?? null,
          creationTime,
          disabled: 0
        })}`
        return true
      })
    ).pipe(Effect.orDie)
    if (!inserted) return yield* new PrincipalAlreadyExists({ username: input.username })
    return yield* get(principalId as PrincipalId).pipe(Effect.orDie)
  })

  const get = Effect.fn("Principals.get")(function* (principalId: PrincipalId) {
    const found = yield* findBy(yield* CurrentTenant, "principal_id", principalId)
    if (Option.isNone(found)) return yield* new PrincipalNotFound({ principal: principalId })
    return found.value
  })

  const findByUsername = Effect.fn("Principals.findByUsername")(function* (username: string) {
    const found = yield* findBy(yield* CurrentTenant, "username", username)
    if (Option.isNone(found)) return yield* new PrincipalNotFound({ principal: username })
    return found.value
  })

  const list = Effect.fn("Principals.list")(function* () {
    const tenant = yield* CurrentTenant
    const rows = yield* sql<PrincipalRow>`SELECT ${principalColumns} FROM principals
      WHERE tenant_id = ${tenant} ORDER BY username`.pipe(Effect.orDie)
    return rows.map(toPrincipal)
  })

  let revision = 0
  const setDisabled = Effect.fn("Principals.setDisabled")(function* (principalId: PrincipalId, disabled: boolean) {
    const principal = yield* get(principalId)
    yield* sql`UPDATE principals SET disabled = ${disabled ? 1 : 0}
      WHERE tenant_id = ${principal.tenantId} AND principal_id = ${principalId}`.pipe(Effect.orDie)
    revision++
  })

  const createGroupRow = (tenant: TenantId, name: string, external: boolean, creationTime: number) =>
    sql`INSERT INTO principal_groups ${sql.insert({
      groupId: newId("g"),
      tenantId: tenant,
      name,
      external: external ? 1 : 0,
      creationTime
    })}`

  const createGroup = Effect.fn("Principals.createGroup")(function* (name: string) {
    if (!groupPattern.test(name)) {
      return yield* new InvalidArgument({
        field: "name",
        reason: "1-200 letters, digits, spaces and . - _ @ /"
      })
    }
    const tenant = yield* CurrentTenant
    const creationTime = yield* Clock.currentTimeMillis
    const created = yield* write(
      Effect.gen(function* () {
        if (Option.isSome(yield* findGroup(tenant, name))) return false
        yield* createGroupRow(tenant, name, false, creationTime)
        return true
      })
    ).pipe(Effect.orDie)
    if (!created) return yield* new GroupAlreadyExists({ group: name })
    return Option.getOrThrow(yield* findGroup(tenant, name))
  })

  const listGroups = Effect.fn("Principals.listGroups")(function* () {
    const tenant = yield* CurrentTenant
    const rows = yield* sql<GroupRow>`SELECT group_id, tenant_id, name, external, creation_time FROM principal_groups
      WHERE tenant_id = ${tenant} ORDER BY name`.pipe(Effect.orDie)
    return rows.map(toGroup)
  })

  const requireGroup = (tenant: TenantId, name: string) =>
    Effect.flatMap(findGroup(tenant, name), (found) =>
      Option.isSome(found) ? Effect.succeed(found.value) : Effect.fail(new GroupNotFound({ group: name }))
    )

  const addMember = Effect.fn("Principals.addMember")(function* (groupName: string, principalId: PrincipalId) {
    const tenant = yield* CurrentTenant
    const group = yield* requireGroup(tenant, groupName)
    yield* get(principalId)
    yield* sql`INSERT INTO group_members ${sql.insert({ groupId: group.groupId, principalId, tenantId: tenant })}
      ON CONFLICT DO NOTHING`.pipe(Effect.orDie)
    revision++
  })

  const removeMember = Effect.fn("Principals.removeMember")(function* (groupName: string, principalId: PrincipalId) {
    const tenant = yield* CurrentTenant
    const group = yield* requireGroup(tenant, groupName)
    yield* sql`DELETE FROM group_members
      WHERE tenant_id = ${tenant} AND group_id = ${group.groupId} AND principal_id = ${principalId}`.pipe(Effect.orDie)
    revision++
  })

  const groupsOf = Effect.fn("Principals.groupsOf")(function* (principalId: PrincipalId) {
    const tenant = yield* CurrentTenant
    const rows = yield* sql<{ readonly name: string }>`SELECT g.name FROM group_members m
      JOIN principal_groups g ON g.group_id = m.group_id
      WHERE m.tenant_id = ${tenant} AND m.principal_id = ${principalId} ORDER BY g.name`.pipe(Effect.orDie)
    return rows.map((row) => row.name)
  })

  const provision = Effect.fn("Principals.provision")(function* (identity: ExternalIdentity) {
    const tenant = yield* CurrentTenant
    const now = yield* Clock.currentTimeMillis
    const principalId = yield* write(
      Effect.gen(function* () {
        const existing = yield* sql<{ readonly principalId: string }>`SELECT principal_id FROM principals
          WHERE tenant_id = ${tenant} AND external_issuer = ${identity.issuer}
            AND external_subject = ${identity.subject}`
        let id = existing[0]?.principalId
        if (id === undefined) {
          id = newId("p")
          // The email is the friendliest user name; a clash (or none) falls back to the subject.
          const preferred = identity.email ?? identity.subject
          const taken = Option.isSome(yield* findBy(tenant, "username", preferred))
          const username = taken ? `${preferred}#${identity.subject}` : preferred
          yield* sql`INSERT INTO principals ${sql.insert({
            principalId: id,
            tenantId: tenant,
            kind: "user",
            username,
            email: identity.email ?? null,
            displayName: identity.displayName ?? null,
            externalIssuer: identity.issuer,
            externalSubject: identity.subject,
            creationTime: now,
            lastLoginTime: now,
            disabled: 0
          })}`
        } else {
          yield* sql`UPDATE principals SET email = ${identity.email ?? null},
            display_name = ${identity.displayName ?? null}, last_login_time = ${now}
            WHERE tenant_id = ${tenant} AND principal_id = ${id}`
        }
        // SSO-managed groups mirror the claim; groups an administrator made stay as they are.
        const claimed = new Set(identity.groups.filter((name) => groupPattern.test(name)))
        const groupIds = new Map<string, string>()
        for (const name of claimed) {
          let group = yield* findGroup(tenant, name)
          if (Option.isNone(group)) {
            yield* createGroupRow(tenant, name, true, now)
            group = yield* findGroup(tenant, name)
          }
          if (Option.isSome(group) && group.value.external) groupIds.set(name, group.value.groupId)
        }
        yield* sql`DELETE FROM group_members WHERE tenant_id = ${tenant} AND principal_id = ${id}
          AND group_id IN (SELECT group_id FROM principal_groups WHERE tenant_id = ${tenant} AND external = 1)`
        for (const groupId of groupIds.values()) {
          yield* sql`INSERT INTO group_members ${sql.insert({ groupId, principalId: id, tenantId: tenant })}`
        }
        return id as PrincipalId
      })
    ).pipe(Effect.orDie)
    return yield* get(principalId).pipe(Effect.orDie)
  })

  return {
    revision: Effect.sync(() => revision),
    create,
    get,
    findByUsername,
    list,
    setDisabled,
    provision,
    createGroup,
    listGroups,
    addMember,
    removeMember,
    groupsOf
  }
})
