//! SQL for the `api_keys` table.

use tokio_postgres::{Client, Row};

use crate::registry::account::Account;
use crate::registry::api_key;
use crate::registry::api_key::ApiKeyInfo;
use crate::registry::error::RegistryError;
use crate::registry::id::new_id;
use crate::registry::postgres::account_rows;
use crate::timestamp::Timestamp;

const KEY_COLUMNS: &str = "k.id, a.name, k.label, k.shown_prefix, k.created_at";

/// A key's listing from a row of [`KEY_COLUMNS`] starting at `start`.
fn from_row(row: &Row, start: usize) -> Result<ApiKeyInfo, RegistryError> {
    Ok(ApiKeyInfo {
        id: row.try_get(start)?,
        account: row.try_get(start + 1)?,
        label: row.try_get(start + 2)?,
        shown_prefix: row.try_get(start + 3)?,
        created_at: Timestamp::from_millis(row.try_get(start + 4)?),
    })
}

/// Stores `plaintext` (hashed) as a key of `account`. Storing the same key
/// for the same account again returns the entry already there.
pub(super) async fn insert(
    client: &mut Client,
    account: &str,
    label: &str,
    plaintext: &str,
) -> Result<ApiKeyInfo, RegistryError> {
    let hash = api_key::hash(plaintext);
    let tx = client.transaction().await?;
    let (account_id, account) = account_rows::require(&tx, account).await?;
    let info = ApiKeyInfo {
        id: new_id()?,
        account: account.name.to_string(),
        label: label.to_owned(),
        shown_prefix: api_key::shown_prefix(plaintext),
        created_at: Timestamp::now(),
    };
    // The unique `key_hash` decides between concurrent installs of one
    // key: whoever loses reads the winner's entry below.
    let inserted = tx
        .execute(
            "INSERT INTO api_keys (id, account_id, label, key_hash, shown_prefix, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_hash) DO NOTHING",
            &[
                &info.id,
                &account_id,
                &info.label,
                &&hash[..],
                &info.shown_prefix,
                &info.created_at.as_millis(),
            ],
        )
        .await?;
    if inserted == 1 {
        tx.commit().await?;
        return Ok(info);
    }
    let sql = format!(
        "SELECT k.account_id, {KEY_COLUMNS} FROM api_keys k
         JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = $1"
    );
    let row = tx.query_one(&sql, &[&&hash[..]]).await?;
    let owner: i64 = row.try_get(0)?;
    if owner == account_id {
        from_row(&row, 1)
    } else {
        Err(RegistryError::KeyInUse)
    }
}

pub(super) async fn authenticate(
    client: &Client,
    plaintext: &str,
) -> Result<Option<Account>, RegistryError> {
    let sql = format!(
        "SELECT {} FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = $1",
        account_rows::COLUMNS
    );
    let hash = api_key::hash(plaintext);
    let found = client.query_opt(&sql, &[&&hash[..]]).await?;
    found
        .map(|row| account_rows::from_row(&row, 0).map(|(_, account)| account))
        .transpose()
}

pub(super) async fn list(client: &Client, account: &str) -> Result<Vec<ApiKeyInfo>, RegistryError> {
    let (account_id, _) = account_rows::require(client, account).await?;
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id
         WHERE k.account_id = $1 ORDER BY k.created_at, k.seq"
    );
    client
        .query(&sql, &[&account_id])
        .await?
        .iter()
        .map(|row| from_row(row, 0))
        .collect()
}

pub(super) async fn revoke(
    client: &Client,
    account: &str,
    key_id: &str,
) -> Result<bool, RegistryError> {
    let (account_id, _) = account_rows::require(client, account).await?;
    let deleted = client
        .execute(
            "DELETE FROM api_keys WHERE id = $1 AND account_id = $2",
            &[&key_id, &account_id],
        )
        .await?;
    Ok(deleted > 0)
}
