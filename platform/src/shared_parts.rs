//! The parts of a platform that may live outside its data folder, shared
//! by the nodes of a cluster.

use std::sync::Arc;

use algobox_runtime::shared_code::SharedCode;

use crate::data_store::DataStore;
use crate::module_store::ModuleStore;
use crate::registry::Registry;

/// What [`Platform::open_with`](crate::Platform::open_with) takes from
/// outside the data folder; each part left `None` lives in the folder
/// (`registry.sqlite3`, `modules/`, `files/`).
pub struct SharedParts {
    /// The registry (a PostgreSQL one, say).
    pub registry: Option<Arc<dyn Registry>>,
    /// The module store (a NATS JetStream one, say).
    pub modules: Option<Arc<dyn ModuleStore>>,
    /// The Data API's collections and files (a cluster's PostgreSQL and
    /// NATS JetStream one, say).
    pub data: Option<Arc<dyn DataStore>>,
    /// Compiled code shared with the other nodes (see
    /// [`JetStreamCodeShelf`](crate::code_shelf::JetStreamCodeShelf));
    /// `None` keeps it in this node's `compiled/` folder alone.
    pub code: Option<SharedCode>,
    /// Whether this node alone compiles for the registry, so that builds
    /// it finds in progress were left by its own earlier run and are
    /// failed at start. A cluster's nodes share the registry and must not
    /// fail each other's compiles: `false` there.
    pub sole_compiler: bool,
}

impl Default for SharedParts {
    /// Everything in the data folder, compiled by this node alone.
    fn default() -> Self {
        Self {
            registry: None,
            modules: None,
            data: None,
            code: None,
            sole_compiler: true,
        }
    }
}
