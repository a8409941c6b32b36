//! A writer's pieces as a byte stream, for sinks that read one (the object
//! store's upload).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf as _, Bytes};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;

use crate::data_store::file_writer::Piece;

/// Reads the pieces a [`FileWriter`](super::file_writer::FileWriter) sends,
/// up to [`Piece::End`] or the writer's drop; [`ended`](Self::ended) tells
/// which.
pub(crate) struct PieceReader {
    pieces: mpsc::Receiver<Piece>,
    current: Bytes,
    ended: bool,
}

impl PieceReader {
    pub(crate) fn new(pieces: mpsc::Receiver<Piece>) -> Self {
        Self {
            pieces,
            current: Bytes::new(),
            ended: false,
        }
    }

    /// Whether the writer committed: the stream ended with
    /// [`Piece::End`], not with the writer going away.
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }
}

impl AsyncRead for PieceReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let start = buf.filled().len();
        // Fill as much of `buf` as the pieces already waiting allow, so an
        // upload's chunks are full even when the pieces are small.
        loop {
            if !this.current.is_empty() {
                let take = this.current.len().min(buf.remaining());
                buf.put_slice(&this.current[..take]);
                this.current.advance(take);
                if buf.remaining() == 0 {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            if this.ended {
                return Poll::Ready(Ok(()));
            }
            match this.pieces.poll_recv(cx) {
                Poll::Ready(Some(Piece::Bytes(bytes))) => this.current = bytes,
                Poll::Ready(Some(Piece::End)) => {
                    this.ended = true;
                    return Poll::Ready(Ok(()));
                }
                // The writer went away: the end of what there is.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending if buf.filled().len() > start => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt as _;

    use super::*;

    #[tokio::test]
    async fn reads_every_piece_and_tells_an_end_from_an_abandonment() {
        let (send, received) = mpsc::channel(4);
        send.send(Piece::Bytes(Bytes::from_static(b"ab")))
            .await
            .unwrap();
        send.send(Piece::Bytes(Bytes::from_static(b"cd")))
            .await
            .unwrap();
        send.send(Piece::End).await.unwrap();
        let mut reader = PieceReader::new(received);
        let mut all = Vec::new();
        reader.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"abcd");
        assert!(reader.ended());

        let (send, received) = mpsc::channel(4);
        send.send(Piece::Bytes(Bytes::from_static(b"half")))
            .await
            .unwrap();
        drop(send);
        let mut reader = PieceReader::new(received);
        let mut all = Vec::new();
        reader.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"half");
        assert!(!reader.ended());
    }
}
