//! Whether a guest built by an outside tool is newer than everything it is
//! built from, so that a rerun of the build script (any tracked input
//! changed) does not spend seconds per Python or JavaScript guest again.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

/// Whether `output` exists and is newer than every file under `inputs`.
pub(crate) fn is_fresh(output: &Path, inputs: &[&Path]) -> bool {
    let Ok(built) = fs::metadata(output).and_then(|meta| meta.modified()) else {
        return false;
    };
    inputs
        .iter()
        .all(|input| newest(input).is_some_and(|newest| newest < built))
}

/// The newest modification time of a file or of anything under a folder
/// (`node_modules` and `__pycache__` excluded: tools write there).
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    let mut newest = meta.modified().ok()?;
    if meta.is_dir() {
        for entry in fs::read_dir(path).ok()? {
            let entry = entry.ok()?;
            let name = entry.file_name();
            if name == "node_modules" || name == "__pycache__" {
                continue;
            }
            newest = newest.max(self::newest(&entry.path())?);
        }
    }
    Some(newest)
}
