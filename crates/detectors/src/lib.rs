//! The `Detector` trait, the registry and the detectors. No IO.
//!
//! A detector is one file under `rules/`: its doc comment is its user documentation
//! (sections *What it detects / Why it matters / Example / Recommendation*), its
//! metadata is a `static` [`DetectorMeta`], and it implements [`Detector`]. The
//! [`registry`] lists every detector sorted by id.
//!
//! [`run`] also applies the inline suppression comments of each file
//! ([`suppression`]) and reports the ones that hid nothing through the
//! `unused-suppression` detector.

mod analysis;
mod declare;
mod detector;
mod finding;
mod meta;
pub mod registry;
mod rules;
mod solana_rules;
pub mod suppression;
pub mod vyper_analysis;

use rayon::prelude::*;

pub use declare::doc_markdown;
pub use detector::{Detector, FileContext, ProjectContext};
pub use finding::{Finding, Label};
pub use meta::{Confidence, DetectorMeta, Severity, UnknownLevel};
pub use solana_rules::{
    category_of as solana_category_of, rust_comments, solana_confidence, solana_finding_meta,
    solana_severity,
};
pub use syntax::FileId;
pub use vyper_analysis::{VyperContext, VyperModule};

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

/// Runs `detectors` over `files` (in parallel, on the current rayon pool: the files, and
/// the detectors of each file that is not small, so that one large file uses every
/// thread; see [`run_each`]) and returns
/// every finding that no suppression comment of its file hides, ordered by file and
/// then as the detectors emitted them, in detector order. When `unused-suppression` is among `detectors`,
/// each file's suppression comments that hid nothing (or are invalid) follow its
/// findings.
pub fn run(files: &[FileContext<'_>], detectors: &[&'static dyn Detector]) -> Vec<Finding> {
    run_each(
        files,
        detectors,
        |file, detector, out| detector.check_file(file, out),
        |file| file.text.len(),
        |file| {
            (
                file.file,
                suppression::Suppressions::new(file.text, file.parse.comments()),
            )
        },
    )
}

/// [`run`] for Vyper modules: the same detectors (those with a Vyper form act), the
/// same suppression comments (written with `#`), the same `unused-suppression` report.
pub fn run_vyper(files: &[VyperContext<'_>], detectors: &[&'static dyn Detector]) -> Vec<Finding> {
    run_each(
        files,
        detectors,
        |file, detector, out| detector.check_vyper(file, out),
        |file| file.text.len(),
        |file| {
            (
                file.file,
                suppression::Suppressions::new(file.text, file.module.comments()),
            )
        },
    )
}

/// The findings of the Solana front-end in one Rust file (`file`, whose text is `text`),
/// with the file's suppression comments applied as [`run`] applies them (the same forms,
/// written with `//` or `/* */`); when `unused-suppression` is among `detectors`, the
/// file's suppressions that hid nothing (or are invalid) are added.
pub fn apply_rust_suppressions(
    file: FileId,
    text: &str,
    findings: Vec<Finding>,
    detectors: &[&'static dyn Detector],
) -> Vec<Finding> {
    let ran = |id: &str| detectors.iter().any(|d| d.meta().id == id);
    let report_unused = ran(rules::unused_suppression::ID);
    let all_ran = registry::all().all(|d| ran(d.meta().id));
    let comments = solana_rules::rust_comments(text);
    let suppressions = suppression::Suppressions::new(text, &comments);
    apply_suppressions(file, suppressions, findings, report_unused, ran, all_ran)
}

/// Files of at most this many bytes have their detectors run one after the other: the
/// detectors of a small file take a few microseconds each, less than handing them to
/// other threads costs (and the pool's threads spin a while for more work after each).
const SMALL_FILE: usize = 8 * 1024;

/// Runs `check` for every detector on every file, then applies each file's suppressions.
/// The files run in parallel when there are several; the detectors of one file run in
/// parallel when it is larger than [`SMALL_FILE`] (`size_of`), so that one large file
/// uses every thread. The findings are the same either way, in the same order.
fn run_each<F: Sync>(
    files: &[F],
    detectors: &[&'static dyn Detector],
    check: impl Fn(&F, &'static dyn Detector, &mut Vec<Finding>) + Sync,
    size_of: impl Fn(&F) -> usize + Sync,
    suppressions_of: impl Fn(&F) -> (FileId, suppression::Suppressions) + Sync,
) -> Vec<Finding> {
    let ran = |id: &str| detectors.iter().any(|d| d.meta().id == id);
    let report_unused = ran(rules::unused_suppression::ID);
    let all_ran = registry::all().all(|d| ran(d.meta().id));
    let check_one = |file: &F, detector: &'static dyn Detector| {
        let mut found = Vec::new();
        check(file, detector, &mut found);
        found
    };
    let of_file = |file: &F| {
        // Collected in detector order.
        let out: Vec<Finding> = if size_of(file) > SMALL_FILE {
            detectors
                .par_iter()
                .flat_map_iter(|&detector| check_one(file, detector))
                .collect()
        } else {
            detectors
                .iter()
                .flat_map(|&detector| check_one(file, detector))
                .collect()
        };
        let (id, suppressions) = suppressions_of(file);
        apply_suppressions(id, suppressions, out, report_unused, ran, all_ran)
    };
    match files {
        [one] => of_file(one),
        _ => files.par_iter().flat_map_iter(of_file).collect(),
    }
}

/// Drops the findings of `file` that its suppressions hide and, when `report_unused`,
/// adds the findings about the suppressions themselves.
fn apply_suppressions(
    file: FileId,
    mut suppressions: suppression::Suppressions,
    mut out: Vec<Finding>,
    report_unused: bool,
    ran: impl Fn(&str) -> bool,
    all_ran: bool,
) -> Vec<Finding> {
    if suppressions.is_empty() {
        return out;
    }
    out.retain(|f| {
        f.primary.file != file || !suppressions.suppresses(f.detector.id, f.primary.span.lo)
    });
    if report_unused {
        let mut problems = rules::unused_suppression::findings(file, &suppressions, ran, all_ran);
        problems.retain(|f| !suppressions.suppresses(f.detector.id, f.primary.span.lo));
        out.extend(problems);
    }
    out
}
