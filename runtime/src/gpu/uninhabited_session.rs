//! The session type of a runtime built without its `gpu` feature: it has
//! no values, so every GPU call ends before reaching one, and the host
//! functions compile unchanged.

use super::AdapterInfo;
use super::error::GpuError;
use super::quota::GpuLimits;

/// No invocation ever has a GPU session in this build.
pub(crate) enum Session {}

impl Session {
    pub(crate) fn limits(&self) -> &GpuLimits {
        match *self {}
    }

    pub(crate) async fn adapter(&self) -> Result<AdapterInfo, GpuError> {
        match *self {}
    }

    pub(crate) async fn create_buffer(&mut self, _: u64, _: Vec<u8>) -> Result<u32, GpuError> {
        match *self {}
    }

    pub(crate) fn buffer_size(&self, _: u32) -> u64 {
        match *self {}
    }

    pub(crate) async fn write(&mut self, _: u32, _: u64, _: Vec<u8>) -> Result<(), GpuError> {
        match *self {}
    }

    pub(crate) async fn read(&mut self, _: u32, _: u64, _: u64) -> Result<Vec<u8>, GpuError> {
        match *self {}
    }

    pub(crate) async fn compile(&mut self, _: String, _: String) -> Result<u32, GpuError> {
        match *self {}
    }

    pub(crate) async fn dispatch(
        &mut self,
        _: u32,
        _: Vec<(u32, u32)>,
        _: [u32; 3],
    ) -> Result<(), GpuError> {
        match *self {}
    }

    pub(crate) fn drop_buffer(&mut self, _: u32) {
        match *self {}
    }

    pub(crate) fn drop_kernel(&mut self, _: u32) {
        match *self {}
    }
}
