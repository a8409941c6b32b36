//! The file index in `data_files`: each file's name, size, time and the
//! object that holds its bytes.

use tokio_postgres::{Client, Row};

use crate::data_store::cluster::collection_rows::owner_key;
use crate::data_store::cluster::superseded_rows::{self, NOW_MS};
use crate::data_store::cluster::{column, sql};
use crate::data_store::error::DataError;
use crate::data_store::listing::FileEntry;
use crate::data_store::path::{CollectionPath, FilePath};
use crate::timestamp::Timestamp;

/// The collection's row id, or `None` if it does not exist.
pub(super) async fn collection_id(
    client: &Client,
    collection: &CollectionPath,
) -> Result<Option<i64>, DataError> {
    let row = client
        .query_opt(
            "SELECT id FROM data_collections WHERE owner = $1 AND name = $2",
            &[&owner_key(&collection.owner), &collection.name],
        )
        .await
        .map_err(sql(format!("read {collection}")))?;
    row.map(|row| column(&row, 0)).transpose()
}

/// Up to `count` files of the collection `id` after the name `after`, in
/// byte order (the columns' collation).
pub(super) async fn after(
    client: &Client,
    id: i64,
    after: Option<&str>,
    count: usize,
    shown: &CollectionPath,
) -> Result<Vec<FileEntry>, DataError> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let rows = client
        .query(
            "SELECT name, size, modified_at FROM data_files
             WHERE collection_id = $1 AND ($2::TEXT IS NULL OR name > $2)
             ORDER BY name LIMIT $3",
            &[&id, &after, &count],
        )
        .await
        .map_err(sql(format!("list {shown}")))?;
    rows.iter().map(entry).collect()
}

/// The file's listing entry, or `None` if there is no such file.
pub(super) async fn info(client: &Client, file: &FilePath) -> Result<Option<FileEntry>, DataError> {
    let row = client
        .query_opt(
            "SELECT f.name, f.size, f.modified_at
             FROM data_files f JOIN data_collections c ON c.id = f.collection_id
             WHERE c.owner = $1 AND c.name = $2 AND f.name = $3",
            &[
                &owner_key(&file.collection.owner),
                &file.collection.name,
                &file.name,
            ],
        )
        .await
        .map_err(sql(format!("read {file}")))?;
    row.as_ref().map(entry).transpose()
}

/// The object holding the file and its size; [`DataError::NotFound`]
/// naming the collection if it is missing, else the file.
pub(super) async fn object(client: &Client, file: &FilePath) -> Result<(String, u64), DataError> {
    let row = client
        .query_opt(
            "SELECT f.object_key, f.size
             FROM data_collections c
             LEFT JOIN data_files f ON f.collection_id = c.id AND f.name = $3
             WHERE c.owner = $1 AND c.name = $2",
            &[
                &owner_key(&file.collection.owner),
                &file.collection.name,
                &file.name,
            ],
        )
        .await
        .map_err(sql(format!("read {file}")))?
        .ok_or_else(|| DataError::NotFound(file.collection.to_string()))?;
    let key: Option<String> = column(&row, 0)?;
    let size: Option<i64> = column(&row, 1)?;
    match (key, size) {
        (Some(key), Some(size)) => Ok((key, u64::try_from(size).unwrap_or(0))),
        _ => Err(DataError::NotFound(file.to_string())),
    }
}

/// Points the file at the object `key` of `size` bytes and records the
/// object it pointed at before, if any, as superseded (for the sweeper to
/// delete once reads begun before have had time to end), in one
/// transaction. [`DataError::NotFound`] if the collection is gone.
pub(super) async fn commit(
    client: &mut Client,
    file: &FilePath,
    key: &str,
    size: u64,
) -> Result<(), DataError> {
    let action = || format!("write {file}");
    let tx = client.transaction().await.map_err(sql(action()))?;
    // The collection's row lock orders the commits to one collection, so
    // of two writers of one file each learns the object it replaced and
    // none is left unreferenced; a collection being deleted holds it
    // until it is gone.
    let row = tx
        .query_opt(
            "SELECT id FROM data_collections WHERE owner = $1 AND name = $2 FOR NO KEY UPDATE",
            &[&owner_key(&file.collection.owner), &file.collection.name],
        )
        .await
        .map_err(sql(action()))?
        .ok_or_else(|| DataError::NotFound(file.collection.to_string()))?;
    let id: i64 = column(&row, 0)?;
    let old: Option<String> = tx
        .query_opt(
            "SELECT object_key FROM data_files WHERE collection_id = $1 AND name = $2",
            &[&id, &file.name],
        )
        .await
        .map_err(sql(action()))?
        .map(|row| column(&row, 0))
        .transpose()?;
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO data_files (collection_id, name, size, modified_at, object_key)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (collection_id, name) DO UPDATE
         SET size = EXCLUDED.size, modified_at = EXCLUDED.modified_at,
             object_key = EXCLUDED.object_key",
        &[&id, &file.name, &size, &Timestamp::now().as_millis(), &key],
    )
    .await
    .map_err(sql(action()))?;
    let old: Vec<String> = old.into_iter().collect();
    superseded_rows::record(&tx, &old, &action()).await?;
    tx.commit().await.map_err(sql(action()))?;
    Ok(())
}

/// Removes the file from the index and records the object that held it
/// as superseded, in one statement; whether there was such a file.
pub(super) async fn delete(client: &Client, file: &FilePath) -> Result<bool, DataError> {
    let deleted = client
        .execute(
            format!(
                "WITH gone AS (
                     DELETE FROM data_files f USING data_collections c
                     WHERE c.id = f.collection_id AND c.owner = $1 AND c.name = $2 AND f.name = $3
                     RETURNING f.object_key
                 )
                 INSERT INTO data_superseded_objects (object_key, superseded_at)
                 SELECT object_key, {NOW_MS} FROM gone"
            )
            .as_str(),
            &[
                &owner_key(&file.collection.owner),
                &file.collection.name,
                &file.name,
            ],
        )
        .await
        .map_err(sql(format!("delete {file}")))?;
    Ok(deleted > 0)
}

fn entry(row: &Row) -> Result<FileEntry, DataError> {
    Ok(FileEntry {
        filename: column(row, 0)?,
        size: u64::try_from(column::<i64>(row, 1)?).unwrap_or(0),
        last_modified: Timestamp::from_millis(column(row, 2)?),
    })
}
