//! The SQLite schema, as ordered migrations.
//!
//! `PRAGMA user_version` holds how many have been applied. Append new
//! migrations at the end; never edit one that has shipped, since databases
//! in the field have already run it.

use rusqlite::{Connection, TransactionBehavior};

use crate::registry::error::RegistryError;

/// The migrations, oldest first.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, keys, algorithms, builds and versions.
    r"
    CREATE TABLE accounts (
        id          INTEGER PRIMARY KEY,
        -- NOCASE: `Demo` and `demo` are one account, so no one can register
        -- a look-alike of an existing name.
        name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
        kind        TEXT NOT NULL CHECK (kind IN ('user', 'organization')),
        created_at  INTEGER NOT NULL
    );

    CREATE TABLE memberships (
        organization_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        user_id         INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        PRIMARY KEY (organization_id, user_id)
    ) WITHOUT ROWID;

    CREATE TABLE api_keys (
        id            TEXT PRIMARY KEY,
        account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        label         TEXT NOT NULL,
        -- SHA-256 of the key; the key itself is never stored.
        key_hash      BLOB NOT NULL UNIQUE,
        shown_prefix  TEXT NOT NULL,
        created_at    INTEGER NOT NULL
    );
    CREATE INDEX api_keys_by_account ON api_keys (account_id);

    CREATE TABLE algorithms (
        seq         INTEGER PRIMARY KEY,
        id          TEXT NOT NULL UNIQUE,
        owner_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        name        TEXT NOT NULL COLLATE NOCASE,
        label       TEXT NOT NULL,
        summary     TEXT NOT NULL,
        tagline     TEXT NOT NULL,
        -- JSON of `Settings`: new settings need no migration, and readers
        -- fill in defaults for fields older rows lack.
        settings    TEXT NOT NULL,
        source      TEXT,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        UNIQUE (owner_id, name)
    );

    CREATE TABLE builds (
        -- `seq` orders builds (newest first) and is the pagination marker.
        seq           INTEGER PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        algorithm_id  TEXT NOT NULL REFERENCES algorithms (id) ON DELETE CASCADE,
        commit_sha    TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('in-progress', 'succeeded', 'failed')),
        started_at    INTEGER NOT NULL,
        finished_at   INTEGER,
        logs          TEXT NOT NULL
    );
    CREATE INDEX builds_by_algorithm ON builds (algorithm_id, seq);

    CREATE TABLE versions (
        seq            INTEGER PRIMARY KEY,
        algorithm_id   TEXT NOT NULL REFERENCES algorithms (id) ON DELETE CASCADE,
        version        TEXT NOT NULL,
        version_uuid   TEXT NOT NULL UNIQUE,
        build_id       TEXT NOT NULL UNIQUE REFERENCES builds (id) ON DELETE CASCADE,
        commit_sha     TEXT NOT NULL,
        release_notes  TEXT NOT NULL,
        sample_input   TEXT NOT NULL,
        sample_output  TEXT NOT NULL,
        callability    TEXT NOT NULL CHECK (callability IN ('public', 'private')),
        settings       TEXT NOT NULL,
        published_at   INTEGER NOT NULL,
        UNIQUE (algorithm_id, version),
        -- A hash names at most one version, so calling by hash is unambiguous.
        UNIQUE (algorithm_id, commit_sha)
    );
    CREATE INDEX versions_by_algorithm ON versions (algorithm_id, seq);

    -- Published versions never change; deleting the algorithm removes them.
    CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
    BEGIN
        SELECT RAISE(ABORT, 'published versions never change');
    END;
    ",
    // 2: a module may be published again (a rollback to known-good code is
    // a new version of an earlier module, built anew). SQLite cannot drop a
    // constraint, so `versions` is rebuilt without `UNIQUE (algorithm_id,
    // commit_sha)`; `build_id` stays unique: each build publishes once.
    r"
    CREATE TABLE versions_v2 (
        seq            INTEGER PRIMARY KEY,
        algorithm_id   TEXT NOT NULL REFERENCES algorithms (id) ON DELETE CASCADE,
        version        TEXT NOT NULL,
        version_uuid   TEXT NOT NULL UNIQUE,
        build_id       TEXT NOT NULL UNIQUE REFERENCES builds (id) ON DELETE CASCADE,
        commit_sha     TEXT NOT NULL,
        release_notes  TEXT NOT NULL,
        sample_input   TEXT NOT NULL,
        sample_output  TEXT NOT NULL,
        callability    TEXT NOT NULL CHECK (callability IN ('public', 'private')),
        settings       TEXT NOT NULL,
        published_at   INTEGER NOT NULL,
        UNIQUE (algorithm_id, version)
    );
    INSERT INTO versions_v2 SELECT * FROM versions;
    DROP TABLE versions;
    ALTER TABLE versions_v2 RENAME TO versions;
    CREATE INDEX versions_by_algorithm ON versions (algorithm_id, seq);
    CREATE INDEX versions_by_hash ON versions (algorithm_id, commit_sha, seq);

    -- Published versions never change; deleting the algorithm removes them.
    CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
    BEGIN
        SELECT RAISE(ABORT, 'published versions never change');
    END;
    ",
    // 3: every module uploaded to an algorithm, so a compile may name one
    // of them (not just the last), and never another algorithm's.
    r"
    CREATE TABLE uploads (
        algorithm_id  TEXT NOT NULL REFERENCES algorithms (id) ON DELETE CASCADE,
        hash          TEXT NOT NULL,
        uploaded_at   INTEGER NOT NULL,
        PRIMARY KEY (algorithm_id, hash)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO uploads SELECT algorithm_id, commit_sha, started_at FROM builds;
    INSERT OR IGNORE INTO uploads
        SELECT id, source, updated_at FROM algorithms WHERE source IS NOT NULL;
    ",
    // 4: each build's owning node and the lease it holds while compiling,
    // so that an abandoned compile (its request dropped, say) does not
    // stay in progress until the next start. Builds from before hold no
    // lease; a single node fails those at start anyway.
    r"
    ALTER TABLE builds ADD COLUMN owner TEXT;
    ALTER TABLE builds ADD COLUMN lease_until INTEGER;
    ",
];

/// Applies the migrations `conn` has not run yet, each in its own
/// transaction with its `user_version` bump, so a crash leaves the database
/// at a whole step.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), RegistryError> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > MIGRATIONS.len() {
        return Err(RegistryError::Storage(format!(
            "the database has schema version {applied}, but this algobox knows only {}; upgrade algobox or open another database",
            MIGRATIONS.len()
        )));
    }
    for (version, sql) in (1i64..).zip(MIGRATIONS).skip(applied) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::registry::sqlite::schema::*;

    #[test]
    fn migrates_once_and_refuses_newer_databases() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);

        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(err.to_string().contains("upgrade algobox"), "{err}");
    }

    #[test]
    fn rebuilding_versions_keeps_what_was_published_and_immutable() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, kind, created_at) VALUES (1, 'demo', 'user', 0);
             INSERT INTO algorithms (id, owner_id, name, label, summary, tagline, settings,
                created_at, updated_at) VALUES ('a', 1, 'Hello', 'Hello', '', '', '{}', 0, 0);
             INSERT INTO builds (id, algorithm_id, commit_sha, status, started_at, logs)
                VALUES ('b1', 'a', 'h', 'succeeded', 0, ''), ('b2', 'a', 'h', 'succeeded', 0, '');
             INSERT INTO versions (algorithm_id, version, version_uuid, build_id, commit_sha,
                release_notes, sample_input, sample_output, callability, settings, published_at)
                VALUES ('a', '0.1.0', 'u1', 'b1', 'h', 'first', '', '', 'public', '{}', 0);",
        )
        .unwrap();

        migrate(&mut conn).unwrap();

        let notes: String = conn
            .query_row(
                "SELECT release_notes FROM versions WHERE build_id = 'b1'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(notes, "first");
        // The same module under another build now publishes...
        conn.execute(
            "INSERT INTO versions (algorithm_id, version, version_uuid, build_id, commit_sha,
                release_notes, sample_input, sample_output, callability, settings, published_at)
                VALUES ('a', '0.1.1', 'u2', 'b2', 'h', 'rollback', '', '', 'public', '{}', 0)",
            [],
        )
        .unwrap();
        // ...while a build still publishes once, and versions stay immutable.
        let twice = conn.execute(
            "INSERT INTO versions (algorithm_id, version, version_uuid, build_id, commit_sha,
                release_notes, sample_input, sample_output, callability, settings, published_at)
                VALUES ('a', '0.2.0', 'u3', 'b2', 'h', '', '', '', 'public', '{}', 0)",
            [],
        );
        assert!(twice.is_err());
        let edited = conn
            .execute("UPDATE versions SET release_notes = 'edited'", [])
            .unwrap_err();
        assert!(edited.to_string().contains("never change"), "{edited}");
    }
}
