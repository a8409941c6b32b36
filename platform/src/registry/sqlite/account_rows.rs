//! SQL for the `accounts` and `memberships` tables.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::identity::AccountName;
use crate::registry::account::{Account, AccountKind};
use crate::registry::error::RegistryError;
use crate::registry::sqlite::column::parsed;
use crate::timestamp::Timestamp;

/// The columns [`from_row`] reads, prefixed by `a.`.
pub(super) const COLUMNS: &str = "a.id, a.name, a.kind, a.created_at";

/// An account and its row id from a row of [`COLUMNS`] starting at `start`.
pub(super) fn from_row(row: &Row<'_>, start: usize) -> rusqlite::Result<(i64, Account)> {
    Ok((
        row.get(start)?,
        Account {
            name: row.get(start + 1)?,
            kind: parsed(row, start + 2)?,
            created_at: Timestamp::from_millis(row.get(start + 3)?),
        },
    ))
}

pub(super) fn create(
    conn: &mut Connection,
    name: &AccountName,
    kind: AccountKind,
) -> Result<Account, RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some((_, existing)) = find(&tx, name.as_str())? {
        return Err(RegistryError::AlreadyExists {
            what: "account",
            name: existing.name.to_string(),
        });
    }
    let created_at = Timestamp::now();
    tx.execute(
        "INSERT INTO accounts (name, kind, created_at) VALUES (?1, ?2, ?3)",
        params![name, kind.as_str(), created_at.as_millis()],
    )?;
    tx.commit()?;
    Ok(Account {
        name: name.clone(),
        kind,
        created_at,
    })
}

pub(super) fn get(conn: &Connection, name: &str) -> Result<Option<Account>, RegistryError> {
    Ok(find(conn, name)?.map(|(_, account)| account))
}

/// The account and its row id, if it exists.
pub(super) fn find(conn: &Connection, name: &str) -> Result<Option<(i64, Account)>, RegistryError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts a WHERE a.name = ?1");
    Ok(conn
        .query_row(&sql, [name], |row| from_row(row, 0))
        .optional()?)
}

/// The account and its row id, or [`RegistryError::NoSuchAccount`].
pub(super) fn require(conn: &Connection, name: &str) -> Result<(i64, Account), RegistryError> {
    find(conn, name)?.ok_or_else(|| RegistryError::NoSuchAccount {
        name: name.to_owned(),
    })
}

fn require_kind(account: &Account, expected: AccountKind) -> Result<(), RegistryError> {
    if account.kind == expected {
        return Ok(());
    }
    Err(RegistryError::WrongAccountKind {
        name: account.name.to_string(),
        expected: expected.with_article(),
        actual: account.kind.with_article(),
    })
}

pub(super) fn add_member(
    conn: &mut Connection,
    organization: &str,
    user: &str,
) -> Result<(), RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (organization_id, organization) = require(&tx, organization)?;
    require_kind(&organization, AccountKind::Organization)?;
    let (user_id, user) = require(&tx, user)?;
    require_kind(&user, AccountKind::User)?;
    tx.execute(
        "INSERT OR IGNORE INTO memberships (organization_id, user_id) VALUES (?1, ?2)",
        [organization_id, user_id],
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn is_member(
    conn: &Connection,
    organization: &str,
    user: &str,
) -> Result<bool, RegistryError> {
    Ok(conn.query_row(
        "SELECT EXISTS (
            SELECT 1 FROM memberships m
            JOIN accounts o ON o.id = m.organization_id
            JOIN accounts u ON u.id = m.user_id
            WHERE o.name = ?1 AND u.name = ?2
        )",
        [organization, user],
        |row| row.get(0),
    )?)
}
