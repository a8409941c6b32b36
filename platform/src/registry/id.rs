//! Random identifiers for algorithms, builds, versions and keys.

use crate::identity::{AlgorithmId, BuildId};
use crate::registry::error::RegistryError;

/// A new UUID v4 in its 36-character hyphenated form (Algorithmia's
/// clients check the length).
///
/// The bytes come from `getrandom`, the source API keys use, so the `uuid`
/// crate needs none of its own.
pub(crate) fn new_id() -> Result<String, RegistryError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| RegistryError::Random(err.to_string()))?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}

/// A new algorithm id.
pub(crate) fn new_algorithm_id() -> Result<AlgorithmId, RegistryError> {
    AlgorithmId::parse(&new_id()?).map_err(|err| RegistryError::Random(err.to_string()))
}

/// A new build id.
pub(crate) fn new_build_id() -> Result<BuildId, RegistryError> {
    BuildId::parse(&new_id()?).map_err(|err| RegistryError::Random(err.to_string()))
}

#[cfg(test)]
mod tests {
    use crate::registry::id::*;

    #[test]
    fn ids_are_distinct_v4_uuids() {
        let id = new_id().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4', "version nibble of {id}");
        assert!(
            matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'),
            "variant of {id}"
        );
        assert_ne!(id, new_id().unwrap());
    }
}
