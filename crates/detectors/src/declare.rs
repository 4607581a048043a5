//! `declare_detector!`: a detector's doc comment is its user documentation.

/// Declares a detector type whose doc comment becomes `DetectorMeta::doc`.
///
/// ```text
/// declare_detector! {
///     /// ## What it detects
///     /// ...
///     pub struct TxOriginAuth;
/// }
/// ```
/// The type gets an associated `DOC: &str` with the doc text, one line per doc line.
macro_rules! declare_detector {
    ($(#[doc = $doc:literal])* $vis:vis struct $name:ident;) => {
        $(#[doc = $doc])*
        $vis struct $name;

        impl $name {
            /// The user documentation (the doc comment above), as Markdown.
            pub(crate) const DOC: &'static str = concat!($($doc, "\n"),*);
        }
    };
}

pub(crate) use declare_detector;

/// The documentation with the one leading space of each doc-comment line removed.
pub fn doc_markdown(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    for line in doc.lines() {
        out.push_str(line.strip_prefix(' ').unwrap_or(line));
        out.push('\n');
    }
    out
}
