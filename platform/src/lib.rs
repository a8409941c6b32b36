//! The algobox platform.
