//! The compiler-advisory table against its fixtures: every `<feature>.vy` under
//! `tests/fixtures/vyper/advisories/` (pinned to an affected release) must be reported
//! with each advisory of that feature which affects the pinned release, and its
//! `<feature>_fixed.vy` twin (the first fixed release, or the construct rewritten)
//! must get no compiler finding at all.

use std::collections::BTreeSet;
use std::path::Path;

use detectors::{FileId, VyperContext, VyperModule, registry};

/// (id, feature, affected versions as `0.x.y` strings or a `[from, before)` range).
struct Entry {
    id: String,
    feature: String,
    affected: Vec<String>,
    range: Option<(String, String)>,
}

fn table() -> Vec<Entry> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/vyper_analysis/advisories.toml"),
    )
    .unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    value["advisory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| Entry {
            id: a["id"].as_str().unwrap().to_owned(),
            feature: a["feature"].as_str().unwrap().to_owned(),
            affected: a
                .get("affected")
                .and_then(|v| v.as_array())
                .map(|v| v.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default(),
            range: a.get("affected_range").map(|r| {
                (
                    r["from"].as_str().unwrap().to_owned(),
                    r["before"].as_str().unwrap().to_owned(),
                )
            }),
        })
        .collect()
}

fn affects(entry: &Entry, version: &vyper::pragma::Version) -> bool {
    let text = format!("{}.{}.{}", version.major, version.minor, version.patch);
    entry.affected.contains(&text)
        || entry.range.as_ref().is_some_and(|(from, before)| {
            let from = vyper::pragma::Version::parse(from).unwrap();
            let before = vyper::pragma::Version::parse(before).unwrap();
            *version >= from && *version < before
        })
}

/// The advisory ids named by the compiler findings of `text`.
fn reported(name: &str, text: &str) -> BTreeSet<String> {
    let parse = vyper::parse(text);
    assert!(parse.is_clean(), "{name}: {:?}", parse.diagnostics());
    let module = VyperModule::new(&parse, text);
    let cx = VyperContext {
        file: FileId(0),
        name,
        text,
        parse: &parse,
        module: &module,
    };
    let run: Vec<_> = ["vyper-compiler-advisory", "vyper-reentrancy-lock-bug"]
        .iter()
        .map(|id| registry::find(id).unwrap())
        .collect();
    detectors::run_vyper(&[cx], &run)
        .iter()
        .flat_map(|f| {
            f.message()
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|w| w.starts_with("GHSA-"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_advisory_fixture_is_reported_and_its_fixed_twin_is_not() {
    let table = table();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vyper/advisories");
    let features: BTreeSet<&str> = table.iter().map(|e| e.feature.as_str()).collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for feature in &features {
        let vulnerable = dir.join(format!("{feature}.vy"));
        let Ok(text) = std::fs::read_to_string(&vulnerable) else {
            // A feature may share the fixture of another (the signed form of a loop).
            continue;
        };
        checked += 1;
        let parse = vyper::parse(&text);
        let version = parse
            .version_req()
            .and_then(|r| r.lowest())
            .unwrap_or_else(|| panic!("{feature}.vy: no version pragma"));
        let expected: BTreeSet<String> = table
            .iter()
            .filter(|e| e.feature == *feature && affects(e, &version))
            .map(|e| e.id.clone())
            .collect();
        assert!(
            !expected.is_empty(),
            "{feature}.vy: no advisory affects its pragma"
        );
        let got = reported(feature, &text);
        let missing: Vec<_> = expected.difference(&got).collect();
        if !missing.is_empty() {
            failures.push(format!("{feature}.vy: missing {missing:?}, got {got:?}"));
        }
        let fixed = dir.join(format!("{feature}_fixed.vy"));
        let fixed_text = std::fs::read_to_string(&fixed).unwrap();
        let got = reported(feature, &fixed_text);
        if !got.is_empty() {
            failures.push(format!("{feature}_fixed.vy: reported {got:?}"));
        }
    }
    assert!(checked >= 30, "only {checked} advisory fixtures found");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_advisory_has_an_id_a_link_and_a_parsable_version_set() {
    for e in table() {
        assert!(e.id.starts_with("GHSA-"), "{}", e.id);
        assert!(
            !e.affected.is_empty() || e.range.is_some(),
            "{}: no affected releases",
            e.id
        );
        for v in &e.affected {
            assert!(vyper::pragma::Version::parse(v).is_some(), "{}: {v}", e.id);
        }
    }
}
