//! Detector-side analyses shared by several rules.

pub(crate) mod overflow;
pub(crate) mod reentrancy;
pub(crate) mod value_flow;
