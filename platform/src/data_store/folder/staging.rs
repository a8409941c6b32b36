//! Staged writes: a file is written under `OWNER/.staging/` and renamed
//! into place only when whole, so it appears whole or not at all.

use std::time::UNIX_EPOCH;

use cap_std::fs::Dir;

use crate::data_store::error::DataError;
use crate::data_store::folder::tree::open_dir;

/// The folder, in each owner's, where writes are staged.
pub(super) const STAGING_DIR: &str = ".staging";

/// Removes what writes left staged when the process died (`kill -9`
/// mid-upload): no write is in flight while the store opens, and a
/// staged file is never a committed one.
pub(super) fn sweep(root: &Dir) -> Result<usize, DataError> {
    let action = || "clear the data folder's staged writes".to_owned();
    let mut removed = 0;
    for owner in root.entries().map_err(DataError::io(action()))? {
        let owner = owner.map_err(DataError::io(action()))?;
        let name = owner.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(owner) = open_dir(root, name, name)? else {
            continue;
        };
        let Some(staging) = open_dir(&owner, STAGING_DIR, STAGING_DIR)? else {
            continue;
        };
        for staged in staging.entries().map_err(DataError::io(action()))? {
            let staged = staged.map_err(DataError::io(action()))?;
            staging
                .remove_file(staged.file_name())
                .map_err(DataError::io(action()))?;
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed writes left staged by an earlier process");
    }
    Ok(removed)
}

/// A fresh name in a staging folder.
pub(super) fn staged_name() -> String {
    let mut bytes = [0u8; 12];
    // Without randomness, fall back to the clock: names only need to
    // differ between writes in flight.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        bytes.copy_from_slice(&nanos.to_le_bytes()[..12]);
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use crate::data_store::DataStore as _;
    use crate::data_store::acl::Acl;
    use crate::data_store::folder::FolderDataStore;
    use crate::data_store::path::DataPath;

    #[tokio::test]
    async fn writes_left_staged_by_a_dead_process_are_removed_and_files_kept() {
        let folder = tempfile::tempdir().unwrap();
        let store = FolderDataStore::open(folder.path()).unwrap();
        let file = DataPath::from_uri("data://.my/results/out.txt", "alice")
            .unwrap()
            .into_file("out")
            .unwrap();
        store
            .create_collection(&file.collection, Acl::default())
            .await
            .unwrap();
        store.write(&file, b"42".to_vec()).await.unwrap();
        // What a `kill -9` mid-upload leaves behind.
        let staging = folder.path().join("alice/.staging");
        std::fs::write(staging.join("0123abcd"), vec![0u8; 4096]).unwrap();
        drop(store);

        let store = FolderDataStore::open(folder.path()).unwrap();
        assert_eq!(std::fs::read_dir(&staging).unwrap().count(), 0);
        assert_eq!(store.read(&file).await.unwrap(), b"42");
    }
}
