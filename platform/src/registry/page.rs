//! Marker pagination, as Algorithmia's list endpoints do it.

use crate::registry::error::RegistryError;

/// Which page of a list to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// How many items, from 1 to [`MAX_LIMIT`](Self::MAX_LIMIT).
    pub limit: u32,
    /// The previous page's [`Page::marker`]; `None` for the first page.
    pub marker: Option<String>,
}

impl PageRequest {
    /// The largest page.
    pub const MAX_LIMIT: u32 = 100;
    /// Algorithmia's default page size.
    pub const DEFAULT_LIMIT: u32 = 50;

    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            marker: None,
        }
    }

    /// The page after the one that returned `marker`.
    pub fn after(limit: u32, marker: impl Into<String>) -> Self {
        Self {
            limit,
            marker: Some(marker.into()),
        }
    }

    /// Checks the limit and decodes the marker into the position to
    /// continue before (lists run newest first), or `None` to start at the
    /// newest item.
    pub(crate) fn position(&self) -> Result<Option<i64>, RegistryError> {
        if !(1..=Self::MAX_LIMIT).contains(&self.limit) {
            return Err(RegistryError::InvalidLimit { limit: self.limit });
        }
        self.marker.as_deref().map(decode_marker).transpose()
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(Self::DEFAULT_LIMIT)
    }
}

/// One page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass this in the next [`PageRequest`] for the following page;
    /// `None` when this page is the last.
    pub marker: Option<String>,
}

impl<T> Page<T> {
    /// A page from rows fetched with `limit + 1`: the extra row only tells
    /// whether another page follows, so a marker is never handed out for an
    /// empty page.
    pub(crate) fn from_rows(mut rows: Vec<(i64, T)>, limit: u32) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let marker = more
            .then(|| rows.last().map(|(position, _)| encode_marker(*position)))
            .flatten();
        Self {
            items: rows.into_iter().map(|(_, item)| item).collect(),
            marker,
        }
    }
}

/// Markers are opaque to clients; the `p` keeps them from looking like
/// numbers anyone should compute with.
fn encode_marker(position: i64) -> String {
    format!("p{position}")
}

fn decode_marker(marker: &str) -> Result<i64, RegistryError> {
    marker
        .strip_prefix('p')
        .and_then(|digits| digits.parse::<i64>().ok())
        .filter(|position| *position > 0)
        .ok_or_else(|| RegistryError::InvalidMarker {
            marker: marker.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use crate::registry::page::*;

    #[test]
    fn limits_outside_1_to_100_are_refused() {
        assert_eq!(
            PageRequest::first(0).position(),
            Err(RegistryError::InvalidLimit { limit: 0 })
        );
        assert_eq!(
            PageRequest::first(101).position(),
            Err(RegistryError::InvalidLimit { limit: 101 })
        );
        assert_eq!(PageRequest::first(100).position(), Ok(None));
    }

    #[test]
    fn markers_round_trip_and_bad_ones_are_refused() {
        assert_eq!(
            PageRequest::after(5, encode_marker(42)).position(),
            Ok(Some(42))
        );
        for bad in ["", "42", "p", "pxyz", "p-1"] {
            assert!(
                matches!(
                    PageRequest::after(5, bad).position(),
                    Err(RegistryError::InvalidMarker { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn last_page_has_no_marker() {
        let page = Page::from_rows(vec![(9, 'a'), (8, 'b'), (7, 'c')], 2);
        assert_eq!(page.items, ['a', 'b']);
        assert_eq!(page.marker.as_deref(), Some("p8"));
        let page = Page::from_rows(vec![(7, 'c')], 2);
        assert_eq!(page.items, ['c']);
        assert_eq!(page.marker, None);
    }
}
