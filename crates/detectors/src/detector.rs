//! The `Detector` trait and what a detector sees.

use syntax::{FileId, Parse};

use crate::finding::Finding;
use crate::meta::DetectorMeta;

/// One source file as a detector sees it.
#[derive(Clone, Copy)]
pub struct FileContext<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub parse: &'a Parse,
}

/// A check. One implementation per file under `rules/`, registered in [`crate::registry`].
pub trait Detector: Sync + Send {
    /// What this detector is: static data.
    fn meta(&self) -> &'static DetectorMeta;

    /// Looks at one file and pushes what it finds.
    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>);
}
