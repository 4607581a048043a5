//! Every detector against its fixtures: `tests/fixtures/<id>/*.sol` and, for detectors
//! with a Vyper form, `tests/fixtures/<id>/*.vy`.
//!
//! A line that should carry findings ends with `// expect: ID [ID ...]` (`# expect: ...`
//! in Vyper; one id per finding starting on that line). Files named `safe*` must produce
//! no finding, files named `vulnerable*` at least one; each language a detector supports
//! needs both. Only the fixture's own detector runs, and
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

/// The detectors named by `// also-run:` (or `# also-run:`) lines.
fn also_run(text: &str) -> Vec<&'static dyn detectors::Detector> {
    text.lines()
        .filter_map(|line| {
            line.split_once("// also-run:")
                .or_else(|| line.split_once("# also-run:"))
        })
        .flat_map(|(_, ids)| ids.split_whitespace())
        .map(|id| registry::find(id).unwrap_or_else(|| panic!("also-run: unknown detector `{id}`")))
        .collect()
}

/// Expected (line → ids) from the `// expect:` markers.
fn expectations(text: &str) -> BTreeMap<u32, Vec<String>> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, ids)) = line
            .split_once("// expect:")
            .or_else(|| line.split_once("# expect:"))
        {
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
        if detector.supports_solana() {
            // Solana rules have their fixtures in `crates/solana/tests/fixtures`.
            continue;
        }
        let dir = fixtures_dir().join(id);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("`{id}` has no fixture folder {}: {e}", dir.display()))
            .map(|e| e.expect("readable fixture folder").path())
            .filter(|p| p.extension().is_some_and(|x| x == "sol" || x == "vy"))
            .collect();
        entries.sort();
        let names: Vec<String> = entries
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for (extension, supported) in [
            (".sol", detector.supports_solidity()),
            (".vy", detector.supports_vyper()),
        ] {
            let of_language = |prefix: &str| {
                names
                    .iter()
                    .any(|n| n.starts_with(prefix) && n.ends_with(extension))
            };
            if supported {
                assert!(
                    of_language("vulnerable"),
                    "`{id}` needs a vulnerable*{extension} fixture"
                );
                assert!(
                    of_language("safe"),
                    "`{id}` needs a safe*{extension} fixture"
                );
            } else {
                assert!(
                    !of_language(""),
                    "`{id}` has {extension} fixtures but does not analyse that language"
                );
            }
        }

        for (path, name) in entries.iter().zip(&names) {
            let text = std::fs::read_to_string(path).expect("fixture is UTF-8");
            let mut run = vec![detector];
            run.extend(also_run(&text));
            let findings = if name.ends_with(".vy") {
                let parse = vyper::parse(&text);
                assert!(
                    parse.is_clean(),
                    "{name}: syntax errors {:?}",
                    parse.diagnostics()
                );
                let module = detectors::VyperModule::new(&parse, &text);
                let cx = detectors::VyperContext {
                    file: FileId(0),
                    name: name.trim_end_matches(".vy"),
                    text: &text,
                    parse: &parse,
                    module: &module,
                };
                detectors::run_vyper(&[cx], &run)
            } else {
                solidity_findings(&text, name, &run)
            };
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
            let stem = name.trim_end_matches(".sol");
            // Vyper fixtures keep their extension in the snapshot name (a detector may
            // have `vulnerable.sol` and `vulnerable.vy`).
            let snapshot_name = format!("{id}__{}", stem.replace(".vy", "_vy"));
            insta::assert_snapshot!(snapshot_name, snapshot);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// The findings of `run` on one Solidity fixture.
fn solidity_findings(
    text: &str,
    name: &str,
    run: &[&'static dyn detectors::Detector],
) -> Vec<detectors::Finding> {
    let parse = syntax::parse(text);
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
        text,
        parse: &parse,
        project: &project,
    };
    detectors::run(&[cx], run)
}

/// A file's detectors run one after the other when it is small and in parallel when it
/// is large: the findings must not depend on which. Every Solidity fixture, with every
/// detector, is analysed as it is (small) and with a long comment appended (large, the
/// spans unchanged).
#[test]
fn a_large_file_gets_the_findings_of_the_same_file_small() {
    let all: Vec<&'static dyn detectors::Detector> = registry::all()
        .filter(|d| d.supports_solidity() && !d.supports_solana())
        .collect();
    let padding = format!("\n// {}\n", "padding ".repeat(2048));
    let mut compared = 0;
    for dir in std::fs::read_dir(fixtures_dir()).expect("the fixtures folder") {
        let dir = dir.expect("a fixture folder").path();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.map(|e| e.expect("a fixture").path()) {
            if path.extension().is_none_or(|x| x != "sol") {
                continue;
            }
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).expect("a readable fixture");
            let large = format!("{text}{padding}");
            assert!(text.len() < 8 * 1024 && large.len() > 8 * 1024, "{name}");
            let small = solidity_findings(&text, &name, &all);
            let large = solidity_findings(&large, &name, &all);
            assert_eq!(
                format!("{small:#?}"),
                format!("{large:#?}"),
                "{name}: the findings depend on the file's size"
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} fixtures compared");
}
