//! Where a Data API request points: checked name by name before anything
//! touches the disk.
//!
//! A hosted path is `owner/collection/file`. Every part is a single name:
//! no separators (plain or percent-encoded), no `.` or `..`, no NUL or
//! control characters, so a path can never name anything but a collection
//! folder or a file directly inside one.

use std::fmt;

use crate::identity::AccountName;

/// The longest collection name, in bytes.
const MAX_COLLECTION_LEN: usize = 128;
/// The longest file name, in bytes (the limit of common filesystems).
const MAX_FILE_LEN: usize = 255;

/// A path the Data API or an algorithm's `data://` URI may not use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// `a//b`, or a leading `/` after `data://`.
    #[error(
        "`{path}` has an empty part; write data://OWNER/COLLECTION/FILE without doubled or leading slashes"
    )]
    EmptyPart {
        /// The path as given.
        path: String,
    },
    /// `.` or `..`.
    #[error(
        "`{path}` contains `{part}`; data paths cannot move between folders, name the file directly"
    )]
    DotPart {
        /// The path as given.
        path: String,
        /// The offending part.
        part: String,
    },
    /// A separator, NUL or control character inside one part (often
    /// percent-encoded, as `%2F` or `%00`).
    #[error(
        "`{path}` hides {what} inside a name; names cannot contain separators, NUL or control characters"
    )]
    HiddenCharacter {
        /// The path as given.
        path: String,
        /// What was found, for the message.
        what: &'static str,
    },
    /// A `%` not followed by two hex digits, or escapes that are not UTF-8.
    #[error("`{path}` has a malformed percent-escape; encode names as UTF-8 with %XX escapes")]
    BadEscape {
        /// The path as given.
        path: String,
    },
    /// More than owner, collection and file.
    #[error(
        "`{path}` nests folders; hosted collections hold files only, as data://OWNER/COLLECTION/FILE"
    )]
    Nested {
        /// The path as given.
        path: String,
    },
    /// A name that breaks the naming rules.
    #[error("`{name}` is not a valid {what} name: {reason}")]
    BadName {
        /// Owner, collection or file.
        what: &'static str,
        /// The name.
        name: String,
        /// Why not.
        reason: String,
    },
    /// Another connector (`s3://`, `dropbox://`...), or an alias algobox
    /// does not have (`.algo`, `.session`).
    #[error(
        "`{path}` is not a hosted data path: algobox stores `data://` files only, as data://OWNER/COLLECTION/FILE or data://.my/COLLECTION/FILE"
    )]
    Unsupported {
        /// The path as given.
        path: String,
    },
    /// The path names a folder where a file is needed, or the reverse.
    #[error("`{path}` is not a {expected} path; write {example}")]
    WrongKind {
        /// The path as given.
        path: String,
        /// `file` or `collection`.
        expected: &'static str,
        /// The expected form.
        example: &'static str,
    },
}

/// A collection: a folder of files owned by a user or organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CollectionPath {
    /// The owning account, as written (accounts match without case).
    pub owner: AccountName,
    /// The collection's name.
    pub name: String,
}

/// A file in a collection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilePath {
    /// The collection holding it.
    pub collection: CollectionPath,
    /// The file's name.
    pub name: String,
}

/// Any place in the hosted data tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataPath {
    /// `data://`: the caller's view of the owners it can reach.
    Root,
    /// `data://OWNER`: an owner's collections.
    Owner(AccountName),
    /// `data://OWNER/COLLECTION`.
    Collection(CollectionPath),
    /// `data://OWNER/COLLECTION/FILE`.
    File(FilePath),
}

impl DataPath {
    /// Parses the part of a request path after `/v1/data/`, still
    /// percent-encoded, for `caller` (who `.my` stands for). One trailing
    /// slash is tolerated, as clients write `data://.my/col/`.
    pub fn from_url_path(raw: &str, caller: &str) -> Result<Self, PathError> {
        let trimmed = raw.strip_suffix('/').unwrap_or(raw);
        if trimmed.is_empty() {
            return Ok(Self::Root);
        }
        let mut parts = Vec::new();
        for part in trimmed.split('/') {
            parts.push(decode(part, raw)?);
        }
        Self::from_parts(parts, raw, caller)
    }

    /// Parses a `data://` URI as an algorithm writes it (`data://` may be
    /// left out), for `caller`. Names are taken literally: no
    /// percent-decoding.
    pub fn from_uri(uri: &str, caller: &str) -> Result<Self, PathError> {
        let rest = match uri.split_once("://") {
            Some(("data", rest)) => rest,
            Some(_) => {
                return Err(PathError::Unsupported { path: uri.into() });
            }
            None => uri,
        };
        let trimmed = rest.strip_suffix('/').unwrap_or(rest);
        if trimmed.is_empty() {
            return Ok(Self::Root);
        }
        let parts = trimmed.split('/').map(str::to_owned).collect();
        Self::from_parts(parts, uri, caller)
    }

    fn from_parts(parts: Vec<String>, path: &str, caller: &str) -> Result<Self, PathError> {
        // `s3://bucket/x` arrives as `s3:`, ``, `bucket`...: name the
        // connector rather than the empty part.
        if parts.first().is_some_and(|first| first.ends_with(':')) {
            return Err(PathError::Unsupported { path: path.into() });
        }
        for part in &parts {
            check_part(part, path)?;
        }
        let mut parts = parts.into_iter();
        let Some(owner) = parts.next() else {
            return Ok(Self::Root);
        };
        let owner = match owner.as_str() {
            ".my" => caller.to_owned(),
            alias if alias.starts_with('.') => {
                return Err(PathError::Unsupported { path: path.into() });
            }
            _ => owner,
        };
        let owner = AccountName::parse(&owner).map_err(|_| PathError::BadName {
            what: "owner",
            name: owner.clone(),
            reason:
                "an account name starts with a letter and has only letters, digits and underscores"
                    .into(),
        })?;
        let Some(collection) = parts.next() else {
            return Ok(Self::Owner(owner));
        };
        check_collection_name(&collection)?;
        let collection = CollectionPath {
            owner,
            name: collection,
        };
        let Some(file) = parts.next() else {
            return Ok(Self::Collection(collection));
        };
        if parts.next().is_some() {
            return Err(PathError::Nested { path: path.into() });
        }
        check_file_name(&file)?;
        Ok(Self::File(FilePath {
            collection,
            name: file,
        }))
    }

    /// The path as a file, or an error saying a file path was needed.
    pub fn into_file(self, path: &str) -> Result<FilePath, PathError> {
        match self {
            Self::File(file) => Ok(file),
            _ => Err(PathError::WrongKind {
                path: path.into(),
                expected: "file",
                example: "data://OWNER/COLLECTION/FILE",
            }),
        }
    }

    /// The path as a collection, or an error saying one was needed.
    pub fn into_collection(self, path: &str) -> Result<CollectionPath, PathError> {
        match self {
            Self::Collection(collection) => Ok(collection),
            _ => Err(PathError::WrongKind {
                path: path.into(),
                expected: "collection",
                example: "data://OWNER/COLLECTION",
            }),
        }
    }
}

impl fmt::Display for CollectionPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "data://{}/{}", self.owner, self.name)
    }
}

impl fmt::Display for FilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.collection, self.name)
    }
}

/// Percent-decodes one part of a URL path, refusing anything that would
/// smuggle a separator or NUL past the split on `/`.
fn decode(part: &str, path: &str) -> Result<String, PathError> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| PathError::BadEscape { path: path.into() })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PathError::BadEscape { path: path.into() })
}

/// The checks every part gets, whatever it names.
fn check_part(part: &str, path: &str) -> Result<(), PathError> {
    if part.is_empty() {
        return Err(PathError::EmptyPart { path: path.into() });
    }
    if part == "." || part == ".." {
        return Err(PathError::DotPart {
            path: path.into(),
            part: part.into(),
        });
    }
    let hidden = |what| PathError::HiddenCharacter {
        path: path.into(),
        what,
    };
    if part.contains('/') || part.contains('\\') {
        return Err(hidden("a path separator"));
    }
    if part.contains('\0') {
        return Err(hidden("a NUL byte"));
    }
    if part.chars().any(char::is_control) {
        return Err(hidden("a control character"));
    }
    Ok(())
}

fn check_collection_name(name: &str) -> Result<(), PathError> {
    let bad = |reason: &str| PathError::BadName {
        what: "collection",
        name: name.into(),
        reason: reason.into(),
    };
    if name.len() > MAX_COLLECTION_LEN {
        return Err(bad("it is longer than 128 bytes"));
    }
    if name.starts_with('.') {
        return Err(bad("it starts with `.`"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(bad("use letters, digits, `_`, `-` and `.`"));
    }
    Ok(())
}

fn check_file_name(name: &str) -> Result<(), PathError> {
    if name.len() > MAX_FILE_LEN {
        return Err(PathError::BadName {
            what: "file",
            name: name.into(),
            reason: "it is longer than 255 bytes".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::data_store::path::*;

    fn account(name: &str) -> AccountName {
        AccountName::parse(name).unwrap()
    }

    fn file(owner: &str, collection: &str, name: &str) -> DataPath {
        DataPath::File(FilePath {
            collection: CollectionPath {
                owner: account(owner),
                name: collection.into(),
            },
            name: name.into(),
        })
    }

    #[test]
    fn parses_the_forms_clients_send() {
        let parse = |raw| DataPath::from_url_path(raw, "alice").unwrap();
        assert_eq!(parse(""), DataPath::Root);
        assert_eq!(parse("/"), DataPath::Root);
        assert_eq!(parse(".my"), DataPath::Owner(account("alice")));
        assert_eq!(parse("bob/"), DataPath::Owner(account("bob")));
        assert_eq!(
            parse(".my/col/"),
            DataPath::Collection(CollectionPath {
                owner: account("alice"),
                name: "col".into()
            })
        );
        assert_eq!(parse(".my/col/a%20b.txt"), file("alice", "col", "a b.txt"));
        assert_eq!(parse("bob/col/%C3%A9t%C3%A9"), file("bob", "col", "été"));
        let uri = |text| DataPath::from_uri(text, "alice").unwrap();
        assert_eq!(uri("data://.my/col/f.txt"), file("alice", "col", "f.txt"));
        assert_eq!(uri("bob/col/a%2Fb"), file("bob", "col", "a%2Fb"));
    }

    #[test]
    fn refuses_every_traversal_trick() {
        for raw in [
            "..",
            ".my/..",
            ".my/col/..",
            ".my/col/.",
            ".my/col/%2e%2e",
            ".my/col/a%2Fb",
            ".my/col/a%2fb",
            ".my/col%2F..%2Fother/f",
            ".my/col/a%5Cb",
            ".my/col/a%00b",
            ".my/col/a%0Ab",
            ".my//f",
            "/etc/passwd",
            ".my/col/f/extra",
            ".my/col/%zz",
            ".my/col/%C3",
            ".my/.hidden/f",
            "s3:/bucket/x",
            ".algo/temp/x",
        ] {
            let err = DataPath::from_url_path(raw, "alice");
            assert!(err.is_err(), "{raw} was accepted as {err:?}");
        }
        for uri in [
            "data:///etc/passwd",
            "data://.my/../bob/col/f",
            "s3://bucket/x",
            "data://.my/col/a\0b",
        ] {
            let err = DataPath::from_uri(uri, "alice");
            assert!(err.is_err(), "{uri} was accepted as {err:?}");
        }
    }

    #[test]
    fn messages_say_what_to_write() {
        let err = DataPath::from_url_path(".my/col/a%2Fb", "alice").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`.my/col/a%2Fb` hides a path separator inside a name; names cannot contain separators, NUL or control characters"
        );
        let err = DataPath::from_url_path(".my/a/b/c", "alice").unwrap_err();
        assert!(
            err.to_string().contains("data://OWNER/COLLECTION/FILE"),
            "{err}"
        );
    }
}
