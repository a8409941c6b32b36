//! A Data API file as a response body, read piece by piece as the client
//! takes it: several readers of a large file hold a piece each, not the
//! file.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame};
use tokio::io::ReadBuf;

use algobox_platform::data_store::FileReader;

/// The size of one piece.
const PIECE: usize = 256 << 10;

/// The body: `first`, then the rest of the reader.
pub(crate) struct FileBody {
    first: Option<Bytes>,
    reader: FileReader,
    piece: Box<[u8]>,
}

impl FileBody {
    /// Streams `reader` from where it is; `first` was read from it already.
    pub(crate) fn new(first: Bytes, reader: FileReader) -> Self {
        Self {
            first: (!first.is_empty()).then_some(first),
            reader,
            piece: vec![0u8; PIECE].into_boxed_slice(),
        }
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(first) = this.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        let mut piece = ReadBuf::new(&mut this.piece);
        match this.reader.as_mut().poll_read(cx, &mut piece) {
            Poll::Ready(Ok(())) if piece.filled().is_empty() => Poll::Ready(None),
            Poll::Ready(Ok(())) => Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(
                piece.filled(),
            ))))),
            Poll::Ready(Err(err)) => Poll::Ready(Some(Err(err))),
            Poll::Pending => Poll::Pending,
        }
    }
}
