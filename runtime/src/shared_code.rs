//! Compiled code shared by the nodes of a cluster, so that ten nodes do not
//! compile the same upload ten times.
//!
//! Loading compiled code runs whatever machine code it holds, which is why
//! wasmtime makes it `unsafe`. Code fetched from a store that other
//! processes can write is therefore authenticated before it is loaded: each
//! artifact is stored behind an HMAC-SHA256 of its name and its bytes, keyed
//! by a secret that every node of the cluster holds and the store does not.
//! The name carries the module's content hash and the engine's fingerprint,
//! so an authentic artifact cannot be passed off as another module's code
//! or another engine's. An artifact that fails the check is never
//! deserialized: the node compiles instead, and its artifact replaces it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasmtime::component::Component;

use crate::content_hash::ContentHash;

/// A boxed future, as the shelf's operations return them.
pub type ShelfFuture<T> = Pin<Box<dyn Future<Output = Result<T, ShelfError>> + Send>>;

/// Where the nodes of a cluster keep compiled code for each other: the
/// runtime's port, which the platform implements over the cluster's object
/// store. The shelf holds opaque, authenticated bytes; it needs no secret
/// and is not trusted with one.
pub trait CodeShelf: Send + Sync {
    /// The object named `name`, or `None` when there is none.
    fn get(&self, name: String) -> ShelfFuture<Option<Vec<u8>>>;
    /// Stores `bytes` as the object named `name`, replacing any other.
    fn put(&self, name: String, bytes: Vec<u8>) -> ShelfFuture<()>;
}

/// The shelf could not be read or written; the runtime compiles instead.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ShelfError {
    message: String,
}

impl ShelfError {
    /// An error that says what failed.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// The shortest secret accepted, in bytes: 128 bits, as for any MAC key.
pub const MIN_SECRET_BYTES: usize = 16;

/// The secret is too short to keep others from signing code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the secret that signs shared compiled code has {len} bytes, fewer than {MIN_SECRET_BYTES}: anyone who guessed it could make every node run their machine code; use a long random one (`openssl rand -base64 32`), the same on every node"
)]
pub struct WeakSecret {
    /// The length given.
    pub len: usize,
}

/// How long one read or write of the shelf may take before the node gives
/// up on it and compiles (a read) or keeps its code to itself (a write): a
/// slow store must not hold a build or a first call longer than a compile.
const SHELF_TIMEOUT: Duration = Duration::from_secs(30);

/// The length of the tag that precedes each artifact's code.
const TAG_BYTES: usize = 32;

type Signer = Hmac<Sha256>;

/// Compiled code shared through a [`CodeShelf`], signed with a secret.
///
/// # Example
///
/// ```no_run
/// use std::sync::Arc;
/// use algobox_runtime::Runtime;
/// use algobox_runtime::shared_code::{CodeShelf, SharedCode};
///
/// # fn demo(shelf: Arc<dyn CodeShelf>) -> Result<(), Box<dyn std::error::Error>> {
/// let secret = std::env::var("ALGOBOX_CLUSTER_SECRET")?;
/// let runtime = Runtime::builder()
///     .shared_code(SharedCode::new(shelf, secret.as_bytes())?)
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SharedCode {
    shelf: Arc<dyn CodeShelf>,
    signer: Signer,
}

impl fmt::Debug for SharedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        f.debug_struct("SharedCode").finish_non_exhaustive()
    }
}

impl SharedCode {
    /// Shares code through `shelf`, signed with `secret` (at least
    /// [`MIN_SECRET_BYTES`] long, and the same on every node).
    pub fn new(shelf: Arc<dyn CodeShelf>, secret: &[u8]) -> Result<Self, WeakSecret> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(WeakSecret { len: secret.len() });
        }
        let signer = Signer::new_from_slice(secret).expect("HMAC takes keys of any length");
        Ok(Self { shelf, signer })
    }

    /// The compiled code another node shared for `hash` on an engine with
    /// this `fingerprint`, if there is authentic code that loads.
    pub(crate) async fn fetch(
        &self,
        engine: &wasmtime::Engine,
        fingerprint: u64,
        hash: &ContentHash,
    ) -> Option<Component> {
        let name = object_name(fingerprint, hash);
        let found = tokio::time::timeout(SHELF_TIMEOUT, self.shelf.get(name.clone())).await;
        let artifact = match found {
            Ok(Ok(Some(artifact))) => artifact,
            Ok(Ok(None)) => return None,
            Ok(Err(err)) => {
                tracing::warn!(object = %name, "cannot read shared compiled code, compiling instead: {err}");
                return None;
            }
            Err(_) => {
                tracing::warn!(object = %name, "reading shared compiled code took over {SHELF_TIMEOUT:?}, compiling instead");
                return None;
            }
        };
        let Some(code) = self.authentic_code(&name, &artifact) else {
            tracing::warn!(
                object = %name,
                "shared compiled code failed authentication and was not loaded; compiling instead. Check that every node has the same --cluster-secret, and who can write to the cluster's object store"
            );
            return None;
        };
        #[expect(unsafe_code, reason = "loading precompiled code is unsafe in wasmtime")]
        // SAFETY: the code passed the HMAC check above, keyed by the
        // cluster's secret, over its name and bytes: it was published by
        // `publish` on a node holding that secret, which signs only the
        // output of `Component::serialize` of a component it compiled and
        // linked itself, for the module `hash` on an engine whose
        // compatibility fingerprint is `fingerprint` (both in the signed
        // name). Wasmtime still checks the header and refuses code from
        // another version or configuration; that error is handled below by
        // compiling.
        let loaded = unsafe { Component::deserialize(engine, code) };
        match loaded {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(object = %name, "shared compiled code does not load on this node, compiling instead: {err:#}");
                None
            }
        }
    }

    /// Shares `code`, the `Component::serialize` output of the module
    /// `hash` compiled and linked on this node. A failure only costs
    /// another node a compile, so it is logged rather than returned.
    pub(crate) async fn publish(&self, fingerprint: u64, hash: &ContentHash, code: &[u8]) {
        let name = object_name(fingerprint, hash);
        let mut artifact = Vec::with_capacity(TAG_BYTES + code.len());
        artifact.extend_from_slice(&self.tag(&name, code));
        artifact.extend_from_slice(code);
        let stored = tokio::time::timeout(SHELF_TIMEOUT, self.shelf.put(name.clone(), artifact));
        match stored.await {
            Ok(Ok(())) => tracing::debug!(object = %name, "shared compiled code"),
            Ok(Err(err)) => {
                tracing::warn!(object = %name, "cannot share compiled code; other nodes will compile it themselves: {err}")
            }
            Err(_) => tracing::warn!(
                object = %name,
                "sharing compiled code took over {SHELF_TIMEOUT:?}; other nodes will compile it themselves"
            ),
        }
    }

    /// The code in `artifact` when its tag is right for `name`.
    fn authentic_code<'a>(&self, name: &str, artifact: &'a [u8]) -> Option<&'a [u8]> {
        let (tag, code) = artifact.split_at_checked(TAG_BYTES)?;
        let mut mac = self.signer.clone();
        feed(&mut mac, name, code);
        // `verify_slice` compares in constant time.
        mac.verify_slice(tag).ok().map(|()| code)
    }

    fn tag(&self, name: &str, code: &[u8]) -> [u8; TAG_BYTES] {
        let mut mac = self.signer.clone();
        feed(&mut mac, name, code);
        mac.finalize().into_bytes().into()
    }
}

/// Feeds what a tag covers: the name, length-prefixed so that no split of
/// name and code is ambiguous, then the code.
fn feed(mac: &mut Signer, name: &str, code: &[u8]) {
    mac.update(&(name.len() as u64).to_le_bytes());
    mac.update(name.as_bytes());
    mac.update(code);
}

/// The shelf's name for the code of module `hash` on engines with this
/// fingerprint.
pub fn object_name(fingerprint: u64, hash: &ContentHash) -> String {
    format!("engine-{fingerprint:016x}/{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoShelf;

    impl CodeShelf for NoShelf {
        fn get(&self, _name: String) -> ShelfFuture<Option<Vec<u8>>> {
            Box::pin(async { Ok(None) })
        }
        fn put(&self, _name: String, _bytes: Vec<u8>) -> ShelfFuture<()> {
            Box::pin(async { Ok(()) })
        }
    }

    fn shared(secret: &[u8]) -> SharedCode {
        SharedCode::new(Arc::new(NoShelf), secret).unwrap()
    }

    fn signed(code: &SharedCode, name: &str, bytes: &[u8]) -> Vec<u8> {
        [&code.tag(name, bytes)[..], bytes].concat()
    }

    #[test]
    fn only_the_signed_name_and_bytes_with_the_same_secret_pass() {
        let code = shared(b"0123456789abcdef-secret");
        let artifact = signed(&code, "engine-1/aa", b"machine code");
        assert_eq!(
            code.authentic_code("engine-1/aa", &artifact),
            Some(&b"machine code"[..])
        );

        // Another name: authentic code for another module or engine.
        assert_eq!(code.authentic_code("engine-1/ab", &artifact), None);
        assert_eq!(code.authentic_code("engine-2/aa", &artifact), None);
        // One bit of the code changed, or of the tag.
        let mut flipped = artifact.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(code.authentic_code("engine-1/aa", &flipped), None);
        let mut flipped = artifact.clone();
        flipped[0] ^= 1;
        assert_eq!(code.authentic_code("engine-1/aa", &flipped), None);
        // Another secret.
        let other = shared(b"0123456789abcdef-other");
        assert_eq!(other.authentic_code("engine-1/aa", &artifact), None);
        // Too short to hold a tag.
        assert_eq!(code.authentic_code("engine-1/aa", &artifact[..31]), None);
    }

    #[test]
    fn the_name_and_code_boundary_is_part_of_the_tag() {
        let code = shared(b"0123456789abcdef-secret");
        let artifact = signed(&code, "engine-1/aa", b"bc");
        // The same concatenated bytes, split elsewhere.
        let moved = [&artifact[..TAG_BYTES], b"c"].concat();
        assert_eq!(code.authentic_code("engine-1/aab", &moved), None);
    }

    #[test]
    fn a_short_secret_is_refused_with_what_to_use() {
        let err = SharedCode::new(Arc::new(NoShelf), b"short").unwrap_err();
        assert_eq!(err, WeakSecret { len: 5 });
        assert!(err.to_string().contains("openssl rand"), "{err}");
        assert!(SharedCode::new(Arc::new(NoShelf), &[7; MIN_SECRET_BYTES]).is_ok());
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let shown = format!("{:?}", shared(b"do-not-print-this-secret"));
        assert!(!shown.contains("do-not-print"), "{shown}");
    }
}
