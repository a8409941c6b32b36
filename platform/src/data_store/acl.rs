//! Who may read a collection besides its owner.

/// Read access to everyone with an account (Algorithmia's `user://*`).
pub const PUBLIC: &str = "user://*";
/// Read access to the owner's algorithms (Algorithmia's default).
pub const MY_ALGORITHMS: &str = "algo://.my/*";

/// A collection's access list, in the Data API's form:
/// `{"read": ["user://*"]}`.
///
/// The owner (and the members of an owning organization) may always read
/// and write. Others may read a collection whose `read` list holds
/// [`PUBLIC`]; nobody else may write. [`MY_ALGORITHMS`], the default, is
/// kept for clients that send it: algobox algorithms act for their caller,
/// so an owner's algorithm reaches the owner's collections whenever its
/// caller may, and the entry grants nothing beyond that.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Acl {
    /// Who may read: empty, [`MY_ALGORITHMS`] or [`PUBLIC`].
    pub read: Vec<String>,
}

impl Default for Acl {
    fn default() -> Self {
        Self {
            read: vec![MY_ALGORITHMS.to_owned()],
        }
    }
}

impl Acl {
    /// A collection only its owner reaches.
    pub fn private() -> Self {
        Self { read: Vec::new() }
    }

    /// A collection every account may read.
    pub fn public() -> Self {
        Self {
            read: vec![PUBLIC.to_owned()],
        }
    }

    /// Whether every account may read.
    pub fn is_public(&self) -> bool {
        self.read.iter().any(|entry| entry == PUBLIC)
    }

    /// Checks every entry is one algobox understands, so a typo cannot
    /// leave a collection more open, or more closed, than intended.
    pub fn validate(&self) -> Result<(), String> {
        match self
            .read
            .iter()
            .find(|entry| *entry != PUBLIC && *entry != MY_ALGORITHMS)
        {
            Some(entry) => Err(format!(
                "`{entry}` is not a read permission; use [] (private), [\"{MY_ALGORITHMS}\"] (your algorithms) or [\"{PUBLIC}\"] (everyone)"
            )),
            None => Ok(()),
        }
    }
}
