//! One file per detector.

pub(crate) mod deprecated_construct;
pub(crate) mod floating_pragma;
pub(crate) mod tx_origin_auth;
pub(crate) mod unused_suppression;
