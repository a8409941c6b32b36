//! Collections and their access lists in `data_collections`.

use tokio_postgres::Client;

use crate::data_store::acl::Acl;
use crate::data_store::cluster::superseded_rows::NOW_MS;
use crate::data_store::cluster::{column, sql};
use crate::data_store::error::DataError;
use crate::data_store::path::CollectionPath;
use crate::identity::AccountName;
use crate::timestamp::Timestamp;

/// The owner as the table keys it: in lower case, as owners match.
pub(super) fn owner_key(owner: &AccountName) -> String {
    owner.folded().into_owned()
}

/// Creates the collection; [`DataError::AlreadyExists`] if it exists.
pub(super) async fn create(
    client: &Client,
    collection: &CollectionPath,
    acl: &Acl,
) -> Result<(), DataError> {
    let created = client
        .execute(
            "INSERT INTO data_collections (owner, name, acl, created_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (owner, name) DO NOTHING",
            &[
                &owner_key(&collection.owner),
                &collection.name,
                &encode(acl),
                &Timestamp::now().as_millis(),
            ],
        )
        .await
        .map_err(sql(format!("create {collection}")))?;
    match created {
        0 => Err(DataError::AlreadyExists(collection.to_string())),
        _ => Ok(()),
    }
}

/// The collection's access list, or `None` if it does not exist.
pub(super) async fn acl(
    client: &Client,
    collection: &CollectionPath,
) -> Result<Option<Acl>, DataError> {
    let row = client
        .query_opt(
            "SELECT acl FROM data_collections WHERE owner = $1 AND name = $2",
            &[&owner_key(&collection.owner), &collection.name],
        )
        .await
        .map_err(sql(format!("read the access list of {collection}")))?;
    row.map(|row| decode(&column::<String>(&row, 0)?, &collection.name))
        .transpose()
}

/// Replaces the access list of an existing collection.
pub(super) async fn set_acl(
    client: &Client,
    collection: &CollectionPath,
    acl: &Acl,
) -> Result<(), DataError> {
    let changed = client
        .execute(
            "UPDATE data_collections SET acl = $3 WHERE owner = $1 AND name = $2",
            &[
                &owner_key(&collection.owner),
                &collection.name,
                &encode(acl),
            ],
        )
        .await
        .map_err(sql(format!("write the access list of {collection}")))?;
    match changed {
        0 => Err(DataError::NotFound(collection.to_string())),
        _ => Ok(()),
    }
}

/// The owner's collections in name order, with their access lists.
pub(super) async fn of_owner(
    client: &Client,
    owner: &AccountName,
) -> Result<Vec<(String, Acl)>, DataError> {
    let rows = client
        .query(
            "SELECT name, acl FROM data_collections WHERE owner = $1 ORDER BY name",
            &[&owner_key(owner)],
        )
        .await
        .map_err(sql(format!("list data://{owner}")))?;
    rows.iter()
        .map(|row| {
            let name: String = column(row, 0)?;
            let acl = decode(&column::<String>(row, 1)?, &name)?;
            Ok((name, acl))
        })
        .collect()
}

/// Deletes the collection (its files too with `force`, else it must have
/// none) in one transaction, recording the objects that held its files as
/// superseded; returns how many files went.
pub(super) async fn delete(
    client: &mut Client,
    collection: &CollectionPath,
    force: bool,
) -> Result<u64, DataError> {
    let action = || format!("delete {collection}");
    let tx = client.transaction().await.map_err(sql(action()))?;
    // Locking the row first keeps writes to the collection waiting until
    // it is gone; they then find no collection and store nothing.
    let row = tx
        .query_opt(
            "SELECT id FROM data_collections WHERE owner = $1 AND name = $2 FOR UPDATE",
            &[&owner_key(&collection.owner), &collection.name],
        )
        .await
        .map_err(sql(action()))?
        .ok_or_else(|| DataError::NotFound(collection.to_string()))?;
    let id: i64 = column(&row, 0)?;
    let row = tx
        .query_one(
            "SELECT count(*) FROM data_files WHERE collection_id = $1",
            &[&id],
        )
        .await
        .map_err(sql(action()))?;
    let files: i64 = column(&row, 0)?;
    let files = u64::try_from(files).unwrap_or(0);
    if files > 0 && !force {
        return Err(DataError::NotEmpty {
            collection: collection.to_string(),
            files,
        });
    }
    tx.execute(
        format!(
            "WITH gone AS (
                 DELETE FROM data_files WHERE collection_id = $1 RETURNING object_key
             )
             INSERT INTO data_superseded_objects (object_key, superseded_at)
             SELECT object_key, {NOW_MS} FROM gone"
        )
        .as_str(),
        &[&id],
    )
    .await
    .map_err(sql(action()))?;
    tx.execute("DELETE FROM data_collections WHERE id = $1", &[&id])
        .await
        .map_err(sql(action()))?;
    tx.commit().await.map_err(sql(action()))?;
    Ok(files)
}

fn encode(acl: &Acl) -> String {
    serde_json::to_string(acl).expect("an access list serializes")
}

fn decode(json: &str, collection: &str) -> Result<Acl, DataError> {
    serde_json::from_str(json).map_err(|err| {
        DataError::Invalid(format!(
            "the access list of collection {collection} is damaged ({err}); set it again with PATCH"
        ))
    })
}
