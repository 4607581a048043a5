//! The registry: every detector, sorted by id.

use crate::detector::Detector;
use crate::meta::DetectorMeta;
use crate::rules;

/// Every detector, sorted by id (a test keeps it so).
pub static REGISTRY: &[&dyn Detector] = &[
    &rules::deprecated_construct::DeprecatedConstruct,
    &rules::floating_pragma::FloatingPragma,
    &rules::tx_origin_auth::TxOriginAuth,
    &rules::unused_suppression::UnusedSuppression,
];

/// All detectors in id order.
pub fn all() -> impl Iterator<Item = &'static dyn Detector> {
    REGISTRY.iter().copied()
}

/// The detector with this id, if any.
pub fn find(id: &str) -> Option<&'static dyn Detector> {
    REGISTRY.iter().copied().find(|d| d.meta().id == id)
}

/// Metadata of every detector, in id order.
pub fn metas() -> impl Iterator<Item = &'static DetectorMeta> {
    REGISTRY.iter().map(|d| d.meta())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_kebab_case() {
        let ids: Vec<&str> = metas().map(|m| m.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "registry ids must be unique and sorted");
        for id in ids {
            assert!(
                !id.is_empty()
                    && id.split('-').all(|part| !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "`{id}` is not kebab-case"
            );
        }
    }

    #[test]
    fn every_detector_documents_its_sections() {
        for meta in metas() {
            for section in [
                "## What it detects",
                "## Why it matters",
                "## Example",
                "## Recommendation",
            ] {
                assert!(
                    meta.doc.contains(section),
                    "`{}` lacks the section `{section}`",
                    meta.id
                );
            }
            assert!(
                !meta.title.is_empty()
                    && !meta.description.is_empty()
                    && !meta.recommendation.is_empty()
            );
            assert!(
                !meta.title.ends_with('.'),
                "`{}`: titles have no trailing period",
                meta.id
            );
        }
    }
}
