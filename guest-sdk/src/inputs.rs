//! [`Inputs`]: the whole positional input list.

use algobox_host_api::{AlgoError, ContentType, Payload};

use crate::FromPayload;

/// Every input of the call, in order (Hkube positional inputs). An
/// Algorithmia call has exactly one, element 0.
///
/// # Example
///
/// ```
/// use algobox_guest_sdk::{ContentType, Inputs, Payload};
///
/// let inputs = Inputs::new(vec![Payload::text("a"), Payload::Json("2".into())]);
/// assert_eq!(inputs.content_types(), vec![ContentType::Text, ContentType::Json]);
/// assert_eq!(inputs.decode::<serde_json::Value>(1).unwrap(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inputs(Vec<Payload>);

impl Inputs {
    /// Wraps a positional list (the SDK does this; tests may too).
    pub fn new(inputs: Vec<Payload>) -> Self {
        Self(inputs)
    }

    /// How many inputs there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The input at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&Payload> {
        self.0.get(index)
    }

    /// The inputs in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Payload> {
        self.0.iter()
    }

    /// The content type of each input, in order.
    pub fn content_types(&self) -> Vec<ContentType> {
        self.0.iter().map(Payload::content_type).collect()
    }

    /// Decodes a copy of the input at `index`; the error names the index.
    pub fn decode<T: FromPayload>(&self, index: usize) -> Result<T, AlgoError> {
        let payload = self.0.get(index).cloned().ok_or_else(|| {
            AlgoError::input(format!(
                "input {index} is missing: only {} inputs were given; \
                 pass at least {} inputs",
                self.0.len(),
                index + 1
            ))
        })?;
        T::from_payload(payload).map_err(|mut err| {
            err.message = format!("input {index}: {}", err.message);
            err
        })
    }

    /// The list itself.
    pub fn into_vec(self) -> Vec<Payload> {
        self.0
    }
}

impl From<Vec<Payload>> for Inputs {
    fn from(inputs: Vec<Payload>) -> Self {
        Self(inputs)
    }
}

impl IntoIterator for Inputs {
    type Item = Payload;
    type IntoIter = std::vec::IntoIter<Payload>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Inputs {
    type Item = &'a Payload;
    type IntoIter = std::slice::Iter<'a, Payload>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_names_the_index() {
        let inputs = Inputs::new(vec![Payload::text("a")]);
        let err = inputs.decode::<Vec<u8>>(0).unwrap_err();
        assert!(err.message.starts_with("input 0: "), "{}", err.message);
        let err = inputs.decode::<String>(2).unwrap_err();
        assert!(
            err.message.contains("input 2 is missing"),
            "{}",
            err.message
        );
        assert_eq!(inputs.decode::<String>(0).unwrap(), "a");
    }
}
