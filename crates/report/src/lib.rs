//! report crate.
