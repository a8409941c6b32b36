//! The `algobox:algorithm/data` imports: `data://` files with the caller's
//! permissions, through the invocation's [`DataAccess`], when granted.

use std::sync::Arc;

use super::bindings::{AlgoError, algobox::algorithm::data, algobox::algorithm::types};
use super::budget::HostCallBudget;
use super::host_error::HostError;
use crate::data_access::{DataAccess, no_access};

/// What the data imports may touch: the invocation's access and the budget.
pub(crate) struct DataView<'a> {
    pub(crate) access: &'a Option<Arc<dyn DataAccess>>,
    pub(crate) budget: &'a mut HostCallBudget,
}

impl DataView<'_> {
    /// The access, after charging the call for the `uri` it copies in.
    fn charged(&mut self, uri: &str) -> Result<Arc<dyn DataAccess>, HostError<AlgoError>> {
        self.budget.charge(uri.len())?;
        Ok(self.access.clone().ok_or_else(no_access)?)
    }
}

impl types::Host for DataView<'_> {
    fn convert_algo_error(&mut self, err: HostError<AlgoError>) -> wasmtime::Result<AlgoError> {
        err.into_guest()
    }
}

impl data::Host for DataView<'_> {
    async fn read(&mut self, uri: String) -> Result<Vec<u8>, HostError<AlgoError>> {
        let access = self.charged(&uri)?;
        // The file is refused before it is read when the budget could not
        // take it: a 300 MB file must not pass through the host's memory
        // on its way to a trap.
        let contents = access.read(uri, self.budget.bytes_left()).await?;
        // What comes back is copied into the guest: it counts too.
        self.budget.charge(contents.len())?;
        Ok(contents)
    }

    async fn write(&mut self, uri: String, contents: Vec<u8>) -> Result<(), HostError<AlgoError>> {
        self.budget.charge(uri.len() + contents.len())?;
        let access = self.access.clone().ok_or_else(no_access)?;
        Ok(access.write(uri, contents).await?)
    }

    async fn exists(&mut self, uri: String) -> Result<bool, HostError<AlgoError>> {
        Ok(self.charged(&uri)?.exists(uri).await?)
    }

    async fn delete(&mut self, uri: String) -> Result<(), HostError<AlgoError>> {
        Ok(self.charged(&uri)?.delete(uri).await?)
    }

    async fn list_files(&mut self, uri: String) -> Result<Vec<String>, HostError<AlgoError>> {
        let names = self.charged(&uri)?.list(uri).await?;
        self.budget.charge(names.iter().map(String::len).sum())?;
        Ok(names)
    }
}
