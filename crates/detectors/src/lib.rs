//! The `Detector` trait, the registry and the detectors. No IO.

mod finding;
mod meta;

pub use finding::{Finding, Label};
pub use syntax::FileId;
pub use meta::{Confidence, DetectorMeta, Severity, UnknownLevel};
