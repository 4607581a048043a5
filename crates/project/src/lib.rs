//! project crate.
