//! The `Detector` trait, the registry and the detectors. No IO.

mod finding;
mod meta;

pub use finding::{FileId, Finding, Label};
pub use meta::{Confidence, DetectorMeta, Severity, UnknownLevel};
