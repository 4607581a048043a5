//! Compiler bugs by version: the checks of `vyper-reentrancy-lock-bug` and
//! `vyper-compiler-advisory`.
//!
//! A source analyzer that trusts the compiler cannot see these bugs; one that knows
//! which releases a module's version pragma admits, and which source constructs each
//! published advisory needs, can. The advisories are data
//! (`advisories.toml`, one table per advisory: id, affected releases, the construct
//! that triggers the bug); the constructs are matched in [`features`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use syntax::Span;
use vyper::pragma::Version;

use super::features::{self, Site};
use super::{VyperContext, admitted_releases, version_text};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

/// The advisory of the broken `@nonreentrant` locks.
pub(crate) const LOCK_ADVISORY: &str = "GHSA-5824-cm3x-3c38";
/// The releases that allocated one lock per function instead of one per key.
const LOCK_AFFECTED: [(u32, u32, u32); 3] = [(0, 2, 15), (0, 2, 16), (0, 3, 0)];

/// `vyper-reentrancy-lock-bug`: functions share a `@nonreentrant` key, and the pragma
/// admits a release in which each function got its own lock.
pub(crate) fn lock_bug(cx: &VyperContext<'_>, meta: &'static DetectorMeta, out: &mut Vec<Finding>) {
    let Some(admitted) = admitted_releases(cx.parse) else {
        return;
    };
    let affected: Vec<&Version> = admitted
        .iter()
        .filter(|v| LOCK_AFFECTED.contains(&(v.major, v.minor, v.patch)))
        .collect();
    if affected.is_empty() {
        return;
    }
    let ast = cx.ast();
    // Key -> the functions locked with it (name, decorator span), in source order.
    let mut keys: BTreeMap<&str, Vec<(&str, Span)>> = BTreeMap::new();
    for f in ast.functions() {
        if let Some(Some(key)) = f.nonreentrant_key(ast, cx.text)
            && let Some(d) = f.decorator("nonreentrant")
        {
            keys.entry(key).or_default().push((f.name.as_str(), d.span));
        }
    }
    let versions: Vec<String> = affected.iter().map(|v| version_text(v)).collect();
    let only_affected = affected.len() == admitted.len();
    for (key, functions) in keys {
        let [(first, at), rest @ ..] = functions.as_slice() else {
            continue;
        };
        if rest.is_empty() {
            continue;
        }
        let names: Vec<String> = functions.iter().map(|(n, _)| format!("`{n}`")).collect();
        let message = if only_affected {
            format!(
                "`@nonreentrant(\"{key}\")` is meant to lock {} together, but Vyper {} gives each \
                 function its own lock ({LOCK_ADVISORY}): one can be re-entered from another",
                names.join(", "),
                versions.join(" / "),
            )
        } else {
            format!(
                "`@nonreentrant(\"{key}\")` locks {} together, but the version pragma admits Vyper \
                 {}, releases that give each function its own lock ({LOCK_ADVISORY}): compiled \
                 with one of them, one function can be re-entered from another",
                names.join(", "),
                versions.join(", "),
            )
        };
        let mut finding = cx.finding(meta, Some(first), *at, message);
        if !only_affected {
            finding.severity = Severity::High;
            finding.confidence = Confidence::Medium;
        }
        for (name, span) in rest {
            finding = finding.with_secondary(cx.file, *span, format!("`{name}` has its own lock"));
        }
        out.push(finding);
    }
}

/// One published compiler advisory, as `advisories.toml` holds it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Advisory {
    pub(crate) id: String,
    pub(crate) cve: String,
    pub(crate) title: String,
    pub(crate) severity: String,
    #[serde(default)]
    pub(crate) affected: Vec<String>,
    pub(crate) affected_range: Option<Range>,
    pub(crate) fixed: String,
    pub(crate) feature: String,
    pub(crate) summary: String,
    pub(crate) url: String,
}

/// `[from, before)`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Range {
    pub(crate) from: String,
    pub(crate) before: String,
}

#[derive(Debug, Deserialize)]
struct Table {
    advisory: Vec<Advisory>,
}

/// The advisory table (checked by a test: it parses, every version parses, every
/// feature has a matcher).
pub(crate) fn advisories() -> &'static [Advisory] {
    static TABLE: OnceLock<Vec<Advisory>> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str::<Table>(include_str!("advisories.toml"))
            .map(|t| t.advisory)
            .unwrap_or_default()
    })
}

impl Advisory {
    /// True when release `v` has the bug.
    pub(crate) fn affects(&self, v: &Version) -> bool {
        let text = version_text(v);
        if self.affected.iter().any(|a| a == &text) {
            return true;
        }
        self.affected_range.as_ref().is_some_and(|r| {
            match (Version::parse(&r.from), Version::parse(&r.before)) {
                (Some(from), Some(before)) => *v >= from && *v < before,
                _ => false,
            }
        })
    }

    pub(crate) fn severity(&self) -> Severity {
        self.severity.parse().unwrap_or(Severity::Medium)
    }
}

/// `vyper-compiler-advisory`: the module uses a construct that a published advisory
/// names, and its pragma admits a release that the advisory affects.
pub(crate) fn advisories_check(
    cx: &VyperContext<'_>,
    meta: &'static DetectorMeta,
    out: &mut Vec<Finding>,
) {
    let Some(admitted) = admitted_releases(cx.parse) else {
        return;
    };
    // What the matchers read of the module, built on the first affected advisory.
    let mut module = None;
    for advisory in advisories() {
        // The lock bug has its own detector.
        if advisory.id == LOCK_ADVISORY {
            continue;
        }
        let affected: Vec<String> = admitted
            .iter()
            .filter(|v| advisory.affects(v))
            .map(version_text)
            .collect();
        if affected.is_empty() {
            continue;
        }
        let only_affected = affected.len() == admitted.len();
        let module = module.get_or_insert_with(|| features::Module::new(cx));
        let Some(sites) = features::sites(cx, module, &advisory.feature) else {
            continue;
        };
        // The strong uses first: the finding points at the most telling one.
        let strong = sites.iter().any(|s| s.strong);
        let mut sites: Vec<&Site<'_>> = sites.iter().filter(|s| s.strong == strong).collect();
        sites.sort_by_key(|s| s.span.lo);
        let Some(first) = sites.first() else {
            continue;
        };
        let versions = if only_affected {
            format!(
                "compiled with Vyper {} (every release the pragma admits is affected), this is \
                 miscompiled",
                affected.join(" / ")
            )
        } else {
            format!(
                "the pragma admits affected releases ({}); compiled with one of them, this is \
                 miscompiled",
                affected.join(", ")
            )
        };
        let cve = if advisory.cve.is_empty() {
            String::new()
        } else {
            format!(", {}", advisory.cve)
        };
        let mut finding = cx.finding(
            meta,
            first.function,
            first.span,
            format!(
                "{} ({}{cve}): {versions}; fixed in {}. {} ({})",
                advisory.title, advisory.id, advisory.fixed, advisory.summary, advisory.url
            ),
        );
        finding.severity = advisory.severity();
        if !only_affected {
            finding.confidence = Confidence::Low;
            finding.severity = finding.severity.min(Severity::Medium);
        }
        if !strong {
            // A use the bug is unlikely to reach (see the feature's definition).
            finding.confidence = Confidence::Low;
            finding.severity = Severity::Low;
        }
        for other in sites.iter().skip(1).take(5) {
            finding = finding.with_secondary(cx.file, other.span, "also here");
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_feature_has_a_matcher() {
        let table: Table = toml::from_str(include_str!("advisories.toml")).expect("valid table");
        assert_eq!(table.advisory.len(), advisories().len());
        assert!(advisories().len() >= 30);
        for a in advisories() {
            assert!(
                features::FEATURES.contains(&a.feature.as_str()),
                "{}: no matcher for `{}`",
                a.id,
                a.feature
            );
            assert!(a.severity.parse::<Severity>().is_ok(), "{}", a.id);
            assert!(Version::parse(&a.fixed).is_some(), "{}", a.id);
            assert!(a.url.starts_with("https://"), "{}", a.id);
            assert!(!a.title.is_empty() && !a.summary.is_empty(), "{}", a.id);
            if let Some(r) = &a.affected_range {
                assert!(Version::parse(&r.from).is_some() && Version::parse(&r.before).is_some());
            }
            // Some release is affected.
            assert!(
                super::super::RELEASES
                    .iter()
                    .any(|&(x, y, z)| a.affects(&Version::new(x, y, z))),
                "{} affects no release",
                a.id
            );
        }
        assert!(advisories().iter().any(|a| a.id == LOCK_ADVISORY));
    }
}
