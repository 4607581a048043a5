//! Detector-side analyses shared by several detectors, one module per topic.

pub(crate) mod access;
