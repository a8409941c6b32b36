//! Reading typed values out of PostgreSQL columns stored as text.

use std::fmt::Display;
use std::str::FromStr;

use tokio_postgres::Row;

use crate::registry::error::RegistryError;

/// Column `index` of `row` parsed with `FromStr` (names, ids, hashes,
/// versions, statuses). A value that does not parse is a storage error
/// naming the column: only a damaged or foreign database holds one.
pub(super) fn parsed<T>(row: &Row, index: usize) -> Result<T, RegistryError>
where
    T: FromStr,
    T::Err: Display,
{
    let text: String = row.try_get(index)?;
    parse(row, index, &text)
}

/// Like [`parsed`], for a column that may be NULL.
pub(super) fn parsed_optional<T>(row: &Row, index: usize) -> Result<Option<T>, RegistryError>
where
    T: FromStr,
    T::Err: Display,
{
    let text: Option<String> = row.try_get(index)?;
    text.map(|text| parse(row, index, &text)).transpose()
}

/// Column `index` of `row` parsed as JSON (settings).
pub(super) fn json<T: serde::de::DeserializeOwned>(
    row: &Row,
    index: usize,
) -> Result<T, RegistryError> {
    let text: String = row.try_get(index)?;
    serde_json::from_str(&text).map_err(|err| invalid(row, index, &text, &err))
}

/// `value` as JSON text for a column.
pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, RegistryError> {
    serde_json::to_string(value)
        .map_err(|err| RegistryError::Storage(format!("cannot encode settings: {err}")))
}

fn parse<T>(row: &Row, index: usize, text: &str) -> Result<T, RegistryError>
where
    T: FromStr,
    T::Err: Display,
{
    text.parse().map_err(|err| invalid(row, index, text, &err))
}

fn invalid(row: &Row, index: usize, text: &str, err: &dyn Display) -> RegistryError {
    let column = row
        .columns()
        .get(index)
        .map_or("?", tokio_postgres::Column::name);
    RegistryError::Storage(format!(
        "column `{column}` holds `{text}`, which this algobox cannot read: {err}"
    ))
}
