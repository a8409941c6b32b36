//! Random names: the hex of fresh random bytes, for ids and object keys
//! that must not collide.

/// The lower-case hex of `N` random bytes (`2 * N` characters).
///
/// # Panics
///
/// If the operating system's random source fails.
pub(crate) fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
