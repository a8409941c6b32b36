//! Frames, the unit both directions of the GPU worker's pipes carry: a
//! little-endian `u32` length, then that many bytes of fields, written
//! and read here in order.

use std::io::{self, Read};

use super::error::GpuError;

/// The largest frame either side accepts: a buffer at the quota's maximum
/// plus its header, with room to spare.
const MAX_FRAME: usize = 1 << 30;

/// A frame that does not decode: a bug, or something else writing to the
/// worker's stdout.
#[derive(Debug, thiserror::Error)]
#[error("malformed GPU worker frame: {0}")]
pub struct ProtocolError(pub(crate) &'static str);

/// Reads one frame's payload; `None` at a clean end of the stream.
pub fn read_frame(reader: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut length = [0; 4];
    match reader.read_exact(&mut length) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(err),
    }
    let length = u32::from_le_bytes(length) as usize;
    if length > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a GPU worker frame of {length} bytes, more than the {MAX_FRAME}-byte limit"),
        ));
    }
    let mut payload = vec![0; length];
    reader.read_exact(&mut payload)?;
    Ok(Some(payload))
}

/// A frame being written: its length is filled in by [`Frame::finish`].
pub(crate) struct Frame<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
}

impl<'a> Frame<'a> {
    pub(crate) fn start(out: &'a mut Vec<u8>) -> Self {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        Self { out, start }
    }

    pub(crate) fn u8(&mut self, value: u8) -> &mut Self {
        self.out.push(value);
        self
    }

    pub(crate) fn u32(&mut self, value: u32) -> &mut Self {
        self.out.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub(crate) fn u64(&mut self, value: u64) -> &mut Self {
        self.out.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub(crate) fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.u64(value.len() as u64);
        self.out.extend_from_slice(value);
        self
    }

    pub(crate) fn error(&mut self, err: &GpuError) -> &mut Self {
        let (tag, message) = match err {
            GpuError::Unavailable(message) => (0, message),
            GpuError::PermissionDenied(message) => (1, message),
            GpuError::QuotaExceeded(message) => (2, message),
            GpuError::Compile {
                message,
                line,
                column,
            } => {
                return self.u8(3).bytes(message.as_bytes()).u32(*line).u32(*column);
            }
            GpuError::Validation(message) => (4, message),
            GpuError::OutOfMemory(message) => (5, message),
            GpuError::Timeout(message) => (6, message),
            GpuError::DeviceLost(message) => (7, message),
        };
        self.u8(tag).bytes(message.as_bytes())
    }

    pub(crate) fn finish(self) {
        let length = (self.out.len() - self.start - 4) as u32;
        self.out[self.start..self.start + 4].copy_from_slice(&length.to_le_bytes());
    }
}

/// The fields of a frame being read.
pub(crate) struct Fields<'a>(pub(crate) &'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], ProtocolError> {
        if self.0.len() < count {
            return Err(ProtocolError("a field past the frame's end"));
        }
        let (head, rest) = self.0.split_at(count);
        self.0 = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, ProtocolError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, ProtocolError> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes(bytes.try_into().expect("4 bytes")))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, ProtocolError> {
        let bytes = self.take(8)?;
        Ok(u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], ProtocolError> {
        let length = usize::try_from(self.u64()?)
            .map_err(|_| ProtocolError("a length past the address space"))?;
        self.take(length)
    }

    pub(crate) fn string(&mut self) -> Result<String, ProtocolError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| ProtocolError("text is not UTF-8"))
    }

    pub(crate) fn error(&mut self) -> Result<GpuError, ProtocolError> {
        let tag = self.u8()?;
        let message = self.string()?;
        Ok(match tag {
            0 => GpuError::Unavailable(message),
            1 => GpuError::PermissionDenied(message),
            2 => GpuError::QuotaExceeded(message),
            3 => GpuError::Compile {
                message,
                line: self.u32()?,
                column: self.u32()?,
            },
            4 => GpuError::Validation(message),
            5 => GpuError::OutOfMemory(message),
            6 => GpuError::Timeout(message),
            7 => GpuError::DeviceLost(message),
            _ => return Err(ProtocolError("unknown error tag")),
        })
    }

    pub(crate) fn end(&self) -> Result<(), ProtocolError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ProtocolError("bytes after the last field"))
        }
    }
}
