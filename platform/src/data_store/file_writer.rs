//! Writing a file piece by piece: the pieces go to a sink (a staged file on
//! disk, an object being uploaded) that makes the file visible only once
//! it has all of them.

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::data_store::error::DataError;

/// Pieces in flight between a writer and its sink: enough to keep the
/// sink busy while the next piece arrives.
const PIECES_IN_FLIGHT: usize = 8;

/// What a writer hands its sink.
#[derive(Debug)]
pub(crate) enum Piece {
    /// The next bytes of the file.
    Bytes(Bytes),
    /// The file is whole: make it visible. A sink whose channel closes
    /// without this was abandoned, and leaves nothing behind.
    End,
}

/// A file being written; see [`DataStore::writer`](super::DataStore::writer).
/// Dropped without [`commit`](Self::commit), it leaves no trace.
#[derive(Debug)]
pub struct FileWriter {
    pieces: Option<mpsc::Sender<Piece>>,
    sink: Option<JoinHandle<Result<(), DataError>>>,
    written: u64,
    limit: u64,
}

impl FileWriter {
    /// A writer of at most `limit` bytes whose pieces go to the sink
    /// `start` spawns. The sink's result is the write's: `Ok` once the
    /// file is visible after [`Piece::End`].
    pub(crate) fn new(
        limit: u64,
        start: impl FnOnce(mpsc::Receiver<Piece>) -> JoinHandle<Result<(), DataError>>,
    ) -> Self {
        let (pieces, received) = mpsc::channel(PIECES_IN_FLIGHT);
        Self {
            pieces: Some(pieces),
            sink: Some(start(received)),
            written: 0,
            limit,
        }
    }

    /// Appends `bytes`; fails once the file passes the store's limit, and
    /// then the write is over: nothing is stored.
    pub async fn write(&mut self, bytes: Bytes) -> Result<(), DataError> {
        let Some(pieces) = &self.pieces else {
            return Err(over());
        };
        self.written += bytes.len() as u64;
        if self.written > self.limit {
            // Abandons the sink, which cleans up after itself.
            self.pieces = None;
            return Err(DataError::TooLarge { limit: self.limit });
        }
        if pieces.send(Piece::Bytes(bytes)).await.is_err() {
            return Err(self.failure().await);
        }
        Ok(())
    }

    /// Makes the file visible under its name, whole, replacing any older
    /// one.
    pub async fn commit(mut self) -> Result<(), DataError> {
        let Some(pieces) = self.pieces.take() else {
            return Err(over());
        };
        // A closed channel means the sink failed: its result says why.
        let _ = pieces.send(Piece::End).await;
        drop(pieces);
        self.failure_or_done().await
    }

    /// Why the sink stopped taking pieces.
    async fn failure(&mut self) -> DataError {
        self.pieces = None;
        match self.failure_or_done().await {
            Err(err) => err,
            Ok(()) => DataError::Invalid(
                "the file was stored before all of it was written; write it again".to_owned(),
            ),
        }
    }

    async fn failure_or_done(&mut self) -> Result<(), DataError> {
        let Some(sink) = self.sink.take() else {
            return Err(over());
        };
        sink.await.map_err(|err| {
            DataError::io("finish writing the file")(std::io::Error::other(format!(
                "the writing task ended early: {err}"
            )))
        })?
    }
}

/// The error for a writer used after its write failed.
fn over() -> DataError {
    DataError::Invalid(
        "this write failed earlier and stored nothing; write the file again".to_owned(),
    )
}
