//! The `algobox:algorithm/data` imports: `data://` files with the caller's
//! permissions, through the invocation's [`DataAccess`](crate::DataAccess).

use super::bindings::{self, algobox::algorithm::data};
use super::host::ContextState;
use crate::data_access::no_access;

type Outcome<T> = wasmtime::Result<Result<T, bindings::AlgoError>>;

impl data::Host for ContextState {
    async fn read(&mut self, uri: String) -> Outcome<Vec<u8>> {
        self.budget.charge(uri.len())?;
        let Some(access) = self.data.clone() else {
            return Ok(Err(no_access().into()));
        };
        let contents = access.read(uri).await;
        // What comes back is copied into the guest: it counts too.
        if let Ok(contents) = &contents {
            self.budget.charge(contents.len())?;
        }
        Ok(contents.map_err(Into::into))
    }

    async fn write(&mut self, uri: String, contents: Vec<u8>) -> Outcome<()> {
        self.budget.charge(uri.len() + contents.len())?;
        let Some(access) = self.data.clone() else {
            return Ok(Err(no_access().into()));
        };
        Ok(access.write(uri, contents).await.map_err(Into::into))
    }

    async fn exists(&mut self, uri: String) -> Outcome<bool> {
        self.budget.charge(uri.len())?;
        let Some(access) = self.data.clone() else {
            return Ok(Err(no_access().into()));
        };
        Ok(access.exists(uri).await.map_err(Into::into))
    }

    async fn delete(&mut self, uri: String) -> Outcome<()> {
        self.budget.charge(uri.len())?;
        let Some(access) = self.data.clone() else {
            return Ok(Err(no_access().into()));
        };
        Ok(access.delete(uri).await.map_err(Into::into))
    }

    async fn list_files(&mut self, uri: String) -> Outcome<Vec<String>> {
        self.budget.charge(uri.len())?;
        let Some(access) = self.data.clone() else {
            return Ok(Err(no_access().into()));
        };
        let names = access.list(uri).await;
        if let Ok(names) = &names {
            self.budget.charge(names.iter().map(String::len).sum())?;
        }
        Ok(names.map_err(Into::into))
    }
}
