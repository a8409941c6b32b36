//! Reading typed values out of SQLite columns stored as text.

use std::str::FromStr;

use rusqlite::Row;
use rusqlite::types::Type;

/// Column `index` of `row` parsed with `FromStr` (hashes, versions,
/// statuses). A value that does not parse is reported as a conversion
/// failure naming the column, which surfaces as a storage error: only a
/// damaged or foreign database holds one.
pub(super) fn parsed<T>(row: &Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(index)?;
    text.parse()
        .map_err(|err| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(err)))
}

/// Column `index` of `row` parsed as JSON (settings).
pub(super) fn json<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text)
        .map_err(|err| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(err)))
}

/// `value` as JSON text for a column.
pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, super::RegistryError> {
    serde_json::to_string(value)
        .map_err(|err| super::RegistryError::Storage(format!("cannot encode settings: {err}")))
}

/// Like [`parsed`], for a column that may be NULL.
pub(super) fn parsed_optional<T>(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<T>>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: Option<String> = row.get(index)?;
    text.map(|text| {
        text.parse().map_err(|err| {
            rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(err))
        })
    })
    .transpose()
}

/// Identities are stored as their text and checked again when read, so a
/// damaged row surfaces as a storage error rather than a bad name.
macro_rules! identity_column {
    ($($name:ty),*) => {$(
        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let text = value.as_str()?;
                text.parse()
                    .map_err(|err| rusqlite::types::FromSqlError::Other(Box::new(err)))
            }
        }
    )*};
}

identity_column!(
    crate::identity::AccountName,
    crate::identity::AlgorithmName,
    crate::identity::AlgorithmId,
    crate::identity::BuildId
);
