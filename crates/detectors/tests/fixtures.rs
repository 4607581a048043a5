//! Every detector against its fixtures: `tests/fixtures/<id>/*.sol`.
//!
//! A line that should carry findings ends with `// expect: ID [ID ...]` (one id per
//! finding starting on that line). Files named `safe*.sol` must produce no finding,
//! files named `vulnerable*.sol` at least one. Only the fixture's own detector runs, and
//! the exact set of (line, id) pairs must match. A snapshot of the findings (line,
//! column, message) is kept per fixture.
//!
//! A fixture may ask for more detectors with a line `// also-run: ID [ID ...]`: the
//! `unused-suppression` fixtures need a detector whose findings their suppression
//! comments hide. Their findings count like the others'. Fixtures go through
//! `detectors::run`, so suppression comments apply as they do in a scan.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use detectors::{FileContext, FileId, ProjectContext, registry};
use syntax::LineIndex;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The detectors named by `// also-run:` lines.
fn also_run(text: &str) -> Vec<&'static dyn detectors::Detector> {
    text.lines()
        .filter_map(|line| line.split_once("// also-run:"))
        .flat_map(|(_, ids)| ids.split_whitespace())
        .map(|id| registry::find(id).unwrap_or_else(|| panic!("also-run: unknown detector `{id}`")))
        .collect()
}

/// Expected (line → ids) from the `// expect:` markers.
fn expectations(text: &str) -> BTreeMap<u32, Vec<String>> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, ids)) = line.split_once("// expect:") {
            let mut ids: Vec<String> = ids.split_whitespace().map(str::to_owned).collect();
            ids.sort();
            out.insert(i as u32 + 1, ids);
        }
    }
    out
}

#[test]
fn every_detector_matches_its_fixtures() {
    let mut failures = Vec::new();
    for detector in registry::all() {
        let id = detector.meta().id;
        let dir = fixtures_dir().join(id);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("`{id}` has no fixture folder {}: {e}", dir.display()))
            .map(|e| e.expect("readable fixture folder").path())
            .filter(|p| p.extension().is_some_and(|x| x == "sol"))
            .collect();
        entries.sort();
        let names: Vec<String> = entries
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("vulnerable")),
            "`{id}` needs a vulnerable*.sol fixture"
        );
        assert!(
            names.iter().any(|n| n.starts_with("safe")),
            "`{id}` needs a safe*.sol fixture"
        );

        for (path, name) in entries.iter().zip(&names) {
            let text = std::fs::read_to_string(path).expect("fixture is UTF-8");
            let parse = syntax::parse(&text);
            assert!(
                parse.diagnostics().is_empty(),
                "{name}: syntax errors {:?}",
                parse.diagnostics()
            );
            let model = semantics::Model::build(&[semantics::SourceInput {
                file: FileId(0),
                parse: &parse,
                imports: &[],
            }]);
            let project = ProjectContext::new(&model);
            let cx = FileContext {
                file: FileId(0),
                text: &text,
                parse: &parse,
                project: &project,
            };
            let mut run = vec![detector];
            run.extend(also_run(&text));
            let findings = detectors::run(&[cx], &run);
            let index = LineIndex::new(&text);

            let mut actual: BTreeMap<u32, Vec<String>> = BTreeMap::new();
            let mut snapshot = String::new();
            for f in &findings {
                let at = index.line_col(&text, f.primary.span.lo);
                actual
                    .entry(at.line)
                    .or_default()
                    .push(f.detector.id.to_owned());
                writeln!(snapshot, "{}:{}: {}", at.line, at.col, f.message()).unwrap();
            }
            actual.values_mut().for_each(|ids| ids.sort());
            let expected = expectations(&text);
            if name.starts_with("safe") && !findings.is_empty() {
                failures.push(format!(
                    "{id}/{name}: safe fixture has findings:\n{snapshot}"
                ));
            } else if name.starts_with("vulnerable") && findings.is_empty() {
                failures.push(format!("{id}/{name}: vulnerable fixture has no finding"));
            }
            if actual != expected {
                failures.push(format!(
                    "{id}/{name}: expected {expected:?}\n   got {actual:?}\n{snapshot}"
                ));
            }
            let snapshot_name = format!("{id}__{}", name.trim_end_matches(".sol"));
            insta::assert_snapshot!(snapshot_name, snapshot);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
