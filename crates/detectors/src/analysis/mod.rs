//! Analyses shared by several detectors, computed on the detector side.

pub(crate) mod reentrancy;
