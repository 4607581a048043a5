//! What a detector emits: a located observation about one file.

use syntax::{FileId, Span};

use crate::meta::{Confidence, DetectorMeta, Severity};

/// A span in one file, with a label saying why it matters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// One finding, as a detector reports it. The `report` crate resolves lines,
/// code excerpts and the fingerprint.
#[derive(Clone, Debug)]
pub struct Finding {
    pub detector: &'static DetectorMeta,
    /// Severity and confidence of this finding: the detector's defaults unless the
    /// detector (or configuration) knows better for this instance.
    pub severity: Severity,
    pub confidence: Confidence,
    /// The statement or expression that is wrong; its span is the primary location.
    pub primary: Label,
    /// Other places that explain the path ("external call here").
    pub secondary: Vec<Label>,
    /// Enclosing contract and function names, when any (used by the fingerprint).
    pub contract: Option<String>,
    pub function: Option<String>,
}

impl Finding {
    pub fn new(
        detector: &'static DetectorMeta,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Self {
            detector,
            severity: detector.severity,
            confidence: detector.confidence,
            primary: Label {
                file,
                span,
                message: message.into(),
            },
            secondary: Vec::new(),
            contract: None,
            function: None,
        }
    }

    pub fn with_context(mut self, contract: Option<&str>, function: Option<&str>) -> Self {
        self.contract = contract.map(str::to_owned);
        self.function = function.map(str::to_owned);
        self
    }

    pub fn with_secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn message(&self) -> &str {
        &self.primary.message
    }
}
