//! The frames between the runtime and its GPU worker, over the worker's
//! stdin (requests) and stdout (replies).
//!
//! Each message is one frame (see `frame`): a tag byte and the fields in
//! order. Bytes travel as they are (no base64 or JSON), since a dispatch
//! must cost microseconds.
//!
//! Only `read` and `compile` carry an `id` and get a reply. Everything else
//! is queued without a reply: the worker keeps a session's first error and
//! returns it with the session's next reply. After its `ready` frame the
//! worker only answers; the one frame it sends unasked is `overran`, just
//! before it exits because a session's GPU work passed its deadline.

use std::io::{self, Write};

use super::error::GpuError;
use super::frame::{Fields, Frame};
pub use super::frame::{ProtocolError, read_frame};
use super::{AdapterInfo, GpuUsage};

/// What the runtime asks of the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Starts a session whose GPU work must end within `budget_us`.
    Open { session: u64, budget_us: u64 },
    /// Creates a zeroed buffer, then copies `data` (possibly empty) into it.
    CreateBuffer {
        session: u64,
        buffer: u32,
        size: u64,
        data: Vec<u8>,
    },
    /// Copies `data` into a buffer at `offset`.
    Write {
        session: u64,
        buffer: u32,
        offset: u64,
        data: Vec<u8>,
    },
    /// Reads bytes back; answered by [`Reply::Bytes`].
    Read {
        id: u64,
        session: u64,
        buffer: u32,
        offset: u64,
        length: u64,
    },
    /// Compiles a kernel; answered by [`Reply::Done`].
    Compile {
        id: u64,
        session: u64,
        kernel: u32,
        source: String,
        entry_point: String,
    },
    /// Runs a kernel over `workgroups` with `(slot, buffer)` bindings.
    Dispatch {
        session: u64,
        kernel: u32,
        workgroups: [u32; 3],
        bindings: Vec<(u32, u32)>,
    },
    /// Frees a buffer.
    DropBuffer { session: u64, buffer: u32 },
    /// Frees a kernel.
    DropKernel { session: u64, kernel: u32 },
    /// Frees everything of a session.
    Close { session: u64 },
    /// Asks what the worker holds; answered by [`Reply::Usage`].
    Usage { id: u64 },
}

/// What the worker sends back.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The first frame: the adapter, or why there is none (then it exits).
    Ready(Result<AdapterInfo, GpuError>),
    /// The answer to a [`Request::Read`].
    Bytes {
        id: u64,
        result: Result<Vec<u8>, GpuError>,
    },
    /// The answer to a [`Request::Compile`].
    Done {
        id: u64,
        result: Result<(), GpuError>,
    },
    /// A session's GPU work passed its deadline; the worker exits next.
    Overran { session: u64 },
    /// The answer to a [`Request::Usage`].
    Usage { id: u64, usage: GpuUsage },
}

impl Request {
    /// Appends this request as one frame.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut frame = Frame::start(out);
        match self {
            Self::Open { session, budget_us } => {
                frame.u8(1).u64(*session).u64(*budget_us);
            }
            Self::CreateBuffer {
                session,
                buffer,
                size,
                data,
            } => {
                frame
                    .u8(2)
                    .u64(*session)
                    .u32(*buffer)
                    .u64(*size)
                    .bytes(data);
            }
            Self::Write {
                session,
                buffer,
                offset,
                data,
            } => {
                frame
                    .u8(3)
                    .u64(*session)
                    .u32(*buffer)
                    .u64(*offset)
                    .bytes(data);
            }
            Self::Read {
                id,
                session,
                buffer,
                offset,
                length,
            } => {
                frame
                    .u8(4)
                    .u64(*id)
                    .u64(*session)
                    .u32(*buffer)
                    .u64(*offset)
                    .u64(*length);
            }
            Self::Compile {
                id,
                session,
                kernel,
                source,
                entry_point,
            } => {
                frame
                    .u8(5)
                    .u64(*id)
                    .u64(*session)
                    .u32(*kernel)
                    .bytes(source.as_bytes())
                    .bytes(entry_point.as_bytes());
            }
            Self::Dispatch {
                session,
                kernel,
                workgroups,
                bindings,
            } => {
                frame.u8(6).u64(*session).u32(*kernel);
                for count in workgroups {
                    frame.u32(*count);
                }
                frame.u32(bindings.len() as u32);
                for (slot, buffer) in bindings {
                    frame.u32(*slot).u32(*buffer);
                }
            }
            Self::DropBuffer { session, buffer } => {
                frame.u8(7).u64(*session).u32(*buffer);
            }
            Self::DropKernel { session, kernel } => {
                frame.u8(8).u64(*session).u32(*kernel);
            }
            Self::Close { session } => {
                frame.u8(9).u64(*session);
            }
            Self::Usage { id } => {
                frame.u8(10).u64(*id);
            }
        }
        frame.finish();
    }

    /// Decodes one frame's payload.
    #[cfg_attr(
        not(feature = "gpu"),
        expect(dead_code, reason = "only the worker decodes requests")
    )]
    pub fn decode(payload: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = Fields(payload);
        let request = match fields.u8()? {
            1 => Self::Open {
                session: fields.u64()?,
                budget_us: fields.u64()?,
            },
            2 => Self::CreateBuffer {
                session: fields.u64()?,
                buffer: fields.u32()?,
                size: fields.u64()?,
                data: fields.bytes()?.to_vec(),
            },
            3 => Self::Write {
                session: fields.u64()?,
                buffer: fields.u32()?,
                offset: fields.u64()?,
                data: fields.bytes()?.to_vec(),
            },
            4 => Self::Read {
                id: fields.u64()?,
                session: fields.u64()?,
                buffer: fields.u32()?,
                offset: fields.u64()?,
                length: fields.u64()?,
            },
            5 => Self::Compile {
                id: fields.u64()?,
                session: fields.u64()?,
                kernel: fields.u32()?,
                source: fields.string()?,
                entry_point: fields.string()?,
            },
            6 => {
                let session = fields.u64()?;
                let kernel = fields.u32()?;
                let workgroups = [fields.u32()?, fields.u32()?, fields.u32()?];
                let count = fields.u32()? as usize;
                if count > fields.0.len() / 8 {
                    return Err(ProtocolError("binding count past the frame's end"));
                }
                let bindings = (0..count)
                    .map(|_| Ok((fields.u32()?, fields.u32()?)))
                    .collect::<Result<_, ProtocolError>>()?;
                Self::Dispatch {
                    session,
                    kernel,
                    workgroups,
                    bindings,
                }
            }
            7 => Self::DropBuffer {
                session: fields.u64()?,
                buffer: fields.u32()?,
            },
            8 => Self::DropKernel {
                session: fields.u64()?,
                kernel: fields.u32()?,
            },
            9 => Self::Close {
                session: fields.u64()?,
            },
            10 => Self::Usage { id: fields.u64()? },
            _ => return Err(ProtocolError("unknown request tag")),
        };
        fields.end()?;
        Ok(request)
    }
}

impl Reply {
    /// Appends this reply as one frame.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut frame = Frame::start(out);
        match self {
            Self::Ready(result) => {
                frame.u8(1);
                match result {
                    Ok(info) => {
                        frame
                            .u8(0)
                            .bytes(info.name.as_bytes())
                            .bytes(info.backend.as_bytes())
                            .bytes(info.device_type.as_bytes())
                            .bytes(info.driver.as_bytes());
                    }
                    Err(err) => {
                        frame.u8(1).error(err);
                    }
                }
            }
            Self::Bytes { id, result } => {
                frame.u8(2).u64(*id);
                match result {
                    Ok(bytes) => {
                        frame.u8(0).bytes(bytes);
                    }
                    Err(err) => {
                        frame.u8(1).error(err);
                    }
                }
            }
            Self::Done { id, result } => {
                frame.u8(3).u64(*id);
                match result {
                    Ok(()) => {
                        frame.u8(0);
                    }
                    Err(err) => {
                        frame.u8(1).error(err);
                    }
                }
            }
            Self::Overran { session } => {
                frame.u8(4).u64(*session);
            }
            Self::Usage { id, usage } => {
                frame
                    .u8(5)
                    .u64(*id)
                    .u64(usage.sessions)
                    .u64(usage.buffers)
                    .u64(usage.buffer_bytes)
                    .u64(usage.kernels);
            }
        }
        frame.finish();
    }

    /// Decodes one frame's payload.
    pub fn decode(payload: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = Fields(payload);
        let reply = match fields.u8()? {
            1 => Self::Ready(match fields.u8()? {
                0 => Ok(AdapterInfo {
                    name: fields.string()?,
                    backend: fields.string()?,
                    device_type: fields.string()?,
                    driver: fields.string()?,
                }),
                _ => Err(fields.error()?),
            }),
            2 => Self::Bytes {
                id: fields.u64()?,
                result: match fields.u8()? {
                    0 => Ok(fields.bytes()?.to_vec()),
                    _ => Err(fields.error()?),
                },
            },
            3 => Self::Done {
                id: fields.u64()?,
                result: match fields.u8()? {
                    0 => Ok(()),
                    _ => Err(fields.error()?),
                },
            },
            4 => Self::Overran {
                session: fields.u64()?,
            },
            5 => Self::Usage {
                id: fields.u64()?,
                usage: GpuUsage {
                    sessions: fields.u64()?,
                    buffers: fields.u64()?,
                    buffer_bytes: fields.u64()?,
                    kernels: fields.u64()?,
                },
            },
            _ => return Err(ProtocolError("unknown reply tag")),
        };
        fields.end()?;
        Ok(reply)
    }
}

/// Writes the `ready` frame of a worker that has no adapter; returns the
/// exit status such a worker ends with.
pub fn announce_unavailable(reason: &str) -> std::process::ExitCode {
    let mut frame = Vec::new();
    Reply::Ready(Err(GpuError::Unavailable(reason.to_owned()))).encode(&mut frame);
    let mut stdout = io::stdout().lock();
    // The runtime reads this frame or sees the pipe close: either way it
    // learns there is no GPU, so a failed write needs no report.
    let _ = stdout.write_all(&frame).and_then(|()| stdout.flush());
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip_request(request: Request) {
        let mut frame = Vec::new();
        request.encode(&mut frame);
        let payload = read_frame(&mut frame.as_slice()).unwrap().unwrap();
        assert_eq!(Request::decode(&payload).unwrap(), request);
    }

    fn round_trip_reply(reply: Reply) {
        let mut frame = Vec::new();
        reply.encode(&mut frame);
        let payload = read_frame(&mut frame.as_slice()).unwrap().unwrap();
        assert_eq!(Reply::decode(&payload).unwrap(), reply);
    }

    #[test]
    fn every_frame_round_trips() {
        round_trip_request(Request::Open {
            session: 7,
            budget_us: 1_000_000,
        });
        round_trip_request(Request::CreateBuffer {
            session: 7,
            buffer: 1,
            size: 8,
            data: vec![1, 2, 3, 4],
        });
        round_trip_request(Request::Write {
            session: 7,
            buffer: 1,
            offset: 4,
            data: vec![9; 4],
        });
        round_trip_request(Request::Read {
            id: 3,
            session: 7,
            buffer: 1,
            offset: 0,
            length: 8,
        });
        round_trip_request(Request::Compile {
            id: 4,
            session: 7,
            kernel: 2,
            source: "@compute @workgroup_size(1) fn main() {}".to_owned(),
            entry_point: "main".to_owned(),
        });
        round_trip_request(Request::Dispatch {
            session: 7,
            kernel: 2,
            workgroups: [4, 2, 1],
            bindings: vec![(0, 1), (1, 3)],
        });
        round_trip_request(Request::DropBuffer {
            session: 7,
            buffer: 1,
        });
        round_trip_request(Request::DropKernel {
            session: 7,
            kernel: 2,
        });
        round_trip_request(Request::Close { session: 7 });
        round_trip_request(Request::Usage { id: 12 });

        round_trip_reply(Reply::Ready(Ok(AdapterInfo {
            name: "llvmpipe".to_owned(),
            backend: "vulkan".to_owned(),
            device_type: "cpu".to_owned(),
            driver: "Mesa".to_owned(),
        })));
        round_trip_reply(Reply::Ready(Err(GpuError::Unavailable("none".to_owned()))));
        round_trip_reply(Reply::Bytes {
            id: 1,
            result: Ok(vec![5; 12]),
        });
        round_trip_reply(Reply::Done {
            id: 2,
            result: Err(GpuError::Compile {
                message: "expected `;`".to_owned(),
                line: 3,
                column: 14,
            }),
        });
        round_trip_reply(Reply::Overran { session: 9 });
        round_trip_reply(Reply::Usage {
            id: 12,
            usage: GpuUsage {
                sessions: 1,
                buffers: 3,
                buffer_bytes: (2 << 20) + 12,
                kernels: 1,
            },
        });
    }

    #[test]
    fn truncated_and_unknown_frames_are_errors_not_panics() {
        let mut frame = Vec::new();
        Request::Read {
            id: 3,
            session: 7,
            buffer: 1,
            offset: 0,
            length: 8,
        }
        .encode(&mut frame);
        assert!(Request::decode(&frame[4..frame.len() - 1]).is_err());
        assert!(Request::decode(&[42]).is_err());
        assert!(Reply::decode(&[]).is_err());
        // A binding count that claims more than the frame holds.
        let mut bad = vec![6];
        bad.extend_from_slice(&[0; 20]);
        bad.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(Request::decode(&bad).is_err());
    }
}
