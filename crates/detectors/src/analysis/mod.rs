//! Detector-side analyses shared by several rules, one module per topic.

pub(crate) mod access;
pub(crate) mod call_results;
pub(crate) mod contracts;
pub(crate) mod derived;
pub(crate) mod overflow;
pub(crate) mod reentrancy;
pub(crate) mod storage_arrays;
pub(crate) mod value_flow;
