import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { Effect } from "effect"
import { alerts } from "./alertsSchema.js"
import { metricChunks } from "./metricChunksSchema.js"
import { isolateTenant, run, tenant } from "./schema.js"
import { webhooks } from "./webhooksSchema.js"

const tracking = run((t) => [
  `CREATE TABLE experiments (
    experiment_id ${t.serial},
    ${tenant},
    name TEXT NOT NULL,
    artifact_location TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL,
    creation_time ${t.int} NOT NULL,
    last_update_time ${t.int} NOT NULL,
    UNIQUE (tenant_id, name)
  )`,
  // The Default experiment exists from the first migration, as in MLflow.
  `INSERT INTO experiments (experiment_id, tenant_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
   VALUES (0, 'default', 'Default', 'mlflow-artifacts:/0', 'active', 0, 0)`,
  `CREATE TABLE experiment_tags (
    experiment_id ${t.int} NOT NULL REFERENCES experiments (experiment_id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    ${tenant},
    PRIMARY KEY (experiment_id, key)
  )`,
  `CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    ${tenant},
    experiment_id ${t.int} NOT NULL REFERENCES experiments (experiment_id),
    name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time ${t.int} NOT NULL,
    end_time ${t.int},
    lifecycle_stage TEXT NOT NULL,
    artifact_uri TEXT NOT NULL,
    deleted_time ${t.int}
  )`,
  "CREATE INDEX runs_by_experiment ON runs (experiment_id, lifecycle_stage, start_time DESC, run_id)",
  `CREATE TABLE params (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    ${tenant},
    PRIMARY KEY (run_id, key)
  ) ${t.clustered}`,
  // Equality filters on params and tags (`params.x = 'a'`) read these once per search.
  t.valueIndex("params"),
  `CREATE TABLE tags (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    ${tenant},
    PRIMARY KEY (run_id, key)
  ) ${t.clustered}`,
  t.valueIndex("tags"),
  // The three metric tables take no foreign key to runs: ingest checks the run
  // in the same transaction and runs are never hard-deleted, while SQLite
  // would otherwise look the run up once per inserted point (about a sixth
  // of the ingest time in bench/ingest.ts).
  // Append-only history. NaN is stored as value 0 with is_nan = 1 because
  // SQLite turns NaN into NULL; ±Infinity round-trip natively on both dialects.
  `CREATE TABLE metrics (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    step ${t.int} NOT NULL,
    timestamp ${t.int} NOT NULL,
    value ${t.real} NOT NULL,
    is_nan ${t.int} NOT NULL,
    ${tenant}
  )`,
  "CREATE INDEX metrics_history ON metrics (run_id, key, step, timestamp)",
  // The latest point per (run, key), maintained in the ingest transaction for search and run views.
  `CREATE TABLE latest_metrics (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    step ${t.int} NOT NULL,
    timestamp ${t.int} NOT NULL,
    value ${t.real} NOT NULL,
    is_nan ${t.int} NOT NULL,
    ${tenant},
    PRIMARY KEY (run_id, key)
  ) ${t.clustered}`,
  "CREATE INDEX latest_metrics_by_key ON latest_metrics (key, value)",
  // Downsampling tiers for charts: per (run, key) and level L, one row per
  // bucket of 32^L steps holding its min and max points and its first NaN,
  // maintained in the ingest transaction. A chart over a million points
  // reads about a thousand rows instead of the raw series.
  `CREATE TABLE metric_tiers (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    level ${t.int} NOT NULL,
    bucket ${t.int} NOT NULL,
    count ${t.int} NOT NULL,
    min_step ${t.int},
    min_timestamp ${t.int},
    min_value ${t.real},
    max_step ${t.int},
    max_timestamp ${t.int},
    max_value ${t.real},
    nan_step ${t.int},
    nan_timestamp ${t.int},
    ${tenant},
    PRIMARY KEY (run_id, key, level, bucket)
  ) ${t.clustered}`,
  // Idempotency keys of applied write batches: a retried batch is acknowledged, not stored twice.
  `CREATE TABLE batch_keys (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    idempotency_key TEXT NOT NULL,
    created_at ${t.int} NOT NULL,
    ${tenant},
    PRIMARY KEY (run_id, idempotency_key)
  ) ${t.clustered}`,
  `CREATE TABLE datasets (
    dataset_id TEXT PRIMARY KEY,
    ${tenant},
    experiment_id ${t.int} NOT NULL REFERENCES experiments (experiment_id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source TEXT NOT NULL,
    schema TEXT,
    profile TEXT,
    UNIQUE (experiment_id, name, digest)
  )`,
  `CREATE TABLE run_inputs (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    dataset_id TEXT NOT NULL REFERENCES datasets (dataset_id),
    context TEXT,
    tags TEXT NOT NULL,
    position ${t.int} NOT NULL,
    ${tenant},
    PRIMARY KEY (run_id, dataset_id)
  )`
])

const registry = run((t) => [
  `CREATE TABLE registered_models (
    model_id ${t.serial},
    ${tenant},
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    creation_time ${t.int} NOT NULL,
    last_updated_time ${t.int} NOT NULL,
    next_version ${t.int} NOT NULL,
    UNIQUE (tenant_id, name)
  )`,
  `CREATE TABLE registered_model_tags (
    model_id ${t.int} NOT NULL REFERENCES registered_models (model_id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    ${tenant},
    PRIMARY KEY (model_id, key)
  )`,
  `CREATE TABLE model_versions (
    model_id ${t.int} NOT NULL REFERENCES registered_models (model_id),
    version ${t.int} NOT NULL,
    ${tenant},
    creation_time ${t.int} NOT NULL,
    last_updated_time ${t.int} NOT NULL,
    description TEXT NOT NULL,
    user_id TEXT NOT NULL,
    current_stage TEXT NOT NULL,
    source TEXT NOT NULL,
    run_id TEXT,
    run_link TEXT NOT NULL,
    status TEXT NOT NULL,
    status_message TEXT NOT NULL,
    PRIMARY KEY (model_id, version)
  )`,
  "CREATE INDEX model_versions_by_run ON model_versions (run_id)",
  `CREATE TABLE model_version_tags (
    model_id ${t.int} NOT NULL,
    version ${t.int} NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    ${tenant},
    PRIMARY KEY (model_id, version, key),
    FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
  )`,
  `CREATE TABLE model_aliases (
    model_id ${t.int} NOT NULL REFERENCES registered_models (model_id),
    alias TEXT NOT NULL,
    version ${t.int} NOT NULL,
    ${tenant},
    PRIMARY KEY (model_id, alias)
  )`,
  // Every alias move: set (from NULL), move (from -> to), delete (to NULL).
  `CREATE TABLE model_alias_history (
    history_id ${t.serial},
    model_id ${t.int} NOT NULL REFERENCES registered_models (model_id),
    alias TEXT NOT NULL,
    from_version ${t.int},
    to_version ${t.int},
    changed_by TEXT NOT NULL,
    changed_at ${t.int} NOT NULL,
    ${tenant}
  )`,
  "CREATE INDEX model_alias_history_by_alias ON model_alias_history (model_id, alias, history_id)"
])

// Dataset versions (the Datasets service). A version is reserved as a
// `pending` row before its content is streamed, and becomes `ready` with its
// digest, schema and profile once stored; readers only see `ready` rows.
const datasets = run((t) => [
  `CREATE TABLE dataset_versions (
    ${tenant},
    name TEXT NOT NULL,
    version ${t.int} NOT NULL,
    state TEXT NOT NULL,
    digest TEXT NOT NULL,
    source TEXT NOT NULL,
    source_type TEXT NOT NULL,
    context TEXT,
    format TEXT,
    artifact_path TEXT,
    size_bytes ${t.int},
    schema TEXT,
    profile TEXT,
    raw_schema TEXT,
    raw_profile TEXT,
    transform TEXT NOT NULL,
    created_at ${t.int} NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name, version)
  )`,
  "CREATE INDEX dataset_versions_by_digest ON dataset_versions (tenant_id, name, digest)",
  `CREATE TABLE dataset_version_parents (
    ${tenant},
    name TEXT NOT NULL,
    version ${t.int} NOT NULL,
    position ${t.int} NOT NULL,
    parent_name TEXT NOT NULL,
    parent_version ${t.int} NOT NULL,
    PRIMARY KEY (tenant_id, name, version, position),
    FOREIGN KEY (tenant_id, name, version) REFERENCES dataset_versions (tenant_id, name, version)
  )`
])

// MLflow 3 logged models (the LoggedModels service). `lifecycle_stage` makes
// deletion soft, so run outputs naming a deleted model stay readable. Metric
// points keep NaN as value 0 with is_nan = 1, as the run metrics do.
const loggedModels = run((t) => [
  `CREATE TABLE logged_models (
    model_id TEXT PRIMARY KEY,
    ${tenant},
    experiment_id ${t.int} NOT NULL REFERENCES experiments (experiment_id),
    name TEXT NOT NULL,
    artifact_location TEXT NOT NULL,
    creation_time ${t.int} NOT NULL,
    last_updated_time ${t.int} NOT NULL,
    status TEXT NOT NULL,
    status_message TEXT NOT NULL,
    model_type TEXT NOT NULL,
    source_run_id TEXT REFERENCES runs (run_id),
    lifecycle_stage TEXT NOT NULL
  )`,
  "CREATE INDEX logged_models_by_experiment ON logged_models (experiment_id, creation_time DESC, model_id)",
  `CREATE TABLE logged_model_tags (
    model_id TEXT NOT NULL REFERENCES logged_models (model_id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    ${tenant},
    PRIMARY KEY (model_id, key)
  ) ${t.clustered}`,
  `CREATE TABLE logged_model_params (
    model_id TEXT NOT NULL REFERENCES logged_models (model_id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    ${tenant},
    PRIMARY KEY (model_id, key)
  ) ${t.clustered}`,
  `CREATE TABLE logged_model_metrics (
    metric_id ${t.serial},
    model_id TEXT NOT NULL REFERENCES logged_models (model_id),
    key TEXT NOT NULL,
    step ${t.int} NOT NULL,
    timestamp ${t.int} NOT NULL,
    value ${t.real} NOT NULL,
    is_nan ${t.int} NOT NULL,
    run_id TEXT,
    dataset_name TEXT,
    dataset_digest TEXT,
    ${tenant}
  )`,
  // Filters and orders on `metrics.<key>` read the latest point by this index.
  "CREATE INDEX logged_model_metrics_latest ON logged_model_metrics (model_id, key, step, timestamp)",
  `CREATE TABLE run_outputs (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    model_id TEXT NOT NULL REFERENCES logged_models (model_id),
    step ${t.int} NOT NULL,
    ${tenant},
    PRIMARY KEY (run_id, model_id)
  ) ${t.clustered}`
])

/** Every table that holds tenant data; each new one joins the isolation in its own migration. */
const tenantTables = [
  "experiments",
  "experiment_tags",
  "runs",
  "params",
  "tags",
  "metrics",
  "latest_metrics",
  "metric_tiers",
  "batch_keys",
  "datasets",
  "run_inputs",
  "registered_models",
  "registered_model_tags",
  "model_versions",
  "model_version_tags",
  "model_aliases",
  "model_alias_history",
  "dataset_versions",
  "dataset_version_parents",
  "logged_models",
  "logged_model_tags",
  "logged_model_params",
  "logged_model_metrics",
  "run_outputs"
] as const

// Tenants (workspaces) and, on PostgreSQL, their isolation. The tenants table
// itself is global: authentication resolves a tenant before one is set.
const tenancy = run((t) => [
  `CREATE TABLE tenants (
    tenant_id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    creation_time ${t.int} NOT NULL
  )`,
  "INSERT INTO tenants (tenant_id, display_name, creation_time) VALUES ('default', 'Default', 0)",
  ...(t.dialect === "pg" ? tenantTables.flatMap(isolateTenant) : [])
])

// Users, service accounts, groups and API keys, per tenant. An API key is
// found by its public id before any tenant is known: on PostgreSQL a second
// policy shows a key row to a transaction that names exactly that key id
// (`app.api_key_id`), and nothing else.
const identities = run((t) => [
  `CREATE TABLE principals (
    principal_id TEXT PRIMARY KEY,
    ${tenant},
    kind TEXT NOT NULL,
    username TEXT NOT NULL,
    email TEXT,
    display_name TEXT,
    external_issuer TEXT,
    external_subject TEXT,
    creation_time ${t.int} NOT NULL,
    last_login_time ${t.int},
    disabled ${t.int} NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, username),
    UNIQUE (tenant_id, external_issuer, external_subject)
  )`,
  `CREATE TABLE principal_groups (
    group_id TEXT PRIMARY KEY,
    ${tenant},
    name TEXT NOT NULL,
    external ${t.int} NOT NULL DEFAULT 0,
    creation_time ${t.int} NOT NULL,
    UNIQUE (tenant_id, name)
  )`,
  `CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES principal_groups (group_id),
    principal_id TEXT NOT NULL REFERENCES principals (principal_id),
    ${tenant},
    PRIMARY KEY (group_id, principal_id)
  )`,
  "CREATE INDEX group_members_by_principal ON group_members (principal_id)",
  `CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    ${tenant},
    principal_id TEXT NOT NULL REFERENCES principals (principal_id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    creation_time ${t.int} NOT NULL,
    expires_at ${t.int},
    last_used_at ${t.int},
    revoked_at ${t.int}
  )`,
  "CREATE INDEX api_keys_by_principal ON api_keys (principal_id)",
  ...(t.dialect === "pg"
    ? [
        ...["principals", "principal_groups", "group_members", "api_keys"].flatMap(isolateTenant),
        `CREATE POLICY api_key_lookup ON api_keys FOR SELECT
          USING (key_id = current_setting('app.api_key_id', true))`
      ]
    : [])
])

// Role grants (RBAC) and the audit trail. Grants name a principal or a group
// and a resource: the tenant itself (resource_id ''), an experiment or a
// registered model. The audit trail is one hash chain per tenant; the
// application may append to it and read it, never change it.
const authorization = run((t) => [
  `CREATE TABLE role_grants (
    ${tenant},
    grantee_kind TEXT NOT NULL,
    grantee_id TEXT NOT NULL,
    resource_kind TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    role TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at ${t.int} NOT NULL,
    PRIMARY KEY (tenant_id, resource_kind, resource_id, grantee_kind, grantee_id)
  ) ${t.clustered}`,
  "CREATE INDEX role_grants_by_grantee ON role_grants (tenant_id, grantee_kind, grantee_id)",
  `CREATE TABLE audit_log (
    ${tenant},
    seq ${t.int} NOT NULL,
    entry_time ${t.int} NOT NULL,
    principal TEXT NOT NULL,
    action TEXT NOT NULL,
    resource_kind TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    request_id TEXT,
    outcome TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
  ) ${t.clustered}`,
  "CREATE INDEX audit_log_by_time ON audit_log (tenant_id, entry_time)",
  ...(t.dialect === "pg"
    ? [
        ...["role_grants", "audit_log"].flatMap(isolateTenant),
        // A signed-in person may belong to several tenants (one principal in
        // each): the tenant switcher finds them by the SSO identity, which a
        // transaction names in `app.sso_issuer` and `app.sso_subject`.
        `CREATE POLICY sso_lookup ON principals FOR SELECT
          USING (external_issuer = current_setting('app.sso_issuer', true)
            AND external_subject = current_setting('app.sso_subject', true))`
      ]
    : [])
])

// Single-use ids of single sign-on, shared by every replica: SAML assertions
// already accepted (replay) and AuthnRequests issued (InResponseTo). They
// precede any tenant, so the table has none.
const ssoNonces = run((t) => [
  `CREATE TABLE sso_nonces (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    value TEXT,
    created_at ${t.int} NOT NULL,
    expires_at ${t.int} NOT NULL,
    PRIMARY KEY (kind, id)
  )`,
  "CREATE INDEX sso_nonces_by_expiry ON sso_nonces (expires_at)"
])

/**
 * The migrations, keyed as `@effect/sql`'s `Migrator.fromRecord` expects
 * (`<id>_<name>`). Append only: never edit a migration that has shipped.
 */
export const migrations: Record<string, Effect.Effect<void, SqlError, SqlClient.SqlClient>> = {
  "1_tracking": tracking,
  "2_registry": registry,
  "3_datasets": datasets,
  "4_logged_models": loggedModels,
  "5_tenancy": tenancy,
  "6_identities": identities,
  "7_authorization": authorization,
  "8_sso_nonces": ssoNonces,
  "9_webhooks": webhooks,
  "10_alerts": alerts,
  "11_metric_chunks": metricChunks
}

/** The highest schema version this release knows. */
export const latestSchemaVersion = 11
