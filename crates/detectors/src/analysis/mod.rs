//! Analyses shared by several detectors, built on the semantic model.

pub(crate) mod call_results;
pub(crate) mod storage_arrays;
