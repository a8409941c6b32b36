//! A Data API file as a response body, read piece by piece on the blocking
//! pool: several readers of a large file hold a few pieces each, not the
//! file.

use std::io::Read as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame};
use tokio::sync::mpsc;

/// The size of one piece.
const PIECE: usize = 256 << 10;

/// Pieces read ahead of the client.
const READ_AHEAD: usize = 4;

/// The body: pieces as the reader sends them.
pub(crate) struct FileBody {
    pieces: mpsc::Receiver<std::io::Result<Bytes>>,
}

impl FileBody {
    /// Streams `file` from where its cursor is; `first` was read already.
    pub(crate) fn new(first: Bytes, mut file: std::fs::File) -> Self {
        let (send, pieces) = mpsc::channel(READ_AHEAD);
        tokio::task::spawn_blocking(move || {
            if !first.is_empty() && send.blocking_send(Ok(first)).is_err() {
                return;
            }
            loop {
                let mut piece = vec![0u8; PIECE];
                match file.read(&mut piece) {
                    Ok(0) => return,
                    Ok(read) => {
                        piece.truncate(read);
                        // The client went away: stop reading.
                        if send.blocking_send(Ok(Bytes::from(piece))).is_err() {
                            return;
                        }
                    }
                    Err(err) => {
                        let _ = send.blocking_send(Err(err));
                        return;
                    }
                }
            }
        });
        Self { pieces }
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.pieces
            .poll_recv(cx)
            .map(|piece| piece.map(|piece| piece.map(Frame::data)))
    }
}
