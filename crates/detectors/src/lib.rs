//! The `Detector` trait, the registry and the detectors. No IO.
//!
//! A detector is one file under `rules/`: its doc comment is its user documentation
//! (sections *What it detects / Why it matters / Example / Recommendation*), its
//! metadata is a `static` [`DetectorMeta`], and it implements [`Detector`]. The
//! [`registry`] lists every detector sorted by id.

mod analysis;
mod declare;
mod detector;
mod finding;
mod meta;
pub mod registry;
mod rules;

use rayon::prelude::*;

pub use declare::doc_markdown;
pub use detector::{Detector, FileContext, ProjectContext};
pub use finding::{Finding, Label};
pub use meta::{Confidence, DetectorMeta, Severity, UnknownLevel};
pub use syntax::FileId;

/// Which detectors run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only these ids, when not empty.
    pub only: Vec<String>,
    /// Never these ids.
    pub exclude: Vec<String>,
}

impl Selection {
    /// Ids named in the selection that no detector has.
    pub fn unknown_ids(&self) -> Vec<&str> {
        self.only
            .iter()
            .chain(&self.exclude)
            .map(String::as_str)
            .filter(|id| registry::find(id).is_none())
            .collect()
    }

    /// The selected detectors, in id order.
    pub fn detectors(&self) -> Vec<&'static dyn Detector> {
        registry::all()
            .filter(|d| {
                let id = d.meta().id;
                (self.only.is_empty() || self.only.iter().any(|o| o == id))
                    && !self.exclude.iter().any(|e| e == id)
            })
            .collect()
    }
}

/// Runs `detectors` over `files` (in parallel, on the current rayon pool) and returns
/// every finding, ordered by file and then as the detectors emitted them.
pub fn run(files: &[FileContext<'_>], detectors: &[&'static dyn Detector]) -> Vec<Finding> {
    files
        .par_iter()
        .flat_map_iter(|file| {
            let mut out = Vec::new();
            for detector in detectors {
                detector.check_file(file, &mut out);
            }
            out
        })
        .collect()
}
