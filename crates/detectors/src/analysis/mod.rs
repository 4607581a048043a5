//! Detector-side analyses shared by several rules.

pub(crate) mod value_flow;
pub(crate) mod overflow;
