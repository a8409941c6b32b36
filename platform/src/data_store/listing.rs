//! A page of a collection's files.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::data_store::error::DataError;
use crate::timestamp::Timestamp;

/// The most entries in one page, as on Algorithmia.
pub const MAX_PAGE: usize = 1000;

/// A file as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileEntry {
    /// The file's name in its collection.
    pub filename: String,
    /// When it was last written, as `YYYY-MM-DDTHH:MM:SS.fffZ`.
    pub last_modified: Timestamp,
    /// Its size in bytes.
    pub size: u64,
}

/// One page of a listing, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePage {
    /// The files on this page.
    pub files: Vec<FileEntry>,
    /// Where the next page starts, or `None` on the last page.
    pub marker: Option<String>,
}

/// A marker: the last name on a page, opaque to clients so they do not
/// come to depend on its form.
pub(crate) fn marker_after(name: &str) -> String {
    URL_SAFE_NO_PAD.encode(name)
}

/// The name a marker continues after, or `None` for one that is not ours.
fn name_after(marker: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(marker).ok()?;
    String::from_utf8(bytes).ok()
}

/// The name a page continues after, from the previous page's `marker`
/// (`None` for the first page); a marker that is not ours is refused.
pub(crate) fn continues_after(marker: Option<&str>) -> Result<Option<String>, DataError> {
    marker
        .map(|marker| {
            name_after(marker).ok_or_else(|| {
                DataError::Invalid(format!(
                    "`{marker}` is not a marker from this server; pass the `marker` of the previous page, or none for the first"
                ))
            })
        })
        .transpose()
}

/// Cuts one page from `entries` (sorted by name): those after `after`, at
/// most `limit`.
pub(crate) fn page(entries: Vec<FileEntry>, after: Option<&str>, limit: usize) -> FilePage {
    let limit = limit.clamp(1, MAX_PAGE);
    let start = after.map_or(0, |after| {
        entries.partition_point(|entry| entry.filename.as_str() <= after)
    });
    let mut files: Vec<FileEntry> = entries.into_iter().skip(start).collect();
    let marker = (files.len() > limit).then(|| {
        files.truncate(limit);
        marker_after(&files[limit - 1].filename)
    });
    FilePage { files, marker }
}
