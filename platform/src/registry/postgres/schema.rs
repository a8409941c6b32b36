//! The PostgreSQL schema, as ordered migrations.
//!
//! `schema_version` holds one row per migration applied. Append new
//! migrations at the end; never edit one that has shipped, since databases
//! in the field have already run it.

use tokio_postgres::Client;

use crate::registry::error::RegistryError;
use crate::timestamp::Timestamp;

/// The key of the advisory lock that servers migrating one database take
/// turns on ("algobox1" in ASCII); only algobox uses it.
const MIGRATION_LOCK: i64 = 0x616c_676f_626f_7831;

/// The migrations, oldest first.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: accounts, keys, algorithms, uploads, builds and versions, as the
    // SQLite registry has them after its third migration.
    r"
    CREATE TABLE accounts (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name        TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('user', 'organization')),
        created_at  BIGINT NOT NULL
    );
    -- `Demo` and `demo` are one account, so no one can register a
    -- look-alike of an existing name. Names are ASCII, which `lower` folds
    -- the same way in every locale.
    CREATE UNIQUE INDEX accounts_by_name ON accounts (lower(name));

    CREATE TABLE memberships (
        organization_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        user_id         BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        PRIMARY KEY (organization_id, user_id)
    );

    CREATE TABLE api_keys (
        seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        account_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        label         TEXT NOT NULL,
        -- SHA-256 of the key; the key itself is never stored.
        key_hash      BYTEA NOT NULL UNIQUE,
        shown_prefix  TEXT NOT NULL,
        created_at    BIGINT NOT NULL
    );
    CREATE INDEX api_keys_by_account ON api_keys (account_id);

    CREATE TABLE algorithms (
        seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id          TEXT NOT NULL UNIQUE,
        owner_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        label       TEXT NOT NULL,
        summary     TEXT NOT NULL,
        tagline     TEXT NOT NULL,
        -- JSON of `Settings`, as text: new settings need no migration, and
        -- readers fill in defaults for fields older rows lack.
        settings    TEXT NOT NULL,
        source      TEXT,
        created_at  BIGINT NOT NULL,
        updated_at  BIGINT NOT NULL
    );
    CREATE UNIQUE INDEX algorithms_by_name ON algorithms (owner_id, lower(name));

    -- Every module uploaded to an algorithm, so a compile may name one of
    -- them (not just the last), and never another algorithm's.
    CREATE TABLE uploads (
        algorithm_id  TEXT NOT NULL REFERENCES algorithms (id) ON DELETE CASCADE,
        hash          TEXT NOT NULL,
        uploaded_at   BIGINT NOT NULL,
        PRIMARY KEY (algorithm_id, hash)
    );

    CREATE TABLE builds (
        -- `seq` orders builds (newest first) and is the pagination marker.
        seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        algorithm_id  TEXT NOT NULL REFERENCES algorithms (id) ON DELETE CASCADE,
        commit_sha    TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('in-progress', 'succeeded', 'failed')),
        started_at    BIGINT NOT NULL,
        finished_at   BIGINT,
        logs          TEXT NOT NULL
    );
    CREATE INDEX builds_by_algorithm ON builds (algorithm_id, seq);
    CREATE INDEX builds_in_progress ON builds (status) WHERE status = 'in-progress';

    CREATE TABLE versions (
        seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        algorithm_id   TEXT NOT NULL REFERENCES algorithms (id) ON DELETE CASCADE,
        version        TEXT NOT NULL,
        version_uuid   TEXT NOT NULL UNIQUE,
        -- Each build publishes once; a module may publish again under a
        -- new build (a rollback).
        build_id       TEXT NOT NULL UNIQUE REFERENCES builds (id) ON DELETE CASCADE,
        commit_sha     TEXT NOT NULL,
        release_notes  TEXT NOT NULL,
        sample_input   TEXT NOT NULL,
        sample_output  TEXT NOT NULL,
        callability    TEXT NOT NULL CHECK (callability IN ('public', 'private')),
        settings       TEXT NOT NULL,
        published_at   BIGINT NOT NULL,
        UNIQUE (algorithm_id, version)
    );
    CREATE INDEX versions_by_algorithm ON versions (algorithm_id, seq);
    CREATE INDEX versions_by_hash ON versions (algorithm_id, commit_sha, seq);

    -- Published versions never change; deleting the algorithm removes them.
    CREATE FUNCTION versions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'published versions never change';
    END
    $$;
    CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
        FOR EACH ROW EXECUTE FUNCTION versions_are_immutable();
    ",
    // 2: each build's owning node and the lease it holds while compiling,
    // so that a node fails only builds whose owner stopped renewing, never
    // another live node's. Builds recorded by nodes not yet upgraded (a
    // rolling upgrade) get ten minutes from the default, as do those in
    // progress now, rather than failing at once; finished ones hold none.
    r"
    ALTER TABLE builds ADD COLUMN owner TEXT;
    ALTER TABLE builds ADD COLUMN lease_until BIGINT
        DEFAULT ((EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + 600000);
    UPDATE builds SET lease_until = NULL WHERE status <> 'in-progress';
    ",
    // 3: the Data API's collections and file index, for a cluster's
    // `ClusterDataStore` (the bytes are in NATS JetStream). They live in
    // the registry's database because a cluster has one.
    r#"
    CREATE TABLE data_collections (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        -- In lower case: owners match without regard to case.
        owner       TEXT NOT NULL,
        -- Byte order ("C"), so listings page in the same order on every
        -- database, whatever its collation, as the folder store lists.
        name        TEXT COLLATE "C" NOT NULL,
        -- JSON of `Acl`, as text.
        acl         TEXT NOT NULL,
        created_at  BIGINT NOT NULL,
        UNIQUE (owner, name)
    );

    CREATE TABLE data_files (
        collection_id  BIGINT NOT NULL REFERENCES data_collections (id) ON DELETE CASCADE,
        name           TEXT COLLATE "C" NOT NULL,
        size           BIGINT NOT NULL,
        modified_at    BIGINT NOT NULL,
        -- The object in the cluster's `<cluster>_files` bucket: a fresh key
        -- per write, so a replacement never touches the bytes readers of
        -- the old file are reading.
        object_key     TEXT NOT NULL UNIQUE,
        PRIMARY KEY (collection_id, name)
    );
    "#,
    // 4: the Data API objects a replace or delete superseded, kept until
    // the reads that began before have had time to end; a sweeper deletes
    // them from the bucket once `superseded_at` (the database's clock, in
    // milliseconds, so every node measures from one clock) is older than
    // its grace period.
    r"
    CREATE TABLE data_superseded_objects (
        object_key     TEXT PRIMARY KEY,
        superseded_at  BIGINT NOT NULL
    );
    CREATE INDEX data_superseded_by_time ON data_superseded_objects (superseded_at);
    ",
];

/// Applies the migrations the database has not run yet, in one
/// transaction holding an advisory lock: servers starting at once on one
/// database wait for each other, and the later ones find the work done. A
/// crash rolls the transaction back, leaving the schema as it was.
pub(super) async fn migrate(client: &mut Client) -> Result<(), RegistryError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version     INTEGER PRIMARY KEY,
            applied_at  BIGINT NOT NULL
        )",
    )
    .await?;
    let applied: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await?
        .try_get(0)?;
    let applied = usize::try_from(applied).unwrap_or(0);
    if applied > MIGRATIONS.len() {
        return Err(RegistryError::Storage(format!(
            "the database has schema version {applied}, but this algobox knows only {}; upgrade algobox or use another database",
            MIGRATIONS.len()
        )));
    }
    for (version, sql) in (1i32..).zip(MIGRATIONS).skip(applied) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
            &[&version, &Timestamp::now().as_millis()],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
