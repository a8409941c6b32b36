//! A file being written: staged under a temporary name, renamed into place
//! whole.

use std::io::Write as _;

use cap_std::fs::{Dir, File};

use crate::data_store::error::DataError;
use crate::data_store::path::FilePath;

/// A file being written by [`Tree::writer`](super::tree::Tree::writer).
/// Dropped without [`commit`](Self::commit), it leaves no trace.
#[derive(Debug)]
pub(super) struct StagedFile {
    pub(super) file: FilePath,
    pub(super) collection: Dir,
    pub(super) staging: Dir,
    pub(super) staged: String,
    pub(super) out: Option<File>,
}

impl StagedFile {
    /// Appends `bytes`.
    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<(), DataError> {
        let out = self.out.as_mut().expect("written after commit");
        out.write_all(bytes)
            .map_err(DataError::io(format!("write {}", self.file)))
    }

    /// Makes the file visible under its name, whole, replacing any older
    /// one.
    pub(super) fn commit(mut self) -> Result<(), DataError> {
        let action = || format!("write {}", self.file);
        let out = self.out.take().expect("committed once");
        out.sync_all().map_err(DataError::io(action()))?;
        drop(out);
        self.staging
            .rename(&self.staged, &self.collection, &self.file.name)
            .map_err(DataError::io(action()))?;
        self.staged.clear();
        Ok(())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.staged.is_empty() {
            let _ = self.staging.remove_file(&self.staged);
        }
    }
}
