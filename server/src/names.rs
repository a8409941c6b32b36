//! Names and ids in URLs, parsed once here into the platform's identity
//! types. Text that is no name is answered as the name's absence would be,
//! so a malformed URL learns nothing a well-formed one would not.

use algobox_platform::Caller;
use algobox_platform::error::PlatformError;
use algobox_platform::identity::{AccountName, AlgorithmName, BuildId};

use crate::algorithmia::error::ApiError;

/// The algorithm `owner/name` of a URL; text that is no name names no
/// algorithm.
pub(crate) fn algorithm(owner: &str, name: &str) -> Result<(AccountName, AlgorithmName), ApiError> {
    match (owner.parse(), name.parse()) {
        (Ok(owner), Ok(name)) => Ok((owner, name)),
        _ => Err(PlatformError::NoAlgorithm {
            owner: owner.to_owned(),
            name: name.to_owned(),
        }
        .into()),
    }
}

/// The owner of a URL that `caller` means to manage; text that is no name
/// is an account no one manages.
pub(crate) fn managed_owner(caller: &Caller, owner: &str) -> Result<AccountName, ApiError> {
    owner.parse().map_err(|_| {
        ApiError::Forbidden(format!(
            "{} may not manage the algorithms of {owner}; use a key of {owner} or of a member of that organization",
            caller.name
        ))
    })
}

/// A build id of a URL; text that is no id names no build.
pub(crate) fn build(build_id: &str) -> Result<BuildId, ApiError> {
    build_id.parse().map_err(|_| {
        PlatformError::NotFound(
            "no such build; list the algorithm's builds for valid ids".to_owned(),
        )
        .into()
    })
}
