//! SQL for the `api_keys` table.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::registry::account::Account;

use crate::registry::api_key::ApiKeyInfo;

use crate::registry::error::RegistryError;

use crate::registry::sqlite::account_rows;

use crate::registry::api_key;

use crate::registry::id::new_id;
use crate::timestamp::Timestamp;

const KEY_COLUMNS: &str = "k.id, a.name, k.label, k.shown_prefix, k.created_at";

/// A key's listing from a row of [`KEY_COLUMNS`] starting at `start`.
fn from_row(row: &Row<'_>, start: usize) -> rusqlite::Result<ApiKeyInfo> {
    Ok(ApiKeyInfo {
        id: row.get(start)?,
        account: row.get(start + 1)?,
        label: row.get(start + 2)?,
        shown_prefix: row.get(start + 3)?,
        created_at: Timestamp::from_millis(row.get(start + 4)?),
    })
}

/// Stores `plaintext` (hashed) as a key of `account`. Storing the same key
/// for the same account again returns the entry already there.
pub(super) fn insert(
    conn: &mut Connection,
    account: &str,
    label: &str,
    plaintext: &str,
) -> Result<ApiKeyInfo, RegistryError> {
    let hash = api_key::hash(plaintext);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (account_id, account) = account_rows::require(&tx, account)?;
    let sql = format!(
        "SELECT k.account_id, {KEY_COLUMNS} FROM api_keys k
         JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = ?1"
    );
    let existing = tx
        .query_row(&sql, [&hash[..]], |row| {
            Ok((row.get::<_, i64>(0)?, from_row(row, 1)?))
        })
        .optional()?;
    if let Some((owner, info)) = existing {
        return if owner == account_id {
            Ok(info)
        } else {
            Err(RegistryError::KeyInUse)
        };
    }
    let info = ApiKeyInfo {
        id: new_id()?,
        account: account.name.to_string(),
        label: label.to_owned(),
        shown_prefix: api_key::shown_prefix(plaintext),
        created_at: Timestamp::now(),
    };
    tx.execute(
        "INSERT INTO api_keys (id, account_id, label, key_hash, shown_prefix, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            info.id,
            account_id,
            info.label,
            &hash[..],
            info.shown_prefix,
            info.created_at.as_millis()
        ],
    )?;
    tx.commit()?;
    Ok(info)
}

pub(super) fn authenticate(
    conn: &Connection,
    plaintext: &str,
) -> Result<Option<Account>, RegistryError> {
    let sql = format!(
        "SELECT {} FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = ?1",
        account_rows::COLUMNS
    );
    let hash = api_key::hash(plaintext);
    let found = conn
        .query_row(&sql, [&hash[..]], |row| account_rows::from_row(row, 0))
        .optional()?;
    Ok(found.map(|(_, account)| account))
}

pub(super) fn list(conn: &Connection, account: &str) -> Result<Vec<ApiKeyInfo>, RegistryError> {
    let (account_id, _) = account_rows::require(conn, account)?;
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id
         WHERE k.account_id = ?1 ORDER BY k.created_at, k.rowid"
    );
    let mut statement = conn.prepare(&sql)?;
    let keys = statement
        .query_map([account_id], |row| from_row(row, 0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(keys)
}

pub(super) fn revoke(
    conn: &Connection,
    account: &str,
    key_id: &str,
) -> Result<bool, RegistryError> {
    let (account_id, _) = account_rows::require(conn, account)?;
    let deleted = conn.execute(
        "DELETE FROM api_keys WHERE id = ?1 AND account_id = ?2",
        params![key_id, account_id],
    )?;
    Ok(deleted > 0)
}

// The behaviour of keys is in the conformance suite (`registry::conformance`);
// this checks what only SQL can see.
#[cfg(test)]
mod tests {
    use crate::registry::account::AccountKind;
    use crate::registry::conformance::acct;
    use crate::registry::sqlite::SqliteRegistry;

    #[test]
    fn the_key_itself_is_not_stored() {
        let registry = SqliteRegistry::in_memory().unwrap();
        registry
            .create_account(&acct("alice"), AccountKind::User)
            .unwrap();
        let (_, key) = registry.create_key(&acct("alice"), "ci").unwrap();
        let conn = registry.conn();
        let (stored, length): (Vec<u8>, i64) = conn
            .query_row(
                "SELECT key_hash, length(key_hash) FROM api_keys",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(length, 32);
        assert_ne!(stored, key.as_bytes());
        assert_eq!(stored, crate::registry::api_key::hash(&key));
        let leaks: i64 = conn
            .query_row(
                "SELECT count(*) FROM api_keys WHERE instr(CAST(key_hash AS TEXT), ?1) > 0
                 OR instr(label, ?1) > 0 OR instr(id, ?1) > 0",
                [&key],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(leaks, 0);
    }
}
