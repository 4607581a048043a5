//! The form in which a service keeps a [`Report`] with each analysis.
//!
//! A report lists every rule that ran, each with its full documentation. For a built-in
//! rule that text is the same in every report of one detector set, and it is most of a
//! report's size: about 150 KB of the 160 KB of a small contract's report, written again
//! with every audit. The stored form keeps in full only the rules a finding came from
//! and the rules the detector registry does not describe exactly (other analyzers'
//! rules, say); the other rules that ran are kept by id under [`RULES_BY_ID`] and
//! restored from the registry when the report is read.
//!
//! A reader that does not know the field reads the stored form as a [`Report`] whose
//! `rules` holds only the rules kept in full.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use serde_json::Value;

use crate::model::{Report, RuleInfo};

/// The field of the stored form that lists the rules kept by id.
pub const RULES_BY_ID: &str = "rules_by_id";

/// The stored form of `report`, as compact JSON.
pub fn to_stored_json(report: &Report) -> String {
    let referenced: BTreeSet<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    let (by_id, kept): (Vec<&RuleInfo>, Vec<&RuleInfo>) = report.rules.iter().partition(|rule| {
        !referenced.contains(rule.id.as_str())
            && registry_rules().get(rule.id.as_str()) == Some(*rule)
    });
    let mut value = serde_json::to_value(Report {
        rules: kept.into_iter().cloned().collect(),
        ..report.clone()
    })
    .expect("a `Report` always serializes to JSON");
    if let Some(object) = value.as_object_mut() {
        let ids: Vec<&str> = by_id.iter().map(|rule| rule.id.as_str()).collect();
        object.insert(RULES_BY_ID.to_owned(), serde_json::json!(ids));
    }
    value.to_string()
}

/// Reads a report kept by [`to_stored_json`], or one kept whole (as [`render_json`]
/// writes it), with every rule that ran described. A rule kept by id that the registry
/// no longer has (a detector removed since the analysis) is left out.
///
/// [`render_json`]: crate::render_json
pub fn from_stored_json(json: &str) -> serde_json::Result<Report> {
    let mut value: Value = serde_json::from_str(json)?;
    let by_id = match value.as_object_mut() {
        Some(object) => object.remove(RULES_BY_ID),
        None => None,
    };
    let mut report: Report = serde_json::from_value(value)?;
    let ids: Vec<String> = match by_id {
        Some(ids) => serde_json::from_value(ids)?,
        None => Vec::new(),
    };
    if !ids.is_empty() {
        report.rules.extend(
            ids.iter()
                .filter_map(|id| registry_rules().get(id.as_str()).cloned()),
        );
        report.rules.sort_by(|a, b| a.id.cmp(&b.id));
        report.rules.dedup_by(|a, b| a.id == b.id);
    }
    Ok(report)
}

/// The registry's description of every built-in rule, by id: made once per process, as
/// every stored report is compared with it and restored from it.
fn registry_rules() -> &'static HashMap<&'static str, RuleInfo> {
    static RULES: LazyLock<HashMap<&'static str, RuleInfo>> = LazyLock::new(|| {
        detectors::registry::metas()
            .map(|meta| (meta.id, RuleInfo::from(meta)))
            .collect()
    });
    &RULES
}

#[cfg(test)]
mod tests {
    use detectors::{DetectorMeta, FileId, Finding};
    use syntax::{LineIndex, Span};

    use super::*;
    use crate::model::{SourceView, ToolInfo};

    /// A report in which every registered rule ran, with one finding of each rule named.
    fn report_with_all_rules(findings_of: &[&str]) -> Report {
        let text = "contract A { function f() public { require(tx.origin == owner); } }";
        let line_index = LineIndex::new(text);
        let files = [SourceView {
            id: FileId(0),
            path: "src/A.sol",
            text,
            line_index: &line_index,
        }];
        let metas: Vec<&'static DetectorMeta> = detectors::registry::metas().collect();
        let findings = findings_of
            .iter()
            .map(|id| {
                let meta = metas
                    .iter()
                    .find(|m| m.id == *id)
                    .expect("a registered rule");
                Finding::new(meta, FileId(0), Span::new(43, 61), "a finding")
            })
            .collect();
        Report::build(
            &files,
            findings,
            &metas,
            ToolInfo::new("web3audit", "0.0.0"),
        )
        .expect("the findings' file is among the files")
    }

    #[test]
    fn the_stored_form_reads_back_as_the_same_report_and_is_a_fraction_of_its_size() {
        let first = detectors::registry::metas()
            .next()
            .expect("the registry has rules")
            .id;
        let report = report_with_all_rules(&[first]);
        let stored = to_stored_json(&report);
        let whole = crate::render_json(&report);
        assert!(
            stored.len() * 10 < whole.len(),
            "stored {} bytes, whole {}",
            stored.len(),
            whole.len()
        );
        assert_eq!(from_stored_json(&stored).expect("reads"), report);
        // The rule a finding came from is kept in full, the others by id.
        let value: Value = serde_json::from_str(&stored).expect("JSON");
        let kept: Vec<&str> = value["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| r["id"].as_str().expect("id"))
            .collect();
        assert_eq!(kept, [first]);
        assert_eq!(
            value[RULES_BY_ID].as_array().expect("ids").len(),
            report.rules.len() - 1
        );
    }

    #[test]
    fn a_report_kept_whole_reads_as_before_and_other_analyzers_rules_stay_whole() {
        let mut report = report_with_all_rules(&[]);
        let mut foreign = report.rules[0].clone();
        foreign.id = "slither:reentrancy-eth".into();
        report.rules.push(foreign.clone());
        // A built-in id whose text differs from the registry's is kept as it was.
        let mut changed = report.rules[1].clone();
        changed.doc.push_str("\nan older text");
        report.rules[1] = changed.clone();
        report.rules.sort_by(|a, b| a.id.cmp(&b.id));

        let whole = crate::render_json(&report);
        assert_eq!(from_stored_json(&whole).expect("reads"), report);

        let stored = to_stored_json(&report);
        let back = from_stored_json(&stored).expect("reads");
        assert_eq!(back, report);
        assert!(back.rules.contains(&foreign) && back.rules.contains(&changed));
    }

    #[test]
    fn a_rule_the_registry_no_longer_has_is_left_out_and_bad_input_is_an_error() {
        let report = report_with_all_rules(&[]);
        let mut value: Value = serde_json::from_str(&to_stored_json(&report)).expect("JSON");
        value[RULES_BY_ID]
            .as_array_mut()
            .expect("ids")
            .push(Value::from("a-removed-detector"));
        let back = from_stored_json(&value.to_string()).expect("reads");
        assert_eq!(back.rules, report.rules);

        assert!(from_stored_json("not json").is_err());
        value[RULES_BY_ID] = Value::from("not a list");
        assert!(from_stored_json(&value.to_string()).is_err());
    }
}
