import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option, Redacted, Schema } from "effect"
import { CurrentTenant, TenantId } from "../../core/context.js"
import { ApiKeys } from "../../enterprise/auth/apiKeys/ApiKeys.js"
import { ApiKey } from "../../enterprise/auth/apiKeys/model.js"
import { Group, PrincipalId, PrincipalRecord } from "../../enterprise/auth/principals/model.js"
import { Principals } from "../../enterprise/auth/principals/Principals.js"
import { Grants } from "../../enterprise/auth/rbac/Grants.js"
import {
  Grant,
  type Grantee,
  Resource,
  ResourceKind,
  type ResourceRef,
  Role,
  resourceLabel
} from "../../enterprise/auth/rbac/model.js"
import { GrantNotFound } from "../../enterprise/http/admin/errors.js"
import { Tenant } from "../../enterprise/tenancy/model.js"
import { Tenants } from "../../enterprise/tenancy/Tenants.js"
import { parseAge } from "../duration.js"
import { onEnterprise } from "../enterprise.js"
import { UsageError } from "../errors.js"
import { group } from "../group.js"
import { formatTime, printJson, printTable } from "../output.js"

/*
 * Administration of an enterprise deployment. These commands open the
 * PostgreSQL store themselves with the environment of `EnterpriseLayer`
 * (MLOPS_DATABASE_URL, MLOPS_API_KEY_PEPPER, …): whoever holds the database
 * credentials administers it, which is how the first tenant, user and API
 * key come to exist.
 */

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of a table"))
const tenantOption = Options.text("tenant").pipe(
  Options.withDescription("The tenant (workspace) to act in"),
  Options.withDefault("default")
)

/** Runs `effect` in the tenant named by `--tenant`, on the enterprise store. */
const inTenant =
  (tenant: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const decoded = Schema.decodeUnknownOption(TenantId)(tenant)
      if (Option.isNone(decoded)) return yield* new UsageError({ reason: `--tenant: "${tenant}" is not a tenant id` })
      yield* (yield* Tenants).get(decoded.value)
      return yield* Effect.provideService(effect, CurrentTenant, decoded.value)
    })

const tenantsCreate = Command.make(
  "create",
  {
    json,
    id: Args.text({ name: "ID" }).pipe(Args.withDescription("Tenant id: lowercase letters, digits and dashes")),
    name: Options.text("name").pipe(Options.withDescription("Display name (default: the id)"), Options.optional)
  },
  (flags) =>
    Effect.gen(function* () {
      const tenant = yield* (yield* Tenants).create({
        tenantId: flags.id,
        ...Option.match(flags.name, { onNone: () => ({}), onSome: (displayName) => ({ displayName }) })
      })
      if (flags.json) return yield* printJson(Tenant, tenant)
      yield* Console.log(`created tenant "${tenant.tenantId}"`)
    }).pipe(onEnterprise)
).pipe(Command.withDescription("Create a tenant (workspace) with its own Default experiment"))

const tenantsList = Command.make("list", { json }, (flags) =>
  Effect.gen(function* () {
    const tenants = yield* (yield* Tenants).list()
    if (flags.json) return yield* printJson(Schema.Array(Tenant), tenants)
    yield* printTable(
      ["id", "name", "created"],
      tenants.map((t) => [t.tenantId, t.displayName, formatTime(t.creationTime)]),
      "no tenants"
    )
  }).pipe(onEnterprise)
).pipe(Command.withDescription("List tenants"))

const usersCreate = Command.make(
  "create",
  {
    json,
    tenant: tenantOption,
    username: Args.text({ name: "USERNAME" }),
    serviceAccount: Options.boolean("service-account").pipe(
      Options.withDescription("A service account (API keys only) rather than a person")
    ),
    email: Options.text("email").pipe(Options.optional),
    displayName: Options.text("display-name").pipe(Options.optional)
  },
  (flags) =>
    Effect.gen(function* () {
      const principal = yield* (yield* Principals).create({
        username: flags.username,
        kind: flags.serviceAccount ? "service_account" : "user",
        ...Option.match(flags.email, { onNone: () => ({}), onSome: (email) => ({ email }) }),
        ...Option.match(flags.displayName, { onNone: () => ({}), onSome: (displayName) => ({ displayName }) })
      })
      if (flags.json) return yield* printJson(PrincipalRecord, principal)
      yield* Console.log(
        `created ${principal.kind.replace("_", " ")} "${principal.username}" (${principal.principalId})`
      )
    }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("Create a user or service account in a tenant"))

const usersList = Command.make("list", { json, tenant: tenantOption }, (flags) =>
  Effect.gen(function* () {
    const principals = yield* (yield* Principals).list()
    if (flags.json) return yield* printJson(Schema.Array(PrincipalRecord), principals)
    yield* printTable(
      ["username", "kind", "email", "sso", "disabled", "id"],
      principals.map((p) => [
        p.username,
        p.kind,
        p.email ?? null,
        p.external?.issuer ?? null,
        p.disabled ? "yes" : "no",
        p.principalId
      ]),
      "no users"
    )
  }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("List the users and service accounts of a tenant"))

const usersSetDisabled = (name: "disable" | "enable") =>
  Command.make(name, { tenant: tenantOption, username: Args.text({ name: "USERNAME" }) }, (flags) =>
    Effect.gen(function* () {
      const principals = yield* Principals
      const principal = yield* principals.findByUsername(flags.username)
      yield* principals.setDisabled(principal.principalId, name === "disable")
      yield* Console.log(`${name}d "${principal.username}"`)
    }).pipe(inTenant(flags.tenant), onEnterprise)
  ).pipe(Command.withDescription(name === "disable" ? "Stop a principal from authenticating" : "Let it again"))

const groupsCreate = Command.make(
  "create",
  { json, tenant: tenantOption, name: Args.text({ name: "NAME" }) },
  (flags) =>
    Effect.gen(function* () {
      const created = yield* (yield* Principals).createGroup(flags.name)
      if (flags.json) return yield* printJson(Group, created)
      yield* Console.log(`created group "${created.name}"`)
    }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("Create a group in a tenant"))

const groupsList = Command.make("list", { json, tenant: tenantOption }, (flags) =>
  Effect.gen(function* () {
    const groups = yield* (yield* Principals).listGroups()
    if (flags.json) return yield* printJson(Schema.Array(Group), groups)
    yield* printTable(
      ["name", "managed by", "created"],
      groups.map((g) => [g.name, g.external ? "sso" : "admin", formatTime(g.creationTime)]),
      "no groups"
    )
  }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("List the groups of a tenant"))

const membership = (name: "add-member" | "remove-member") =>
  Command.make(
    name,
    { tenant: tenantOption, group: Args.text({ name: "GROUP" }), username: Args.text({ name: "USERNAME" }) },
    (flags) =>
      Effect.gen(function* () {
        const principals = yield* Principals
        const principal = yield* principals.findByUsername(flags.username)
        yield* name === "add-member"
          ? principals.addMember(flags.group, principal.principalId)
          : principals.removeMember(flags.group, principal.principalId)
        yield* Console.log(
          `${name === "add-member" ? "added" : "removed"} "${flags.username}" ${name === "add-member" ? "to" : "from"} "${flags.group}"`
        )
      }).pipe(inTenant(flags.tenant), onEnterprise)
  ).pipe(Command.withDescription(name === "add-member" ? "Add a principal to a group" : "Remove it"))

const keysCreate = Command.make(
  "create",
  {
    tenant: tenantOption,
    username: Options.text("user").pipe(Options.withDescription("The user or service account the key acts as")),
    name: Options.text("name").pipe(Options.withDescription("What the key is for")),
    expiresIn: Options.text("expires-in").pipe(
      Options.withDescription("Lifetime such as 90d or 12h (default: no expiry)"),
      Options.optional
    )
  },
  (flags) =>
    Effect.gen(function* () {
      const lifetime = Option.map(flags.expiresIn, parseAge)
      if (Option.isSome(lifetime) && lifetime.value === undefined) {
        return yield* new UsageError({ reason: "--expires-in: use days, hours, minutes, seconds such as 90d or 1d12h" })
      }
      const principal = yield* (yield* Principals).findByUsername(flags.username)
      const { apiKey, key } = yield* (yield* ApiKeys).create({
        principalId: principal.principalId,
        name: flags.name,
        ...(Option.isSome(lifetime) && lifetime.value !== undefined ? { expiresAt: Date.now() + lifetime.value } : {})
      })
      // The only time the secret is shown: it is stored as a digest.
      yield* Console.log(Redacted.value(key))
      yield* Console.error(
        `created API key ${apiKey.keyId} for "${principal.username}"; it is shown once, keep it safe`
      )
    }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("Issue an API key and print it once on stdout"))

const keysList = Command.make(
  "list",
  { json, tenant: tenantOption, username: Options.text("user").pipe(Options.optional) },
  (flags) =>
    Effect.gen(function* () {
      const principals = yield* Principals
      const owner = yield* Option.match(flags.username, {
        onNone: () => Effect.succeed(undefined),
        onSome: (username) => Effect.map(principals.findByUsername(username), (p) => p.principalId)
      })
      const keys = yield* (yield* ApiKeys).list(owner)
      if (flags.json) return yield* printJson(Schema.Array(ApiKey), keys)
      yield* printTable(
        ["key id", "name", "principal", "created", "expires", "last used", "revoked"],
        keys.map((k) => [
          k.keyId,
          k.name,
          k.principalId,
          formatTime(k.creationTime),
          k.expiresAt === undefined ? null : formatTime(k.expiresAt),
          k.lastUsedAt === undefined ? null : formatTime(k.lastUsedAt),
          k.revokedAt === undefined ? null : formatTime(k.revokedAt)
        ]),
        "no API keys"
      )
    }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("List API keys (never their secrets)"))

const keysRevoke = Command.make("revoke", { tenant: tenantOption, keyId: Args.text({ name: "KEY_ID" }) }, (flags) =>
  Effect.gen(function* () {
    yield* (yield* ApiKeys).revoke(flags.keyId)
    yield* Console.log(`revoked API key ${flags.keyId}`)
  }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("Revoke an API key"))

const granteeOptions = {
  user: Options.text("user").pipe(
    Options.withDescription("The user or service account (user name or principal id) the grant is to"),
    Options.optional
  ),
  group: Options.text("group").pipe(Options.withDescription("The group the grant is to"), Options.optional)
}
const resourceOptions = {
  resourceKind: Options.choice("resource-kind", ResourceKind.literals).pipe(
    Options.withDescription("What the grant is on (default: the tenant)"),
    Options.withDefault("tenant" as const)
  ),
  resourceId: Options.text("resource-id").pipe(
    Options.withDescription("The experiment id or the registered model name (none for the tenant)"),
    Options.optional
  )
}

const isPrincipalId = Schema.is(PrincipalId)

/** The grantee of `--user` or `--group` (exactly one), and how messages name it. */
const granteeOf = (flags: { readonly user: Option.Option<string>; readonly group: Option.Option<string> }) =>
  Effect.gen(function* () {
    if (Option.isSome(flags.user) === Option.isSome(flags.group)) {
      return yield* new UsageError({ reason: "name exactly one grantee: --user USERNAME or --group GROUP" })
    }
    if (Option.isSome(flags.user)) {
      const principals = yield* Principals
      const ref = flags.user.value
      const principal = yield* isPrincipalId(ref) ? principals.get(ref) : principals.findByUsername(ref)
      const grantee: Grantee = { kind: "principal", principalId: principal.principalId }
      return { grantee, label: `${principal.kind.replace("_", " ")} "${principal.username}"` }
    }
    const name = Option.getOrElse(flags.group, () => "")
    const grantee: Grantee = { kind: "group", group: name }
    return { grantee, label: `group "${name}"` }
  })

/** The resource of `--resource-kind` and `--resource-id`. */
const resourceOf = (flags: {
  readonly resourceKind: ResourceKind
  readonly resourceId: Option.Option<string>
}): Effect.Effect<ResourceRef, UsageError> => {
  if (flags.resourceKind === "tenant") {
    return Option.isSome(flags.resourceId)
      ? Effect.fail(new UsageError({ reason: "--resource-id: a tenant grant names no resource id" }))
      : Effect.succeed(Resource.tenant)
  }
  return Option.match(flags.resourceId, {
    onNone: () =>
      Effect.fail(new UsageError({ reason: `--resource-id: required for --resource-kind ${flags.resourceKind}` })),
    onSome: (id) => Effect.succeed({ kind: flags.resourceKind, id })
  })
}

const grantsGrant = Command.make(
  "grant",
  {
    json,
    tenant: tenantOption,
    ...granteeOptions,
    ...resourceOptions,
    role: Options.choice("role", Role.literals).pipe(
      Options.withDescription("none, viewer, editor, maintainer or admin (admin on the tenant only)")
    )
  },
  (flags) =>
    Effect.gen(function* () {
      const { grantee, label } = yield* granteeOf(flags)
      const resource = yield* resourceOf(flags)
      const { before, after } = yield* (yield* Grants).grant({ grantee, resource, role: flags.role })
      if (flags.json) return yield* printJson(Grant, after)
      const was = Option.match(before, { onNone: () => "", onSome: (grant) => ` (was ${grant.role})` })
      yield* Console.log(`granted ${after.role} on ${resourceLabel(resource)} to ${label}${was}`)
    }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("Grant a role to a user or group, replacing its role there"))

const grantsRevoke = Command.make("revoke", { tenant: tenantOption, ...granteeOptions, ...resourceOptions }, (flags) =>
  Effect.gen(function* () {
    const { grantee, label } = yield* granteeOf(flags)
    const resource = yield* resourceOf(flags)
    const revoked = yield* (yield* Grants).revoke(grantee, resource)
    if (Option.isNone(revoked)) {
      return yield* new GrantNotFound({ grantee: label, resource: resourceLabel(resource) })
    }
    yield* Console.log(`revoked ${revoked.value.role} on ${resourceLabel(resource)} from ${label}`)
  }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("Revoke a user's or group's own grant on a resource"))

const grantsList = Command.make(
  "list",
  {
    json,
    tenant: tenantOption,
    ...granteeOptions,
    resourceKind: Options.choice("resource-kind", ResourceKind.literals).pipe(
      Options.withDescription("The grants on this kind of resource (default: the tenant's)"),
      Options.optional
    ),
    resourceId: resourceOptions.resourceId
  },
  (flags) =>
    Effect.gen(function* () {
      const grants = yield* Grants
      const byGrantee = Option.isSome(flags.user) || Option.isSome(flags.group)
      const listed = byGrantee
        ? yield* grants.listFor((yield* granteeOf(flags)).grantee)
        : yield* grants.list(
            yield* resourceOf({
              resourceKind: Option.getOrElse(flags.resourceKind, () => "tenant" as const),
              resourceId: flags.resourceId
            })
          )
      if (flags.json) return yield* printJson(Schema.Array(Grant), listed)
      yield* printTable(
        ["grantee", "name", "resource", "role", "granted by", "granted"],
        listed.map((g) => [
          g.granteeKind,
          g.granteeName,
          resourceLabel(g.resource),
          g.role,
          g.grantedBy,
          formatTime(g.grantedAt)
        ]),
        "no grants"
      )
    }).pipe(inTenant(flags.tenant), onEnterprise)
).pipe(Command.withDescription("List the grants on a resource (default: the tenant), or a user's or group's"))

const tenants = group("tenants", "Create and list tenants", ["create", "list"]).pipe(
  Command.withSubcommands([tenantsCreate, tenantsList])
)
const users = group("users", "Users and service accounts of a tenant", ["create", "list", "disable", "enable"]).pipe(
  Command.withSubcommands([usersCreate, usersList, usersSetDisabled("disable"), usersSetDisabled("enable")])
)
const groups = group("groups", "Groups of a tenant", ["create", "list", "add-member", "remove-member"]).pipe(
  Command.withSubcommands([groupsCreate, groupsList, membership("add-member"), membership("remove-member")])
)
const keys = group("keys", "API keys of users and service accounts", ["create", "list", "revoke"]).pipe(
  Command.withSubcommands([keysCreate, keysList, keysRevoke])
)
const grants = group("grants", "Roles of users and groups on the tenant, experiments and registered models", [
  "grant",
  "revoke",
  "list"
]).pipe(Command.withSubcommands([grantsGrant, grantsRevoke, grantsList]))

/** `effect-mlops admin …`: tenants, users, groups, API keys and role grants of an enterprise deployment. */
export const adminCommand = group("admin", "Administer an enterprise deployment (PostgreSQL, from the environment)", [
  "tenants",
  "users",
  "groups",
  "keys",
  "grants"
]).pipe(Command.withSubcommands([tenants, users, groups, keys, grants]))
