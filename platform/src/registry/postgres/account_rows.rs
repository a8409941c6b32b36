//! SQL for the `accounts` and `memberships` tables.

use tokio_postgres::{Client, GenericClient, Row};

use crate::identity::AccountName;
use crate::registry::account::{Account, AccountKind};
use crate::registry::error::RegistryError;
use crate::registry::postgres::column::parsed;
use crate::timestamp::Timestamp;

/// The columns [`from_row`] reads, prefixed by `a.`.
pub(super) const COLUMNS: &str = "a.id, a.name, a.kind, a.created_at";

/// An account and its row id from a row of [`COLUMNS`] starting at `start`.
pub(super) fn from_row(row: &Row, start: usize) -> Result<(i64, Account), RegistryError> {
    Ok((
        row.try_get(start)?,
        Account {
            name: parsed(row, start + 1)?,
            kind: parsed(row, start + 2)?,
            created_at: Timestamp::from_millis(row.try_get(start + 3)?),
        },
    ))
}

pub(super) async fn create(
    client: &Client,
    name: &AccountName,
    kind: AccountKind,
) -> Result<Account, RegistryError> {
    let created_at = Timestamp::now();
    // The unique index on `lower(name)` decides between concurrent
    // creators: the loser inserts nothing, and reports the winner's name.
    let inserted = client
        .execute(
            "INSERT INTO accounts (name, kind, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (lower(name)) DO NOTHING",
            &[&name.as_str(), &kind.as_str(), &created_at.as_millis()],
        )
        .await?;
    if inserted == 0 {
        let existing = find(client, name.as_str()).await?;
        return Err(RegistryError::AlreadyExists {
            what: "account",
            name: existing.map_or_else(|| name.to_string(), |(_, a)| a.name.to_string()),
        });
    }
    Ok(Account {
        name: name.clone(),
        kind,
        created_at,
    })
}

pub(super) async fn get(client: &Client, name: &str) -> Result<Option<Account>, RegistryError> {
    Ok(find(client, name).await?.map(|(_, account)| account))
}

/// The account and its row id, if it exists.
pub(super) async fn find(
    client: &(impl GenericClient + Sync),
    name: &str,
) -> Result<Option<(i64, Account)>, RegistryError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts a WHERE lower(a.name) = lower($1)");
    client
        .query_opt(&sql, &[&name])
        .await?
        .map(|row| from_row(&row, 0))
        .transpose()
}

/// The account and its row id, or [`RegistryError::NoSuchAccount`].
pub(super) async fn require(
    client: &(impl GenericClient + Sync),
    name: &str,
) -> Result<(i64, Account), RegistryError> {
    find(client, name)
        .await?
        .ok_or_else(|| RegistryError::NoSuchAccount {
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

pub(super) async fn add_member(
    client: &mut Client,
    organization: &str,
    user: &str,
) -> Result<(), RegistryError> {
    let tx = client.transaction().await?;
    let (organization_id, organization) = require(&tx, organization).await?;
    require_kind(&organization, AccountKind::Organization)?;
    let (user_id, user) = require(&tx, user).await?;
    require_kind(&user, AccountKind::User)?;
    tx.execute(
        "INSERT INTO memberships (organization_id, user_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
        &[&organization_id, &user_id],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn is_member(
    client: &Client,
    organization: &str,
    user: &str,
) -> Result<bool, RegistryError> {
    let row = client
        .query_one(
            "SELECT EXISTS (
                SELECT 1 FROM memberships m
                JOIN accounts o ON o.id = m.organization_id
                JOIN accounts u ON u.id = m.user_id
                WHERE lower(o.name) = lower($1) AND lower(u.name) = lower($2)
            )",
            &[&organization, &user],
        )
        .await?;
    Ok(row.try_get(0)?)
}
