//! The data store's behaviour, written once against `&dyn DataStore` and
//! run against every implementation: [`data_store_conformance!`] turns
//! each behaviour into a test in the implementation's test module, so the
//! folder and the cluster give the same results and the same errors for
//! the same requests.

pub(crate) mod collections;
pub(crate) mod files;

use crate::data_store::path::{CollectionPath, DataPath, FilePath};
use crate::identity::AccountName;

/// One `#[tokio::test]` per behaviour, each calling the behaviour with the
/// store that `store(max_file_bytes)` (an async fn in the invoking module,
/// which returns a guard to keep alive and the store) gives it: the
/// default limit, or 3 bytes for the behaviours about the limit.
macro_rules! data_store_conformance {
    () => {
        data_store_conformance!(@tests $crate::data_store::DEFAULT_MAX_FILE_BYTES;
            files::files_round_trip_and_list_in_pages,
            files::listings_follow_the_byte_order_of_names,
            files::overwrites_whole_and_deletes,
            files::an_abandoned_writer_leaves_nothing,
            files::a_read_with_a_limit_refuses_a_larger_file_by_its_size,
            files::large_files_stream_in_and_out_whole,
            files::concurrent_writers_of_one_file_leave_one_whole,
            files::missing_things_are_not_found,
            collections::collections_keep_their_access_lists,
            collections::deleting_a_collection_with_files_needs_force,
            collections::owners_match_without_case_and_stay_apart,
        );
        data_store_conformance!(@tests 3;
            files::a_file_over_the_limit_is_refused_and_leaves_nothing,
        );
    };
    (@tests $limit:expr; $($group:ident::$name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let (_guard, store) = store($limit).await;
            $crate::data_store::conformance::$group::$name(&store).await;
        }
    )*};
}

/// The file at `uri`, for `alice`.
pub(crate) fn file(uri: &str) -> FilePath {
    DataPath::from_uri(uri, "alice")
        .unwrap()
        .into_file(uri)
        .unwrap()
}

/// The collection at `uri`, for `alice`.
pub(crate) fn collection(uri: &str) -> CollectionPath {
    DataPath::from_uri(uri, "alice")
        .unwrap()
        .into_collection(uri)
        .unwrap()
}

/// `name` as an account name.
pub(crate) fn account(name: &str) -> AccountName {
    AccountName::parse(name).unwrap()
}
